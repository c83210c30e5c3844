"""USPTO bulk archives (issue 10, "Real inputs as they ship"): a TAR of per-publication ZIPs, ingested as it is.

The archives are built here in USPTO's layout (``I20251021/UTIL12448/US...ZIP``) from the real ZIPs and XMLs under
``../shared/data``. The publications of the fast tests are text-only XMLs (no drawing, so no OCR); the real grant
ZIPs, whose drawings are read, are in the one slow test.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from patimg import sources
from patimg.batches import iter_publications
from patimg.ingest import ingest as ingest_library
from patimg.sources import find_publications
from tests.realdata import shared_data_path
from tests.test_hardening_archives import drawing_bytes, ingest, leftovers, patents, run_cli, zeros_zip

#: Text-only USPTO publications (different patents), as real XML.
TEXT_XMLS = ("grant-v4-5-B1.xml", "grant-v4-0-B2.xml", "application-v4-5-A1.xml", "application-v4-4-A2.xml")


def add_member(archive: tarfile.TarFile, name: str, data: bytes | None = None, **header) -> None:
    """One member: a file with ``data``, or whatever ``header`` says (``type=tarfile.SYMTYPE`` ...)."""
    info = tarfile.TarInfo(name)
    for field, value in header.items():
        setattr(info, field, value)
    if data is not None:
        info.size = len(data)
    archive.addfile(info, io.BytesIO(data) if data is not None else None)


def publication_zip(xml_name: str) -> tuple[str, bytes]:
    """A USPTO-style ZIP (``<number>/<number>.XML``) of a real text-only XML: its member name and bytes."""
    number = Path(xml_name).stem
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{number}/{number}.XML", shared_data_path("xml", "uspto", xml_name).read_bytes())
    return f"I20251021/UTIL12448/{number}.ZIP", buffer.getvalue()


def text_only_tar(path: Path, xml_names=TEXT_XMLS) -> list[str]:
    """A TAR (compressed as its name says) of text-only publication ZIPs; returns their member names."""
    names = []
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as archive:
        add_member(archive, "I20251021", type=tarfile.DIRTYPE)
        for xml_name in xml_names:
            name, data = publication_zip(xml_name)
            add_member(archive, name, data)
            names.append(name)
    return names


class ExtractionSpy:
    """Records which archives are unpacked (every ZIP goes through ``sources.safe_extract_zip``)."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[str] = []
        real = sources.safe_extract_zip

        def spy(zip_path, *args, **kwargs):
            self.calls.append(str(zip_path))
            return real(zip_path, *args, **kwargs)

        monkeypatch.setattr(sources, "safe_extract_zip", spy)


def interrupt_after(n: int):
    """A progress callback that stops the run (as Ctrl-C does) once ``n`` publications are done."""

    def progress(stage: str, done: int, total: int, item: str) -> None:
        if stage == "ingest" and done == n and item:
            raise KeyboardInterrupt

    return progress


def figure_counts(capture, collection: Path) -> dict[str, int]:
    code, out, _ = run_cli(capture, "patents", "--collection", collection, "--json")
    assert code == 0
    return {p["id"]: p["figures"] for p in json.loads(out)}


@pytest.mark.slow
def test_uspto_tar_ingests_like_its_zips_and_resumes_without_unpacking_what_is_stored(
    tmp_path, capsys, monkeypatch
):
    zips = [shared_data_path("patents", "us-grants", f"US{n}-20251021.ZIP") for n in (12448385, 12448730)]
    tar = tmp_path / "I20251021.tar"
    with tarfile.open(tar, "w") as archive:
        add_member(archive, "I20251021", type=tarfile.DIRTYPE)
        add_member(archive, "I20251021/UTIL12448", type=tarfile.DIRTYPE)
        for path in zips:
            add_member(archive, f"I20251021/UTIL12448/{path.name}", path.read_bytes())
        # A supplement (a sequence listing, no XML) and a manifest: passed over, no failure.
        supplement = io.BytesIO()
        with zipfile.ZipFile(supplement, "w") as handle:
            handle.writestr("US12448730-20251021-SUPP/SEQ.TXT", "1 acgt")
        add_member(archive, "I20251021/SUPP/US12448730-20251021-SUPP.ZIP", supplement.getvalue())
        add_member(archive, "I20251021/I20251021.txt", b"US12448385\nUS12448730\n")

    direct = tmp_path / "direct"
    code, report, _ = ingest(capsys, direct, *zips)
    assert code == 0 and report["errors"] == []

    bulk = tmp_path / "bulk"
    with pytest.raises(KeyboardInterrupt):
        ingest_library([tar], collection=bulk, progress=interrupt_after(1))
    assert list(figure_counts(capsys, bulk)) == ["US12448385B2"]
    assert leftovers(bulk) == []

    spy = ExtractionSpy(monkeypatch)
    code, report, _ = ingest(capsys, bulk, tar)
    assert code == 0, report
    member = f"{tar}!I20251021/UTIL12448/US12448385-20251021.ZIP"
    assert report["skipped"] == [f"{member}!US12448385-20251021/US12448385-20251021.XML"]
    assert report["added"] == ["US12448730B2"] and report["errors"] == []
    assert len(spy.calls) == 1  # only the member not stored yet was unpacked (and its drawings read)
    assert figure_counts(capsys, bulk) == figure_counts(capsys, direct)
    assert figure_counts(capsys, direct) == {"US12448385B2": 1, "US12448730B2": 2}
    assert leftovers(bulk) == []

    spy.calls.clear()
    code, report, _ = ingest(capsys, bulk, tar)
    assert (code, len(report["skipped"]), report["added"], spy.calls) == (0, 2, [], [])


@pytest.mark.parametrize("name", ["I20251021.tar", "I20251021.tar.gz"])
def test_interrupted_archive_resumes_where_it_stopped(tmp_path, capsys, monkeypatch, name):
    tar = tmp_path / name
    members = text_only_tar(tar)
    collection = tmp_path / "c"
    with pytest.raises(KeyboardInterrupt):
        ingest_library([tar], collection=collection, progress=interrupt_after(2))
    first = patents(capsys, collection)
    assert len(first) == 2

    spy = ExtractionSpy(monkeypatch)
    copies = []
    real_copy = shutil.copyfileobj
    monkeypatch.setattr(shutil, "copyfileobj", lambda *a, **k: copies.append(1) or real_copy(*a, **k))
    code, report, _ = ingest(capsys, collection, tar)
    assert code == 0 and report["errors"] == []
    # A plain TAR is read in place: a stored member is not even copied out; a compressed one must be.
    assert len(copies) == (2 if name.endswith(".tar") else 4)
    assert [s.split("!")[1] for s in report["skipped"]] == members[:2]
    assert len(spy.calls) == 2  # only the 2 members not stored were unpacked
    assert len(report["added"]) == 2 and set(first).isdisjoint(report["added"])
    assert len(patents(capsys, collection)) == 4
    assert leftovers(collection) == []


def test_bad_members_are_reported_by_name_and_the_rest_is_stored(tmp_path, capsys):
    good_name, good = publication_zip(TEXT_XMLS[0])
    bomb = zeros_zip(tmp_path / "bomb.zip", megabytes=30).read_bytes()  # 30 MiB of zeros in ~30 KiB
    supplement = io.BytesIO()
    with zipfile.ZipFile(supplement, "w") as handle:
        handle.writestr("TABLES/TABLE1.TXT", "a large table")
    tar = tmp_path / "I20251021.tar"
    bad = {
        "I20251021/UTIL12448/US12448402-20251021.ZIP": "not a readable ZIP archive",
        "I20251021/UTIL12448/US12448403-20251021.ZIP": "compression ratio too high (zip bomb?)",
        "../US12448404-20251021.ZIP": "refused: its name escapes the archive's folder",
        "/tmp/US12448405-20251021.ZIP": "refused: its name escapes the archive's folder",
        "I20251021/UTIL12448/US12448406-20251021.ZIP": "refused: a link (to '/etc/passwd')",
        "I20251021/UTIL12448/fifo": "refused: a device or pipe",
    }
    with tarfile.open(tar, "w") as archive:
        add_member(archive, "I20251021/UTIL12448/US12448402-20251021.ZIP", b"PK\x03\x04 cut short")
        add_member(archive, "I20251021/UTIL12448/US12448403-20251021.ZIP", bomb)
        add_member(archive, "../US12448404-20251021.ZIP", good)
        add_member(archive, "/tmp/US12448405-20251021.ZIP", good)
        add_member(
            archive,
            "I20251021/UTIL12448/US12448406-20251021.ZIP",
            type=tarfile.SYMTYPE,
            linkname="/etc/passwd",
        )
        add_member(archive, "I20251021/UTIL12448/fifo", type=tarfile.FIFOTYPE)
        add_member(archive, good_name, good)
        add_member(archive, "I20251021/SUPP/US12448407-20251021-SUPP.ZIP", supplement.getvalue())
        add_member(archive, "I20251021/README.txt", b"manifest")
    collection = tmp_path / "c"
    code, report, err = ingest(capsys, collection, tar)
    problems = {e["source"]: e["problem"] for e in report["errors"]}
    assert sorted(problems) == sorted(f"{tar}!{name}" for name in bad)
    for name, problem in bad.items():
        assert problem in problems[f"{tar}!{name}"], problems
    assert len(report["added"]) == 1 and code == 3
    assert patents(capsys, collection) == report["added"]
    assert leftovers(collection) == []
    # Without --json each failure is one line naming the member.
    code, _, err = ingest(capsys, collection, tar, json_out=False)
    assert f"failed: {tar}!../US12448404-20251021.ZIP: refused" in err and "skipped 1 already ingested" in err
    # A bulk archive is not a query document: it says so rather than unpacking it whole.
    _units, errors = find_publications([tar], work_dir=tmp_path / "work")
    assert [e.source for e in errors] == [str(tar)] and "`patimg ingest` only" in errors[0].problem


@pytest.mark.parametrize("name", ["I20251021.tar", "I20251021.tar.gz"])
@pytest.mark.parametrize("cut", ["inside the last member", "after the last member"])
def test_truncated_archive_keeps_what_came_before_and_is_reported(tmp_path, capsys, name, cut):
    whole = tmp_path / "whole.tar"
    members = text_only_tar(whole, TEXT_XMLS[:3])
    with tarfile.open(whole) as archive:
        last = archive.getmembers()[-1]
    if (
        cut == "after the last member"
    ):  # only the end-of-archive blocks are lost: tarfile alone sees no problem
        data = whole.read_bytes()[: last.offset_data + -(-last.size // 512) * 512]
    else:
        data = whole.read_bytes()[: last.offset_data + last.size // 2]
    if name.endswith(".gz"):  # a download cut short: the compressed stream lacks its end too
        data = gzip.compress(data)[:-8]
    tar = tmp_path / name
    tar.write_bytes(data)
    collection = tmp_path / "c"
    code, report, _ = ingest(capsys, collection, tar)
    assert len(report["added"]) == (3 if cut == "after the last member" else 2), report
    ((source, problem),) = [(e["source"], e["problem"]) for e in report["errors"]]
    assert source == str(tar) and f"member {members[2]!r}" in problem, problem
    assert code == 3
    assert leftovers(collection) == []


def test_a_member_is_passed_without_unpacking_only_when_all_it_holds_is_stored(tmp_path, monkeypatch):
    _name, text_only = publication_zip(TEXT_XMLS[0])
    mixed = io.BytesIO()  # the same publication, and a folder of images beside it: a unit of its own
    with zipfile.ZipFile(mixed, "w") as handle:
        with zipfile.ZipFile(io.BytesIO(text_only)) as source:
            for info in source.infolist():
                handle.writestr(info, source.read(info))
        handle.writestr("scans/fig.png", drawing_bytes())
    tar = tmp_path / "I20251021.tar"
    with tarfile.open(tar, "w") as archive:
        add_member(archive, "I20251021/UTIL12448/text-only.ZIP", text_only)
        add_member(archive, "I20251021/UTIL12448/mixed.ZIP", mixed.getvalue())
    spy = ExtractionSpy(monkeypatch)
    asked = []

    def is_stored(key: str) -> bool:
        asked.append(key)
        return key.startswith("xml-")  # every publication XML is stored, no image folder is

    found = []
    for units, errors in iter_publications([tar], work_dir=tmp_path / "work", is_stored=is_stored):
        assert errors == []
        for unit in units:
            files = [unit.xml, *unit.images] if unit.xml else list(unit.images)
            found.append((unit.source.split("!")[1], unit.kind, all(f.exists() for f in files)))
    assert len(spy.calls) == 1  # the mixed ZIP only
    assert found == [
        ("I20251021/UTIL12448/text-only.ZIP", "uspto", False),  # stored: handed out without its files
        ("I20251021/UTIL12448/mixed.ZIP", "images", True),  # unpacked; the same XML not repeated
    ]
    assert len(asked) == 2 and len(set(asked)) == 1
