"""Hostile inputs of issue 14 (items 7, 8, 9, 10, 12, 17): each is refused by one message naming it, never a
traceback, and what PatImg writes gets the permissions the umask gives.

Every input is generated in a temporary folder; the search cases share one tiny collection (two generated
drawings, ingested and indexed once).
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from patimg.cli import main
from patimg.errors import BadInputError
from tests.drawings import random_line_drawing


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (no image data follows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> Path:
    """Two generated drawings, ingested and indexed (built under umask 022, see the permissions test)."""
    from patimg.indexing import build_indexes
    from patimg.ingest import ingest

    root = tmp_path_factory.mktemp("hardening")
    drawings = root / "drawings"
    drawings.mkdir()
    for seed in (1, 2):
        random_line_drawing(seed, size=320, strokes=10, radius=12).save(drawings / f"fig{seed}.png")
    path = root / "collection"
    previous = os.umask(0o022)
    try:
        report = ingest([drawings], collection=path)
        assert not report.errors and report.figures == 2
        build_indexes(path, visual="rootsift-vlad", text="minilm")
    finally:
        os.umask(previous)
    return path


@pytest.fixture(scope="module")
def figure_ids(collection) -> list[str]:
    from patimg.collection import Collection

    return [figure.figure_id for figure in Collection.open(collection).figure_records()]


@pytest.fixture(scope="module")
def wide_png(tmp_path_factory) -> Path:
    """A 60,000,000 x 1 px PNG: 7 KB on disk, under the pixel limit, no drawing's shape."""
    path = tmp_path_factory.mktemp("wide") / "wide.png"
    Image.new("1", (60_000_000, 1), 1).save(path)
    return path


# ------------------------------------------------------------------------------ 7. quadratic entity blowup


def _uspto_xml(doctype_subset: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v45-2014-04-03.dtd" [\n{doctype_subset}\n]>\n'
        "<us-patent-grant><us-bibliographic-data-grant><publication-reference><document-id><country>US</country>"
        "<doc-number>1234567</doc-number><kind>B1</kind><date>20200101</date></document-id>"
        "</publication-reference><invention-title>Rotor</invention-title></us-bibliographic-data-grant>"
        f"<description><p>{body}</p></description></us-patent-grant>"
    )


def test_xml_declaring_internal_entities_is_refused_by_name(tmp_path, capsys):
    from patimg.documents import parse_publication

    # The shape, scaled down: one 10,000-character entity used 2,000 times (20 MB once expanded).
    blowup = tmp_path / "blowup.xml"
    blowup.write_text(_uspto_xml(f'<!ENTITY big "{"x" * 10_000}">', "The rotor &big; " * 2_000))
    # Even a short one is refused: patent XML declares none.
    short = tmp_path / "short.xml"
    short.write_text(_uspto_xml('<!ENTITY co "Company">', "The rotor 10 of &co; turns."))
    for path in (blowup, short):
        with pytest.raises(BadInputError, match="internal entity") as error:
            parse_publication(path)
        assert error.value.source == str(path)
    code, out, err = run_cli(capsys, "ingest", blowup, "--collection", tmp_path / "c", "--json", "-q")
    problems = {e["source"]: e["problem"] for e in json.loads(out)["errors"]}
    assert code != 0 and json.loads(out)["added"] == []
    assert "internal entity &big;" in problems[str(blowup)]
    assert "Traceback" not in err
    # Image entities (NDATA), which real USPTO files declare, are still read.
    images = tmp_path / "images.xml"
    images.write_text(
        _uspto_xml(
            '<!ENTITY US1234567-D00001 SYSTEM "US1234567-D00001.TIF" NDATA TIF>', "The rotor 10 turns."
        )
    )
    assert parse_publication(images).patent.patent_id.startswith("US1234567")


# ------------------------------------------------------------------------------ 8. extreme image shapes


def test_extreme_image_shapes_are_refused_before_decoding(tmp_path, wide_png, capsys):
    from patimg.figures import load_drawing
    from patimg.figures.loading import MAX_ASPECT_RATIO, MAX_DRAWING_SIDE

    with pytest.raises(BadInputError) as error:
        load_drawing(wide_png)
    assert error.value.source == str(wide_png) and f"{MAX_DRAWING_SIDE} px" in error.value.problem
    strip = tmp_path / "strip.png"  # every side legal, but 200 times longer than wide
    Image.new("L", (20_000, 100), 255).save(strip)
    with pytest.raises(BadInputError) as error:
        load_drawing(strip)
    assert error.value.source == str(strip) and f"{MAX_ASPECT_RATIO}:1" in error.value.problem
    # The pixel-limit message quotes one limit (ours), not also Pillow's own.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(20_000, 20_000))
    with pytest.raises(BadInputError, match="too large") as error:
        load_drawing(bomb)
    limits = [int(n) for n in re.findall(r"limit of (\d+)", str(error.value))]
    assert limits == [64_000_000] and "400000000" in str(error.value)

    code, _, err = run_cli(capsys, "read", wide_png)
    assert code == 2 and str(wide_png) in err and "Traceback" not in err and "MemoryError" not in err
    code, out, err = run_cli(capsys, "ingest", wide_png, "--collection", tmp_path / "c", "--json", "-q")
    assert code != 0 and str(MAX_DRAWING_SIDE) in json.dumps(json.loads(out)["errors"])


def test_extreme_image_in_search_and_queries_batch(collection, figure_ids, wide_png, tmp_path, capsys):
    code, _, err = run_cli(capsys, "search", "--collection", collection, "--image", wide_png, "-q")
    assert code == 2 and str(wide_png) in err and "Traceback" not in err
    # In a batch, the bad image is reported in its own JSON line and the batch goes on.
    queries = tmp_path / "queries.txt"
    queries.write_text(f"{figure_ids[0]}\n{wide_png}\n{figure_ids[1]}\n")
    code, out, _ = run_cli(
        capsys, "search", "--collection", collection, "--queries", queries, "--channel", "visual", "-k", "2"
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["query"] for line in lines] == [figure_ids[0], str(wide_png), figure_ids[1]]
    assert str(wide_png) in lines[1]["error"] and lines[1]["hits"] == []
    assert lines[0]["hits"] and lines[2]["hits"]  # the lines around it are searched


# ------------------------------------------------------------------------------ 9. k is bounded


def test_k_is_bounded_and_the_bound_is_said(collection, figure_ids, capsys):
    from patimg.search import MAX_K, SearchSettings

    assert SearchSettings(k=MAX_K).k == MAX_K
    with pytest.raises(BadInputError, match=f"1 to {MAX_K}"):
        SearchSettings(k=MAX_K + 1)
    code, _, err = run_cli(
        capsys, "search", "--collection", collection, "--figure", figure_ids[0], "-k", "2000000000"
    )
    assert code == 2 and f"1 to {MAX_K}" in err and "2000000000" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    assert f"1 to {MAX_K}" in capsys.readouterr().out


# ------------------------------------------------------------------------------ 10. binary --queries file


def test_binary_queries_file_is_one_clear_message(collection, tmp_path, capsys):
    image = tmp_path / "drawing.png"  # a drawing handed over as the queries file by mistake
    random_line_drawing(3, size=320, strokes=10, radius=12).save(image)
    zeros = tmp_path / "zeros.bin"  # valid UTF-8, yet no text
    zeros.write_bytes(b"\x00" * 64)
    for path in (image, zeros):
        code, out, err = run_cli(capsys, "search", "--collection", collection, "--queries", path)
        assert code == 2 and out == ""
        assert str(path) in err and "UTF-8" in err and "Traceback" not in err


# ------------------------------------------------------------------------------ 12. qrels grades are bounded


def test_out_of_range_qrels_grades_are_refused_by_line(tmp_path, capsys):
    from patimg.evaluation import JudgmentStore, import_qrels_bytes, read_qrels
    from patimg.evaluation.trec import MAX_GRADE, MIN_GRADE

    run = tmp_path / "text.run"
    run.write_text("q1 Q0 d1 1 0.9 text\nq1 Q0 d2 2 0.5 text\n")
    good = tmp_path / "good.qrels"
    good.write_text(f"q1 0 d1 {MAX_GRADE}\nq1 0 d2 {MIN_GRADE}\n")
    assert read_qrels(good) == {"q1": {"d1": MAX_GRADE, "d2": MIN_GRADE}}
    for grade in (10**32, 2**32, MAX_GRADE + 1, MIN_GRADE - 1):
        qrels = tmp_path / "judged.qrels"
        qrels.write_text(f"q1 0 d1 1\nq1 0 d2 {grade}\n")
        code, _, err = run_cli(capsys, "eval", "--qrels", qrels, "--run", run)
        assert code == 2 and f"{qrels}:2" in err and str(grade) in err and "Traceback" not in err
    store = JudgmentStore(tmp_path / "judgments.sqlite")
    with pytest.raises(BadInputError) as error:
        import_qrels_bytes(store, f"q1 0 d1 {10**32}\n".encode(), annotator="imported", name="up.qrels")
    assert error.value.source == "up.qrels:1"
    with pytest.raises(BadInputError) as error:
        store.import_qrels(qrels, annotator="imported")
    assert error.value.source == f"{qrels}:2"
    assert store.qrels() == {}


# ------------------------------------------------------------------------------ 17. file modes follow the umask


def test_written_files_get_the_mode_the_umask_gives(collection, tmp_path):
    from patimg.collection import Collection
    from patimg.fileio import atomic_write_bytes

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    previous = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "out.bin", b"data")
        created = Collection.create(tmp_path / "c")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "out.bin") == 0o640
    assert mode(created.path / "collection.json") == 0o640
    # The shared collection was built under umask 022: its index, vector and meta files are world-readable.
    written = [collection / "collection.json", *(collection / "vectors").iterdir()]
    written += [f for f in (collection / "indexes").rglob("*") if f.is_file()]
    assert len(written) > 4
    assert {f.name: oct(mode(f)) for f in written} == {f.name: oct(0o644) for f in written}
    assert not list(collection.rglob(".*.tmp"))  # no temporary file left behind
