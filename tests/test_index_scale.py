"""The compressed index kind at small scale (autofaiss style: small random data in a temp folder).

IVF-PQ codes with exact float16 re-ranking: chosen by size and memory budget, tuned to recall@50 >= 0.95,
filtered inside the search, grown without retraining until it asks to be retrained, loaded memory-mapped.
"""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from patimg.errors import PatImgError
from patimg.indexes import add_to_index, build_index, build_memory_index, choice, load_index, search_index
from patimg.indexes.search import rerank

DIM = 32
ENCODER = {"name": "test-encoder", "weights": "none", "dim": DIM, "versions": {}}


@pytest.fixture(autouse=True)
def one_faiss_thread():
    """FAISS's OpenMP threads spin against each other on a shared 2-core machine (a 300-vector PQ training
    takes 13 s with 2 threads, 0.2 s with one); these tests are small, so one thread."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(before)


def clustered(n: int, dim: int = DIM, *, centres: int = 40, seed: int = 0, spread: float = 0.6) -> np.ndarray:
    """Unit rows around random centres, like real embeddings (neighbours share a cluster)."""
    rng = np.random.default_rng(seed)
    middle = np.random.default_rng(99).standard_normal((centres, dim)).astype(np.float32)
    rows = middle[rng.integers(0, centres, n)] + spread * rng.standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def ids_for(n: int, prefix: str = "F") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def exact_ids(vectors: np.ndarray, ids: list[str], query: np.ndarray, k: int, allowed=None) -> list[str]:
    scores = vectors @ query
    if allowed is not None:
        scores = np.where([i in allowed for i in ids], scores, -np.inf)
    return [ids[i] for i in np.argsort(-scores, kind="stable")[:k]]


def test_choice_by_size_and_memory_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 1000 * DIM * 4)  # exact search up to 1000 vectors
    small = build_index(
        clustered(1000), ids_for(1000), out_dir=tmp_path / "s", channel="v", encoder_info=ENCODER
    )
    assert small.index_type == "flat" and "exact search is fast" in small.params["choice"]
    assert not (tmp_path / "s" / "vectors.f16.npy").exists()
    large = build_index(
        clustered(3000), ids_for(3000), out_dir=tmp_path / "l", channel="v", encoder_info=ENCODER, pq_bytes=8
    )
    assert large.index_type == "ivfpq" and "compressed codes" in large.params["choice"]
    stored = json.loads((tmp_path / "l" / "index_infos.json").read_text())
    assert stored["params"]["nprobe"] >= 1 and stored["params"]["rerank_factor"] in choice.RERANK_FACTORS
    assert stored["params"]["tuning"]["recall_at_50"] >= 0.95 and stored["params"]["tuning"]["met"] is True
    assert stored["params"]["exact_vectors"] == "vectors.f16.npy" and stored["params"]["trained_on"] == 3000
    assert np.load(tmp_path / "l" / "vectors.f16.npy").dtype == np.float16
    # A memory budget smaller than the vectors moves "auto" off exact search, and shrinks the codes to fit.
    assert choice.auto_kind(500, DIM, memory_budget=500 * DIM * 4 - 1)[0] == "ivfpq"
    assert choice.pq_bytes_for_budget(10**6, 512, 1000, memory_budget=2**40) == 64
    assert choice.pq_bytes_for_budget(10**6, 512, 1000, memory_budget=50 * 10**6) == 32
    assert choice.pq_bytes_for_budget(10**6, 512, 1000, memory_budget=10**6) == 8  # none fits: the smallest


def test_rerank_restores_the_exact_order_of_the_candidates():
    vectors = clustered(500)
    half = vectors.astype(np.float16)
    queries = clustered(3, seed=5)
    rng = np.random.default_rng(3)
    candidates = np.stack([rng.choice(500, 60, replace=False) for _ in range(3)])
    candidates[0, :5] = -1  # unfilled slots are skipped
    scores, rows = rerank(half, queries, candidates, 10)
    for q in range(3):
        pool = candidates[q][candidates[q] >= 0]
        exact = half[pool].astype(np.float32) @ queries[q]
        assert list(rows[q]) == list(pool[np.argsort(-exact, kind="stable")[:10]])
        np.testing.assert_allclose(scores[q], vectors[rows[q]] @ queries[q], atol=2e-3)
    # End to end: the compressed index's results carry exact scores in exact order; codes alone do not.
    ids = ids_for(3000)
    data = clustered(3000)
    reranked = build_memory_index(data, ids, kind="ivfpq", nlist=16, pq_bytes=4, nprobe=16, rerank=10)
    codes_only = build_memory_index(data, ids, kind="ivfpq", nlist=16, pq_bytes=4, nprobe=16, rerank=0)
    assert codes_only.exact is None and reranked.exact is not None
    query = data[7]
    truth = exact_ids(data, ids, query, 50)
    got_scores, got = search_index(reranked, query, k=50)
    np.testing.assert_allclose(got_scores[0], data[[ids.index(f) for f in got[0]]] @ query, atol=2e-3)
    assert len(set(got[0]) & set(truth)) >= 48
    _, approximate = search_index(codes_only, query, k=50)
    assert len(set(approximate[0]) & set(truth)) < len(set(got[0]) & set(truth))


def test_filters_inside_the_search_return_k_reranked_results():
    data, ids = clustered(4000, seed=2), ids_for(4000)
    loaded = build_memory_index(data, ids, kind="ivfpq", nlist=32, pq_bytes=8, nprobe=1, rerank=4)
    rng = np.random.default_rng(4)
    allowed = {f for f in ids if rng.random() < 0.1}
    found_all = []
    for q in range(20):
        scores, found = search_index(loaded, data[q], k=50, allowed=allowed)
        assert None not in found[0] and set(found[0]) <= allowed and len(set(found[0])) == 50
        assert list(scores[0]) == sorted(scores[0], reverse=True)
        found_all.append(len(set(found[0]) & set(exact_ids(data, ids, data[q], 50, allowed))) / 50)
    assert np.mean(found_all) >= 0.9  # nprobe=1 widened until 200 allowed candidates, then re-ranked
    # A filter letting 30 through, k=40: all 30, then empty slots.
    few = set(ids[::134])
    _, found = search_index(loaded, data[0], k=40, allowed=few)
    assert sorted(f for f in found[0] if f) == sorted(few) and found[0][30:] == [None] * 10


def quantisers(index) -> tuple[np.ndarray, np.ndarray]:
    """The trained state of an IVF-PQ index: coarse centroids and PQ codebooks."""
    ivfpq = faiss.downcast_index(faiss.extract_index_ivf(index))
    coarse = faiss.downcast_index(ivfpq.quantizer).reconstruct_n(0, ivfpq.nlist)
    return coarse, faiss.vector_to_array(ivfpq.pq.centroids)


def test_incremental_add_keeps_the_training_until_it_asks_to_retrain(tmp_path, monkeypatch):
    from patimg.indexes.growing import write_channel_index

    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 500 * DIM * 4)
    data = clustered(4500, seed=6)
    ids = ids_for(4500)
    out = tmp_path / "g1" / "visual"
    build_index(data[:1000], ids[:1000], out_dir=out, channel="visual", encoder_info=ENCODER, pq_bytes=8)
    before = load_index(out, mmap=False)
    trained = quantisers(before.index)
    info = add_to_index(out, data[1000:1500], ids[1000:1500])
    after = load_index(out)
    assert info.count == 1500 and info.params["trained_on"] == 1000 and not info.params["needs_retrain"]
    for old, new in zip(trained, quantisers(after.index), strict=True):
        np.testing.assert_array_equal(old, new)  # not retrained
    assert len(after.exact) == 1500 and after.info["params"]["nprobe"] == before.info["params"]["nprobe"]
    _, found = search_index(after, data[1200], k=1)
    assert found[0] == ["F01200"]  # a new vector is found (and its exact score re-ranks it first)
    # Past RETRAIN_FACTOR x the training set, the index says it must be retrained ...
    info = add_to_index(out, data[1500:4001], ids[1500:4001])
    assert info.params["needs_retrain"] and "retrains it" in info.note and info.count == 4001
    # ... and the next `patimg index` rebuilds it from the vectors, trained on all of them.
    vectors = data[:4001]
    previous = dict(zip(ids[:4001], vectors, strict=True))
    rebuilt = write_channel_index(
        out, tmp_path / "g2" / "visual", "visual", ids[:4001], vectors, previous, ENCODER, "auto"
    )
    assert rebuilt["params"]["trained_on"] == 4001 and not rebuilt["params"].get("needs_retrain")
    assert "retrain" in rebuilt["note"]
    # Without the flag, the same call grows the index instead.
    grown = write_channel_index(
        tmp_path / "g2" / "visual", tmp_path / "g3" / "visual", "visual", ids, data, previous, ENCODER, "auto"
    )
    assert grown["count"] == 4500 and grown["params"]["trained_on"] == 4001


def test_reload_is_memory_mapped_and_checks_the_exact_vectors(tmp_path, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 1000 * DIM * 4)
    out = tmp_path / "visual"
    data = clustered(3000, seed=8)
    build_index(data, ids_for(3000), out_dir=out, channel="visual", encoder_info=ENCODER, pq_bytes=8)
    loaded = load_index(out)
    assert isinstance(loaded.exact, np.memmap) and loaded.exact.dtype == np.float16
    lists = faiss.downcast_InvertedLists(faiss.extract_index_ivf(loaded.index).invlists)
    assert isinstance(lists, faiss.OnDiskInvertedLists)  # the codes stay in the file until read
    assert loaded.rerank_factor == loaded.info["params"]["rerank_factor"] > 1
    _, found = search_index(loaded, data[11], k=3)
    assert found[0][0] == "F00011"
    np.save(out / "vectors.f16.npy", np.zeros((2999, DIM), np.float16))  # a torn exact-vectors file
    with pytest.raises(PatImgError, match="2999 exact vectors"):
        load_index(out)
    (out / "vectors.f16.npy").unlink()
    with pytest.raises(PatImgError, match="vectors.f16.npy"):
        load_index(out)


def test_auto_tuned_parameters_reach_the_recall_target_on_new_queries(monkeypatch):
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 1000 * 64 * 4)
    data, ids = clustered(5000, dim=64, centres=50, seed=10), ids_for(5000)
    loaded = build_memory_index(data, ids, kind="auto", pq_bytes=16)
    tuning = loaded.info["params"]["tuning"]
    assert loaded.info["index_type"] == "ivfpq" and tuning["met"], tuning
    # Queries the tuning never saw: perturbed copies of collection vectors, unfiltered and 10% filtered.
    rng = np.random.default_rng(11)
    queries = data[rng.integers(0, 5000, 100)] + 0.3 * clustered(100, dim=64, seed=12)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    allowed = {f for f in ids if rng.random() < 0.1}
    _, found = search_index(loaded, queries, k=50)
    _, filtered = search_index(loaded, queries, k=50, allowed=allowed)
    recall = np.mean(
        [len(set(found[q]) & set(exact_ids(data, ids, queries[q], 50))) / 50 for q in range(100)]
    )
    mask = np.array([f in allowed for f in ids])
    filtered_recall = np.mean(
        [
            len(
                set(filtered[q])
                & {ids[i] for i in np.argsort(-np.where(mask, data @ queries[q], -np.inf))[:50]}
            )
            / 50
            for q in range(100)
        ]
    )
    assert recall >= 0.95 and filtered_recall >= 0.95, (recall, filtered_recall, tuning)
