"""The command line end to end on real publications: ingest, figures, links, index, search, bad inputs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from patimg.cli import main
from tests.realdata import shared_data_path

pytestmark = pytest.mark.slow


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def real_collection(tmp_path_factory) -> Path:
    """A collection of one USPTO grant folder and one EPO package, ingested and indexed once."""
    us = shared_data_path("patents", "us-grants", "US12448527-20251021")
    ep = shared_data_path("patents", "ep", "EP1667425")
    collection = tmp_path_factory.mktemp("cli") / "collection"
    assert main(["ingest", str(us), str(ep), "--collection", str(collection), "-q"]) == 0
    assert main(["index", "--collection", str(collection), "-q"]) == 0
    return collection


def test_figures_lists_split_figures_with_their_signs(real_collection, capsys):
    code, out, _ = run_cli(capsys, "figures", "--collection", real_collection, "--json")
    assert code == 0
    figures = json.loads(out)
    by_caption = {(f["patent"], f["caption"]): f for f in figures}
    # US12448527 sheet 2 prints FIG. 2, FIG. 3 and FIG. 4: three figures from one sheet.
    sheet2 = [f for f in figures if f["patent"] == "US12448527B2" and f["sheet"].endswith("D00002.TIF")]
    assert sorted(f["caption"] for f in sheet2) == ["FIG. 2", "FIG. 3", "FIG. 4"]
    assert {"id", "figure_id", "patent", "caption", "image", "signs"} <= set(figures[0])
    assert all(f["figure_id"] == f["id"] for f in figures)
    # The front-page drawing (-D00000) repeats a sheet, so it is not a figure of its own.
    assert not [f for f in figures if "D00000" in f["sheet"]]
    assert all(Path(f["image"]).is_file() for f in figures)
    fig2 = by_caption[("US12448527B2", "FIG. 2")]
    assert {"102", "106"} <= set(fig2["signs"])  # drawn on FIG. 2 (ground truth)
    assert any(f["patent"] == "EP1667425A1" for f in figures)


def test_links_name_terms_and_real_sentences(real_collection, capsys):
    _, out, _ = run_cli(capsys, "figures", "--collection", real_collection, "--json")
    figure = next(f for f in json.loads(out) if f["caption"] == "FIG. 2" and f["patent"] == "US12448527B2")
    code, out, _ = run_cli(
        capsys, "links", "--collection", real_collection, "--figure", figure["id"], "--json"
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["figure_id"] == figure["id"]
    signs = {s["sign"]: s for s in payload["signs"]}
    assert set(figure["signs"]) == set(signs)  # every sign read is listed, linked or not
    linked = [s for s in payload["signs"] if s["sentences"]]
    assert len(linked) >= len(signs) // 2
    for sign in linked:
        assert sign["term"], sign
        assert all(sign["sign"].lower() in sentence.lower() for sentence in sign["sentences"])


def test_rerun_skips_what_is_done(real_collection, capsys):
    us = shared_data_path("patents", "us-grants", "US12448527-20251021")
    code, out, _ = run_cli(capsys, "ingest", us, "--collection", real_collection, "--json", "-q")
    report = json.loads(out)
    assert code == 0 and report["added"] == [] and len(report["skipped"]) == 1


def test_search_by_figure_returns_ranked_hits_with_channel_scores(real_collection, capsys):
    _, out, _ = run_cli(capsys, "figures", "--collection", real_collection, "--json")
    figures = json.loads(out)
    query = next(f for f in figures if f["caption"] == "FIG. 2" and f["patent"] == "US12448527B2")
    code, out, _ = run_cli(
        capsys,
        "search",
        "--collection",
        real_collection,
        "--figure",
        query["id"],
        "--channel",
        "fused",
        "--fusion",
        "avg",
        "-k",
        "5",
        "--json",
    )
    assert code == 0
    hits = json.loads(out)
    assert 0 < len(hits) <= 5
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(set(h) >= {"figure_id", "patent", "caption", "score", "scores", "rank"} for h in hits)
    assert query["id"] not in {h["figure_id"] for h in hits}
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    code, out, _ = run_cli(
        capsys,
        "search",
        "--collection",
        real_collection,
        "--figure",
        query["id"],
        "--exclude-patent",
        "--json",
    )
    assert all(h["patent"] != "US12448527B2" for h in json.loads(out))
    code, out, _ = run_cli(
        capsys, "search", "--collection", real_collection, "--figure", query["id"], "--office", "US", "--json"
    )
    assert all(h["patent"].startswith("US") for h in json.loads(out))


def test_search_queries_file_prints_json_lines(real_collection, capsys, tmp_path):
    _, out, _ = run_cli(capsys, "figures", "--collection", real_collection, "--json")
    ids = [f["id"] for f in json.loads(out)][:2]
    image = shared_data_path("patents", "ep", "EP1667425", "imgf0006.tif")
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join([*ids, str(image), "no-such-figure"]) + "\n")
    code, out, _ = run_cli(
        capsys,
        "search",
        "--collection",
        real_collection,
        "--queries",
        queries,
        "--channel",
        "visual",
        "-k",
        "3",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["query"] for line in lines] == [*ids, str(image), "no-such-figure"]
    assert all(len(line["hits"]) == 3 for line in lines[:3])
    assert "no-such-figure" in lines[3]["error"]


def test_bad_inputs_are_reported_by_name_and_the_rest_goes_on(tmp_path, capsys):
    us = shared_data_path("patents", "us-grants", "US12448527-20251021")
    scans = tmp_path / "scans"  # a folder of images: one good drawing, one truncated (corrupt) TIFF
    scans.mkdir()
    shutil.copy(shared_data_path("patents", "ep", "EP1667425", "imgf0006.tif"), scans / "good.tif")
    (scans / "broken.tif").write_bytes((us / "US12448527-20251021-D00002.TIF").read_bytes()[:2000])
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escape.xml", "<x/>")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    code, out, _ = run_cli(
        capsys, "ingest", us, scans, evil, empty, "--collection", tmp_path / "c", "--json", "-q"
    )
    report = json.loads(out)
    problems = {Path(e["source"]).name: e["problem"] for e in report["errors"]}
    assert code == 3  # some inputs ingested, some failed
    assert sorted(report["added"]) == ["FOLDER-scans", "US12448527B2"]
    assert "evil.zip" in problems and "escape" in problems["evil.zip"]
    assert "empty.xml" in problems
    assert "broken.tif" in problems.get("scans", "")  # the corrupt image is named, its folder still ingested
    assert not (tmp_path / "escape.xml").exists()
    code, out, _ = run_cli(
        capsys, "figures", "--collection", tmp_path / "c", "--patent", "FOLDER-scans", "--json"
    )
    figures = json.loads(out)  # good.tif prints FIG. 8 and FIG. 9, so it is split in two
    assert [f["caption"] for f in figures] == ["FIG. 8", "FIG. 9"]
    assert all(Path(f["image"]).name.startswith("FOLDER-scans-good-f") for f in figures)


def test_wrong_collection_path_is_one_clear_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "figures", "--collection", tmp_path / "nope", "--json")
    assert code == 2 and "nope" in err and "Traceback" not in err


def test_indexing_an_empty_collection_says_to_ingest_first(tmp_path):
    from patimg.collection import Collection

    Collection.create(tmp_path / "empty")
    # In a fresh interpreter, so that --quiet is seen before any Hugging Face library is imported.
    done = subprocess.run(
        [sys.executable, "-m", "patimg", "index", "--collection", str(tmp_path / "empty"), "-q"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "no figures yet" in done.stderr and "patimg ingest" in done.stderr
    assert "Loading weights" not in done.stderr and "it/s" not in done.stderr  # -q: no progress bars


def test_a_reader_that_stops_early_gets_no_traceback(real_collection):
    """``patimg figures --json | head``: the closed pipe ends the command quietly, with status 141."""
    command = [sys.executable, "-m", "patimg", "figures", "--collection", str(real_collection), "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # the reader is gone before the command writes (it is still importing)
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert code == 141


def test_python_dash_m_is_the_same_command(tmp_path):
    drawing = shared_data_path(
        "patents", "us-grants", "US12448527-20251021", "US12448527-20251021-D00002.TIF"
    )
    done = subprocess.run(
        [sys.executable, "-m", "patimg", "read", str(drawing), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    items = json.loads(done.stdout)
    assert {"text", "kind", "box", "confidence"} == set(items[0])
    assert {"FIG. 2", "FIG. 3", "FIG. 4"} <= {i["text"] for i in items if i["kind"] == "figure"}
    assert {"102", "106", "108"} <= {i["text"] for i in items if i["kind"] == "reference"}


def test_every_search_is_in_the_audit_log(real_collection, capsys):
    from patimg.evaluation.store import JudgmentStore

    store = JudgmentStore(real_collection / "judgments.sqlite")
    before = len(store.search_log())
    _, out, _ = run_cli(capsys, "figures", "--collection", real_collection, "--json")
    figure_id = json.loads(out)[0]["id"]
    run_cli(
        capsys, "search", "--collection", real_collection, "--figure", figure_id, "--fusion", "max", "-k", "4"
    )
    entries = store.search_log()
    assert len(entries) == before + 1
    newest = entries[0]
    assert newest.query["figure_id"] == figure_id
    assert newest.settings["fusion"] == "max" and newest.settings["k"] == 4
    assert 0 < len(newest.hits) <= 4 and all("figure_id" in hit for hit in newest.hits)
