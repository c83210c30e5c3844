"""Reading ahead (the Ray engine's ingest loop), run here with this process's readers: many publications' sheets
read in one pass give the collection that reading one publication at a time gives."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from patimg import engines
from patimg.ingest import ingest
from patimg.reading import SheetReaders
from tests.drawings import random_line_drawing
from tests.stored import stored_rows


class WindowReaders(SheetReaders):
    """This process's readers, handed windows of ``window_sheets`` as the Ray engine's are; ``fail_on`` names an
    image at which the pass breaks, as a lost Ray worker would break it."""

    def __init__(self, window_sheets: int, fail_on: str = "") -> None:
        super().__init__("rapidocr", workers=1)
        self.window_sheets = window_sheets
        self.fail_on = fail_on
        self.passes: list[list[str]] = []

    def read(self, jobs):
        self.passes.append([job.path.name for job in jobs])
        for job in jobs:
            if job.path.name == self.fail_on:
                raise RuntimeError("the worker reading it died")
            yield from super().read([job])


@pytest.fixture
def reading_ahead(monkeypatch):
    """``ingest(engine="ray")`` runs the read-ahead loop with :class:`WindowReaders` (set ``.readers``)."""
    holder = {}
    open_readers = engines.open_readers

    @contextlib.contextmanager
    def open_window_readers(engine, **options):
        if engine != "ray":
            with open_readers(engine, **options) as readers:
                yield readers
            return
        yield holder["readers"]

    monkeypatch.setattr(engines, "open_readers", open_window_readers)
    return holder


def _folders(root: Path, *names: str) -> list[Path]:
    folders = []
    for seed, name in enumerate(names, start=1):
        folder = root / name
        folder.mkdir(parents=True)
        random_line_drawing(seed=seed).save(folder / "sheet.png")
        folders.append(folder)
    return folders


@pytest.mark.parametrize("window_sheets", [1, 64])
def test_two_folders_of_one_name_get_the_ids_one_at_a_time_gives(window_sheets, reading_ahead, tmp_path):
    folders = _folders(tmp_path / "in", "a/scans", "b/scans")
    reading_ahead["readers"] = WindowReaders(window_sheets)
    ahead = ingest(folders, collection=tmp_path / "ahead", engine="ray")
    one_at_a_time = ingest(folders, collection=tmp_path / "local")
    assert ahead.added == one_at_a_time.added
    assert ahead.added[0] == "FOLDER-scans" and ahead.added[1].startswith("FOLDER-scans-")
    assert stored_rows(tmp_path / "ahead") == stored_rows(tmp_path / "local")
    # The second folder's id depends on the first being stored: it waited for a pass of its own.
    assert reading_ahead["readers"].passes == [["sheet.png"], ["sheet.png"]]


def test_a_broken_pass_fails_its_publication_and_the_rest_is_read_again(reading_ahead, tmp_path):
    folders = _folders(tmp_path / "in", "one", "two", "three")
    (folders[1] / "sheet.png").rename(folders[1] / "lost.png")
    reading_ahead["readers"] = WindowReaders(64, fail_on="lost.png")
    report = ingest(folders, collection=tmp_path / "ahead", engine="ray")
    assert report.added == ["FOLDER-one", "FOLDER-three"]
    assert report.errors == [(str(folders[1]), "unexpected RuntimeError: the worker reading it died")]
    assert reading_ahead["readers"].passes == [["sheet.png", "lost.png", "sheet.png"], ["sheet.png"]]
    again = ingest(folders, collection=tmp_path / "ahead", engine="ray")  # stored ones are skipped, in order
    assert again.skipped == [str(folders[0]), str(folders[2])]
