"""FAISS channel indexes: exactness, files on disk, appends, filtered search, torn writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from patimg.errors import BadInputError, PatImgError
from patimg.indexes import add_to_index, build_index, build_memory_index, choice, load_index, search_index

ENCODER = {"name": "test-encoder", "weights": "none", "dim": 32, "versions": {}}


def unit_rows(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def ids_for(n: int, prefix: str = "F") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def test_flat_index_matches_brute_force_and_round_trips(tmp_path):
    vectors, ids = unit_rows(500), ids_for(500)
    info = build_index(vectors, ids, out_dir=tmp_path / "visual", channel="visual", encoder_info=ENCODER)
    assert info.index_type == "flat" and info.count == 500 and info.dim == 32
    stored = json.loads((tmp_path / "visual" / "index_infos.json").read_text())
    assert stored["encoder"] == ENCODER and stored["versions"]["faiss"]
    assert not list((tmp_path / "visual").glob(".*.tmp"))  # no temp files left behind
    loaded = load_index(tmp_path / "visual")
    queries = unit_rows(3, seed=1)
    scores, found = search_index(loaded, queries, k=10)
    exact = queries @ vectors.T
    for q in range(3):
        order = np.argsort(-exact[q], kind="stable")[:10]
        assert found[q] == [ids[i] for i in order]
        np.testing.assert_allclose(scores[q], exact[q][order], rtol=1e-5, atol=1e-6)


def test_add_appends_without_touching_existing_vectors(tmp_path):
    out = tmp_path / "text"
    build_index(unit_rows(100), ids_for(100), out_dir=out, channel="text", encoder_info=ENCODER)
    new = unit_rows(5, seed=7)
    info = add_to_index(out, new, ids_for(5, prefix="N"))
    assert info.count == 105
    loaded = load_index(out)
    _, found = search_index(loaded, new, k=1)
    assert [row[0] for row in found] == ids_for(5, prefix="N")
    with pytest.raises(BadInputError, match="already in the index"):
        add_to_index(out, new[:1], ["F00003"])


def test_auto_flat_becomes_compressed_when_it_grows_past_the_threshold(tmp_path, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 300 * 32 * 4)  # 300 vectors of 32 dimensions
    out = tmp_path / "visual"
    build_index(unit_rows(250), ids_for(250), out_dir=out, channel="visual", encoder_info=ENCODER)
    assert not (out / "vectors.f16.npy").exists()
    info = add_to_index(out, unit_rows(1750, seed=3), ids_for(1750, prefix="N"))
    assert info.index_type == "ivfpq" and info.count == 2000 and "rebuilt as ivfpq" in info.note
    assert info.params["trained_on"] == 2000 and "tuning" in info.params
    loaded = load_index(out)
    assert loaded.exact is not None and len(loaded.exact) == 2000
    _, found = search_index(loaded, unit_rows(250)[:1], k=1)
    assert found[0][0] == "F00000"  # the old vectors were carried over exactly


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_filtered_search_returns_k_allowed_results(kind):
    vectors, ids = unit_rows(3000, seed=2), ids_for(3000)
    loaded = build_memory_index(vectors, ids, kind=kind, nlist=16, pq_bytes=8, nprobe=1, ef_search=16)
    assert loaded.info["index_type"] == kind
    allowed = set(ids[::97])  # 31 scattered figures
    query = vectors[5:6]  # its nearest neighbours are not allowed
    scores, found = search_index(loaded, query, k=20, allowed=allowed)
    assert len([f for f in found[0] if f is not None]) == 20
    assert set(found[0]) <= allowed
    assert list(scores[0]) == sorted(scores[0], reverse=True)
    # Everything but the query itself (the post-filter shortcut): exactly the unfiltered list minus the query.
    _, unfiltered = search_index(loaded, query, k=21)
    _, but_query = search_index(loaded, query, k=20, allowed=set(ids) - {"F00005"})
    if kind == "flat":
        assert but_query[0] == [f for f in unfiltered[0] if f != "F00005"][:20]
    assert "F00005" not in but_query[0] and None not in but_query[0]
    # Fewer allowed than k: all of them, then empty slots.
    _, few = search_index(loaded, query, k=10, allowed={"F00001", "F00002", "missing"})
    assert sorted(f for f in few[0] if f) == ["F00001", "F00002"] and few[0][2:] == [None] * 8


def test_ivfpq_with_too_few_vectors_falls_back_to_flat(tmp_path):
    info = build_index(
        unit_rows(50), ids_for(50), out_dir=None, channel="visual", encoder_info=ENCODER, kind="ivfpq"
    )
    assert info.index_type == "flat" and info.requested_kind == "ivfpq"


def test_empty_index_and_bad_inputs(tmp_path):
    info = build_index(
        np.zeros((0, 32), np.float32), [], out_dir=tmp_path / "t", channel="text", encoder_info=ENCODER
    )
    assert info.count == 0
    scores, found = search_index(load_index(tmp_path / "t"), unit_rows(1), k=3)
    assert found == [[None, None, None]] and np.isneginf(scores).all()
    with pytest.raises(BadInputError, match="L2-normalised"):
        build_index(unit_rows(4) * 2, ids_for(4), out_dir=None, channel="v", encoder_info=ENCODER)
    blank = np.vstack([unit_rows(2), np.zeros((1, 32), np.float32)])  # a blank drawing's zero vector
    assert build_index(blank, ["x", "y", "z"], out_dir=None, channel="v", encoder_info=ENCODER).count == 3
    with pytest.raises(BadInputError, match="duplicate"):
        build_index(unit_rows(2), ["x", "x"], out_dir=None, channel="v", encoder_info=ENCODER)
    with pytest.raises(BadInputError, match="dimension"):
        build_index(unit_rows(2, dim=16), ["x", "y"], out_dir=None, channel="v", encoder_info=ENCODER)
    with pytest.raises(BadInputError):
        build_index(unit_rows(2), ["x", "y"], out_dir=None, channel="v", encoder_info=ENCODER, kind="lsh")


def test_torn_or_missing_files_are_detected(tmp_path):
    out = tmp_path / "visual"
    build_index(unit_rows(10), ids_for(10), out_dir=out, channel="visual", encoder_info=ENCODER)
    (out / "ids.json").write_text(json.dumps(ids_for(9)))
    with pytest.raises(PatImgError, match="inconsistent"):
        load_index(out)
    (out / "index.faiss").unlink()
    with pytest.raises(PatImgError, match="index.faiss"):
        load_index(out)


def test_auto_switches_earlier_for_wide_vectors(monkeypatch):
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 300 * 32 * 4)
    narrow = build_memory_index(unit_rows(300, dim=32), ids_for(300), kind="auto")
    wide = build_memory_index(unit_rows(300, dim=64), ids_for(300), kind="auto")
    assert narrow.info["index_type"] == "flat" and wide.info["index_type"] == "ivfpq"
