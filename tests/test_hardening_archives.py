"""Archives, concurrency and messages of `patimg ingest` (issue 14, items 5, 6, 13 and 14).

Every input is generated here: small drawings with a numeral drawn by PIL (about a second of OCR each), ZIPs of
ZIPs of zeros (kilobytes on disk, megabytes unpacked), a TIFF whose strip is cut short. The collection is looked
at the way a script would, through ``patimg patents --json``, and its ``work/`` and ``uploads/`` folders must be
empty after every run, whatever happened.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from patimg import sources
from patimg.cli import INGEST_EXIT_STATUS, main
from patimg.demo.drawings import font

REPO = Path(__file__).resolve().parents[1]


def run_cli(capture, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capture.readouterr()
    return code, out.out, out.err


def ingest(capture, collection: Path, *sources_, json_out: bool = True) -> tuple[int, dict | None, str]:
    """``patimg ingest ... -q`` (``--json`` unless told): the exit status, the report and stderr."""
    extra = ["--json"] if json_out else []
    code, out, err = run_cli(capture, "ingest", *sources_, "--collection", collection, *extra, "-q")
    return code, json.loads(out) if json_out else None, err


def patents(capture, collection: Path) -> list[str]:
    code, out, _ = run_cli(capture, "patents", "--collection", collection, "--json")
    assert code == 0
    return sorted(p["id"] for p in json.loads(out))


def leftovers(collection: Path) -> list[str]:
    """What is left under the collection's work/ and uploads/ folders (nothing, after any run)."""
    return sorted(
        str(p.relative_to(collection))
        for folder in ("work", "uploads")
        if (collection / folder).exists()
        for p in (collection / folder).rglob("*")
    )


def drawing_bytes(sign: str = "14") -> bytes:
    """A small PNG line drawing (a box, a leader line, a numeral)."""
    import io

    image = Image.new("L", (320, 240), 255)
    pen = ImageDraw.Draw(image)
    pen.rectangle((40, 40, 180, 180), outline=0, width=4)
    pen.line((180, 110, 250, 90), fill=0, width=3)
    pen.text((275, 85), sign, font=font(36), fill=0, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drawing(path: Path, sign: str = "14") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(drawing_bytes(sign))
    return path


def zeros_zip(path: Path, *, megabytes: int, name: str = "zeros.bin") -> Path:
    """A ZIP holding ``megabytes`` MiB of zeros in one member (about a kilobyte on disk)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"\0" * (megabytes * 1024**2))
    return path


def broken_tiff(path: Path) -> Path:
    """A G4 TIFF whose only strip claims 5000 bytes and has 40: libtiff prints a line of its own on it."""
    entries = [(256, 3, 200), (257, 3, 100), (258, 3, 1), (259, 3, 4), (262, 3, 0)]
    entries += [(273, 4, 8 + 2 + 12 * 8 + 4), (278, 3, 100), (279, 4, 5000)]
    data = bytearray(b"II*\0" + struct.pack("<IH", 8, len(entries)))
    for tag, kind, value in entries:
        data += struct.pack("<HHI", tag, kind, 1) + struct.pack(
            "<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else (value,))
        )
    data += struct.pack("<I", 0) + b"\x55" * 40
    path.write_bytes(bytes(data))
    return path


# ---- item 5: disk left behind ------------------------------------------------------------------------------


def test_nested_zips_share_one_byte_limit_and_nothing_stays_on_disk(tmp_path, capsys, monkeypatch):
    # Three inner ZIPs of 1 MiB each: every one is under a 2.5 MiB limit, together they are not.
    monkeypatch.setattr(sources, "MAX_EXTRACTED_BYTES", 5 * 1024**2 // 2, raising=False)
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fig.png", drawing_bytes())
        for i in range(3):
            archive.write(zeros_zip(tmp_path / f"inner{i}.zip", megabytes=1), f"inner{i}.zip")
    collection = tmp_path / "c"
    code, report, _ = ingest(capsys, collection, outer)
    refused = [e for e in report["errors"] if "nested ZIPs included" in e["problem"]]
    assert [e["source"] for e in refused] == [f"{outer}!inner2.zip"], report["errors"]  # input and member
    assert f"more than {5 * 1024**2 // 2} bytes (2.5 MiB) in all" in refused[0]["problem"]
    assert leftovers(collection) == []
    assert patents(capsys, collection) == ["FOLDER-outer-zip"]
    assert code == 3  # the drawing was ingested, the rest refused


def test_extracted_files_and_uploads_are_removed_after_every_input(tmp_path, capsys, monkeypatch):
    collection = tmp_path / "c"
    # A ZIP with a drawing and 6 MiB of padding (ingested), and a ZIP of padding only (failed).
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("scan/fig.png", drawing_bytes())
        archive.writestr("scan/padding.bin", b"\0" * (6 * 1024**2))
    bad = zeros_zip(tmp_path / "bad.zip", megabytes=6)
    # What a killed run left: a run folder nobody holds, older than a minute.
    abandoned = collection / "work" / "run-killed"
    abandoned.mkdir(parents=True)
    (abandoned / "big.bin").write_bytes(b"\0" * 1024)
    old = time.time() - 3600
    os.utime(abandoned, (old, old))
    code, report, _ = ingest(capsys, collection, good, bad)
    assert leftovers(collection) == []
    assert [e["source"] for e in report["errors"]] == [str(bad)]
    assert patents(capsys, collection) == ["FOLDER-good-zip-scan"]
    assert code == 3
    # Uploads through the app's import: removed after the import, ingested or failed.
    monkeypatch.setattr("patimg.indexing.build_indexes", lambda *a, **k: {})
    from patimg.imports import ingest_uploads

    report = ingest_uploads(
        [("up.png", drawing_bytes("27")), ("notes.png", b"not an image")], collection=collection
    )
    assert report.added and report.errors and "notes.png" in report.errors[0][1]
    report = ingest_uploads([("only-bad.png", b"nope")], collection=collection)
    assert not report.added and report.errors
    assert len(patents(capsys, collection)) == 2
    assert leftovers(collection) == []


# ---- item 6: the same ZIP ingested by several processes at once -------------------------------------------


def test_concurrent_ingests_of_one_zip_store_it_once(tmp_path, capsys):
    archive = tmp_path / "pub.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("pub/fig.png", drawing_bytes())
    collection = tmp_path / "c"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable,
        "-m",
        "patimg",
        "ingest",
        str(archive),
        "--collection",
        str(collection),
        "--json",
        "-q",
    ]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    reports = [json.loads(out) for _, out, _ in results]
    assert sorted(len(r["added"]) for r in reports) == [0, 0, 0, 1]
    assert sorted(len(r["skipped"]) for r in reports) == [0, 1, 1, 1]
    assert all(r["errors"] == [] for r in reports)
    assert patents(capsys, collection) == ["FOLDER-pub-zip-pub"]
    assert leftovers(collection) == []  # no .partial, no run folder, no lock


# ---- item 13: unreadable folders ---------------------------------------------------------------------------


def _unlistable(monkeypatch, *blocked: Path) -> None:
    """Make listing ``blocked`` fail as chmod 000 does for a user other than root (tests may run as root)."""
    real = os.scandir

    def scandir(path="."):
        if not isinstance(path, int) and Path(os.fsdecode(path)) in blocked:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_source_folder_is_a_failure_by_name(tmp_path, capsys, monkeypatch):
    scans = tmp_path / "scans"
    drawing(scans / "open" / "fig.png")
    drawing(scans / "locked" / "fig.png", sign="27")
    alone = tmp_path / "alone"
    drawing(alone / "fig.png")
    _unlistable(monkeypatch, scans / "locked", alone)
    collection = tmp_path / "c"
    code, report, _ = ingest(capsys, collection, alone)
    assert code == 2
    assert report["errors"] == [{"source": str(alone), "problem": "cannot read folder: Permission denied"}]
    code, report, err = ingest(capsys, collection, scans, json_out=False)
    assert code == 3
    assert "1 failed" in err and f"failed: {scans / 'locked'}: cannot read folder: Permission denied" in err
    assert patents(capsys, collection) == ["FOLDER-open"]
    assert leftovers(collection) == []


# ---- item 14: exit status, library noise, control characters ------------------------------------------------


def test_exit_status_rule_messages_and_escaping(tmp_path, capfd):
    collection = tmp_path / "c"
    good = drawing(tmp_path / "good.png")
    evil = tmp_path / "evil\x1b[2J.png"
    evil.write_bytes(b"not an image")
    torn = broken_tiff(tmp_path / "torn.tif")
    # 0: every input ingested.
    code, _, err = ingest(capfd, collection, good, json_out=False)
    assert code == 0 and "added 1 publication(s)" in err
    # 3: one skipped as already there, two failed. One line each; libtiff's own line does not leak.
    code, _, err = ingest(capfd, collection, good, evil, torn, json_out=False)
    assert code == 3
    assert "\x1b" not in err
    assert err.splitlines() == [
        "added 0 publication(s), 0 figure(s); skipped 1 already ingested; 2 failed",
        f"  failed: {tmp_path}/evil\\x1b[2J.png: no drawing could be read (evil\\x1b[2J.png: not an image: "
        "its content is none of the formats Pillow reads (PNG, JPEG, TIFF, ...))",
        f"  failed: {torn}: no drawing could be read (torn.tif: corrupt or truncated image (decoder error -2))",
    ]
    # 2: nothing ingested because of input problems.
    code, _, err = ingest(capfd, collection, evil, tmp_path / "missing.zip", json_out=False)
    assert code == 2 and "2 failed" in err and "\x1b" not in err
    assert patents(capfd, collection) == ["FOLDER-good-png"]
    assert leftovers(collection) == []
    # The error path of every command escapes too.
    code, _, err = run_cli(capfd, "links", "--collection", collection, "--figure", "x\x1b[2Jy")
    assert code == 2 and "\x1b" not in err and "x\\x1b[2Jy" in err
    # The rule is said once in code, and shown by --help and the README.
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert " ".join(capfd.readouterr().out.split()).endswith(INGEST_EXIT_STATUS)
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert INGEST_EXIT_STATUS.removeprefix("exit status: ") in readme
