"""The Ray engine: real publications ingested and indexed on a local Ray (2 CPUs) give what the local engine
gives; its errors name their input as the local engine's do."""

from __future__ import annotations

import json
import shutil
import socket

import numpy as np
import pytest

from patimg.cli import main
from patimg.collection import Collection
from patimg.ingest import ingest
from patimg.vectors import stored_vectors
from tests.drawings import random_line_drawing
from tests.realdata import shared_data_path, skip_or_fail
from tests.stored import stored_rows


def _need_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        skip_or_fail('Ray is not installed: pip install -r requirements-dev.txt (or "patimg[ray]")')


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory) -> dict:
    """A USPTO grant (6 sheets) and an EPO package ingested by each engine, with the Ray run's progress."""
    _need_ray()
    sources = [
        shared_data_path("patents", "us-grants", "US12448249-20251021"),
        shared_data_path("patents", "ep", "EP1667425"),
    ]
    root = tmp_path_factory.mktemp("engines")
    events: list[tuple[str, int, int, str]] = []
    ray_report = ingest(
        sources,
        collection=root / "ray",
        engine="ray",
        workers=2,
        progress=lambda *event: events.append(event),
    )
    local_report = ingest(sources, collection=root / "local")  # PATIMG_WORKERS=1: read in this process
    return {"root": root, "ray": ray_report, "local": local_report, "events": events, "sources": sources}


@pytest.mark.slow
def test_ray_ingest_gives_the_figure_ids_signs_and_images_of_the_local_engine(both_engines):
    root = both_engines["root"]
    assert both_engines["ray"].errors == both_engines["local"].errors == []
    assert both_engines["ray"].added == both_engines["local"].added == ["US12448249B2", "EP1667425A1"]
    assert both_engines["ray"].figures == both_engines["local"].figures == 24
    ray_rows, local_rows = stored_rows(root / "ray"), stored_rows(root / "local")
    assert len(ray_rows["figures"]) == 24 and len(ray_rows["labels"]) > 100
    assert ray_rows == local_rows


@pytest.mark.slow
def test_ray_ingest_shows_progress_per_publication_and_per_sheet(both_engines):
    events = both_engines["events"]
    grant, ep = both_engines["sources"]
    publications = [(done, total) for stage, done, total, _ in events if stage == "ingest"]
    assert publications == [(0, 2), (1, 2), (2, 2)]
    sheets = [(done, total, item) for stage, done, total, item in events if stage == "read sheets"]
    grant_images = sorted(p.name for p in grant.glob("*.TIF") if not p.stem.endswith("D00000"))
    assert [(done, total) for done, total, _ in sheets[:7]] == [(i, 6) for i in range(7)]
    assert sorted(item for done, _, item in sheets[:6]) == grant_images
    ep_sheets = sheets[7:]
    assert [done for done, _, _ in ep_sheets] == list(range(len(ep_sheets)))
    assert ep_sheets[-1][:2] == (ep_sheets[-1][1], ep_sheets[-1][1]) and ep_sheets[-1][1] > 1


@pytest.mark.slow
def test_ray_index_gives_the_vectors_of_the_local_engine(both_engines, tmp_path, capsys):
    collections = {}
    for engine in ("local", "ray"):
        collections[engine] = tmp_path / engine
        shutil.copytree(both_engines["root"] / "local", collections[engine])
        command = ["index", "--collection", str(collections[engine]), "-q", "--json"]
        command += ["--visual", "rootsift-vlad", "--text", "minilm", "--engine", engine]
        assert main(command) == 0
        assert json.loads(capsys.readouterr().out)["visual"]["count"] == 24
    for channel in ("visual", "text"):
        local = stored_vectors(Collection.open(collections["local"]), channel)
        on_ray = stored_vectors(Collection.open(collections["ray"]), channel)
        assert sorted(on_ray) == sorted(local) and len(local) == 24
        for figure_id, vector in local.items():
            np.testing.assert_allclose(on_ray[figure_id], vector, atol=1e-5)


@pytest.mark.slow
def test_a_bad_image_read_on_ray_is_reported_by_name_as_the_local_engine_reports_it(tmp_path, capsys):
    _need_ray()
    scans = tmp_path / "scans"
    scans.mkdir()
    random_line_drawing(seed=3).save(scans / "sheet.png")
    (scans / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    reports = {}
    for engine in ("ray", "local"):
        command = ["ingest", str(scans), "--collection", str(tmp_path / engine), "-q", "--json"]
        command += ["--engine", engine, "--workers", "2" if engine == "ray" else "1"]
        assert main(command) == 3  # the folder was ingested, one of its images failed
        reports[engine] = json.loads(capsys.readouterr().out)
    assert reports["ray"] == reports["local"]
    (error,) = reports["ray"]["errors"]
    assert error["source"] == str(scans) and error["problem"].startswith("broken.png: ")
    assert stored_rows(tmp_path / "ray") == stored_rows(tmp_path / "local")


def _closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("verb", ["ingest", "index"])
def test_a_ray_address_where_no_cluster_answers_is_one_clear_error(verb, tmp_path, capsys):
    address = f"127.0.0.1:{_closed_port()}"
    collection = tmp_path / "c"
    if verb == "index":
        Collection.create(collection)
    sources = [str(tmp_path)] if verb == "ingest" else []
    command = [verb, *sources, "--collection", str(collection), "--engine", "ray", "--ray-address", address]
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"patimg {verb}: error: {address}: no Ray cluster answers there")
    assert "ray start --head" in err
    assert collection.exists() == (verb == "index")  # nothing is created for a run that cannot start


def test_a_ray_address_needs_the_ray_engine(tmp_path, capsys):
    assert main(["ingest", str(tmp_path), "--collection", str(tmp_path / "c"), "--ray-address", "auto"]) == 2
    assert capsys.readouterr().err == "patimg ingest: error: auto: a Ray address needs --engine ray\n"
