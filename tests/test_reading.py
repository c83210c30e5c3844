"""The read stage: reading drawings in worker processes gives the collection reading here gives."""

from __future__ import annotations

import subprocess
import sys

import pytest

from patimg.ingest import ingest
from patimg.reading import SheetJob, SheetReaders
from patimg.types import DrawingRef
from tests.drawings import random_line_drawing
from tests.stored import stored_rows


@pytest.mark.slow
def test_worker_pool_gives_the_same_collection_with_progress_per_sheet(shared_data, tmp_path):
    # Two publications: a pool reads both publications' sheets in one pass (no worker waits at the end of the
    # first), and each is stored as its readings come in.
    grant = shared_data / "patents" / "us-grants" / "US12448249-20251021"
    second = shared_data / "patents" / "us-grants" / "US12448730-20251021"
    seen: list[tuple[str, int, int, str]] = []
    here = ingest([grant, second], collection=tmp_path / "here", workers=1)
    pooled = ingest(
        [grant, second], collection=tmp_path / "pool", workers=2, progress=lambda *event: seen.append(event)
    )
    assert here.errors == pooled.errors == []
    assert here.added == pooled.added == ["US12448249B2", "US12448730B2"]
    assert here.figures == pooled.figures
    assert stored_rows(tmp_path / "here") == stored_rows(tmp_path / "pool")
    sheets = [event for event in seen if event[0] == "read sheets"]
    # The 6 drawing sheets of the first (the front-page drawing D00000 repeats one of them and is not read),
    # then the 2 of the second.
    images = sorted(p.name for p in grant.glob("*.TIF") if not p.stem.endswith("D00000"))
    # One event before each image (named), one when all are read.
    assert [(done, total) for _, done, total, _ in sheets] == [(i, 6) for i in range(7)] + [
        (i, 2) for i in range(3)
    ]
    assert sorted(item for _, done, total, item in sheets if total == 6 and done < 6) == images


def test_a_bad_image_read_in_a_worker_is_reported_by_name(tmp_path):
    good = tmp_path / "sheet.png"
    random_line_drawing(seed=3).save(good)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    jobs = [
        SheetJob(path=path, ref=DrawingRef(file=path.name, kind="sheet"), patent_id="P1", sheet=path.stem)
        for path in (good, bad)
    ]
    with SheetReaders("rapidocr", workers=2) as readers:
        good_reading, bad_reading = readers.read(jobs)
    assert good_reading.problem is None and good_reading.crops
    assert all(crop.figure.figure_id.startswith("P1-sheet-f") for crop in good_reading.crops)
    assert bad_reading.image_name == "broken.png" and bad_reading.crops == ()
    assert "cannot" in bad_reading.problem or "not" in bad_reading.problem


def test_workers_start_from_a_main_script_without_a_main_guard(tmp_path):
    # Under Streamlit the page script is __main__; spawned workers must not run it again.
    sheet = tmp_path / "sheet.png"
    random_line_drawing(seed=5).save(sheet)
    script = tmp_path / "page.py"
    script.write_text(
        "from pathlib import Path\n"
        "from patimg.reading import SheetJob, SheetReaders\n"
        "from patimg.types import DrawingRef\n"
        f"path = Path({str(sheet)!r})\n"
        "with SheetReaders('rapidocr', workers=2) as readers:\n"
        "    (reading,) = readers.read([SheetJob(path, DrawingRef(file=path.name), 'P1', 'sheet')])\n"
        "print('figures', len(reading.crops), 'problem', reading.problem)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("figures") == 1  # printed by the parent only
    assert "problem None" in done.stdout


def test_default_readers_are_one_per_core_as_memory_allows(monkeypatch):
    from patimg import reading

    monkeypatch.delenv("PATIMG_WORKERS", raising=False)
    monkeypatch.setattr(reading.os, "cpu_count", lambda: 64)
    pages = {"SC_PAGE_SIZE": 4096}

    def sysconf(name):
        return pages[name]

    monkeypatch.setattr(reading.os, "sysconf", sysconf)
    pages["SC_PHYS_PAGES"] = 256 * 2**30 // 4096  # 256 GiB: the cores decide
    assert reading.default_workers() == 64
    pages["SC_PHYS_PAGES"] = 24 * 2**30 // 4096  # 24 GiB: 12 readers of 2 GiB
    assert reading.default_workers() == 12
    pages["SC_PHYS_PAGES"] = 2**30 // 4096  # less than one reader's worth: still one
    assert reading.default_workers() == 1
    monkeypatch.setenv("PATIMG_WORKERS", "3")
    assert reading.default_workers() == 3


@pytest.mark.parametrize("grey", [False, True])
def test_figure_pngs_keep_every_pixel(grey):
    import io

    import numpy as np
    from PIL import Image

    from patimg.reading import _png_bytes

    # Black and white goes through OpenCV's encoder with unfiltered rows, grey through Pillow's: both lossless.
    pixels = np.where(np.random.default_rng(7).random((300, 200)) < 0.1, 0, 255).astype(np.uint8)
    if grey:
        pixels[100:120, 50:90] = 128
    png = _png_bytes(Image.fromarray(pixels))
    with Image.open(io.BytesIO(png)) as back:
        assert back.format == "PNG" and back.mode == "L"
        assert np.array_equal(np.asarray(back), pixels)
