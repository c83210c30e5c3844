"""Building from a memory-mapped vector store a batch at a time (autofaiss style: small random data in a temp folder).

The batches are made a few hundred rows here, so every pass (checking, training sample, adding, the float16
copy, the tuning's ground truth) crosses many batch boundaries, as 10M vectors cross many 131,072-row ones.
"""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from patimg import matrix_rows
from patimg.errors import BadInputError
from patimg.indexes import build_index, build_memory_index, choice, compressed, load_index, search_index
from patimg.matrix_rows import NpyRowReader, NpyRowWriter, release_pages, row_batches, take_rows
from tests.test_index_scale import ENCODER, clustered, ids_for

N = 3000


@pytest.fixture(autouse=True)
def small_batches_one_thread(monkeypatch):
    monkeypatch.setattr(matrix_rows, "ROW_BATCH", 700)  # N rows: 5 batches, the last one short
    monkeypatch.setattr(choice, "AUTO_FLAT_MAX_BYTES", 1000 * ENCODER["dim"] * 4)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # see tests/test_index_scale.py
    yield
    faiss.omp_set_num_threads(before)


def stored(tmp_path, data: np.ndarray, dtype=np.float32) -> np.ndarray:
    """``data`` written as a vector store's ``.npy`` and opened as the collection opens it (memory-mapped)."""
    path = tmp_path / f"store-{np.dtype(dtype).name}.npy"
    np.save(path, data.astype(dtype))
    return np.load(path, mmap_mode="r")


def test_a_memory_mapped_store_builds_the_index_an_in_memory_build_makes(tmp_path):
    data, ids = clustered(N, seed=21), ids_for(N)
    source = stored(tmp_path, data)
    info = build_index(
        source, ids, out_dir=tmp_path / "visual", channel="visual", encoder_info=ENCODER, pq_bytes=8
    )
    in_memory = build_memory_index(data.astype(np.float64), ids, kind="auto", pq_bytes=8)
    assert info.index_type == in_memory.info["index_type"] == "ivfpq"
    for key in ("nlist", "m", "nprobe", "rerank_factor", "tuning"):
        want = in_memory.info["params"][key]
        if key == "tuning":
            want, got = {**want, "seconds": 0}, {**info.params[key], "seconds": 0}
        else:
            got = info.params[key]
        assert got == want, key
    loaded = load_index(tmp_path / "visual")
    # The float16 file was written batch by batch: each row is its source row, in order.
    assert loaded.exact.shape == (N, ENCODER["dim"]) and loaded.exact.dtype == np.float16
    np.testing.assert_array_equal(loaded.exact, data.astype(np.float16))
    # Same quantisers, same codes, same answers (ids and exact scores), filtered or not.
    queries = clustered(20, seed=22)
    allowed = set(ids[::7])
    for options in ({}, {"allowed": allowed}):
        want_scores, want_ids = search_index(in_memory, queries, k=30, **options)
        got_scores, got_ids = search_index(loaded, queries, k=30, **options)
        assert got_ids == want_ids
        np.testing.assert_array_equal(got_scores, want_scores)
    assert sorted(p.name for p in (tmp_path / "visual").iterdir()) == [
        "ids.json",
        "index.faiss",
        "index_infos.json",
        "vectors.f16.npy",
    ]  # the float16 file was renamed into place, no temporary file is left


def test_a_float16_store_is_read_as_it_is_and_copied_exactly(tmp_path):
    data, ids = clustered(N, seed=23), ids_for(N)
    source = stored(tmp_path, data, np.float16)
    info = build_index(
        source, ids, out_dir=tmp_path / "v", channel="visual", encoder_info=ENCODER, pq_bytes=8
    )
    assert info.params["tuning"]["met"]
    np.testing.assert_array_equal(np.load(tmp_path / "v" / "vectors.f16.npy"), np.asarray(source))
    _, found = search_index(load_index(tmp_path / "v"), source[5].astype(np.float32), k=1)
    assert found[0] == [ids[5]]


def test_flat_and_hnsw_read_the_store_in_batches_too(tmp_path):
    data, ids = clustered(N, seed=24), ids_for(N)
    source = stored(tmp_path, data)
    for kind in ("flat", "hnsw"):
        loaded = build_memory_index(source, ids, kind=kind)
        assert loaded.index.ntotal == N
        if kind == "flat":
            np.testing.assert_array_equal(loaded.index.reconstruct_n(0, N), data)
        _, found = search_index(loaded, data[N - 1], k=1)  # a row of the last, short batch
        assert found[0] == [ids[N - 1]]


def test_a_bad_row_in_a_late_batch_is_refused_before_anything_is_written(tmp_path):
    data, ids = clustered(N, seed=25), ids_for(N)
    data[N - 2] *= 3  # not normalised, in the last batch
    with pytest.raises(BadInputError, match="L2-normalised"):
        build_index(stored(tmp_path, data), ids, out_dir=tmp_path / "v", channel="v", encoder_info=ENCODER)
    assert not (tmp_path / "v").exists()


def test_an_interrupted_build_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("patimg.indexes.build.tune", interrupted)
    data, ids = clustered(N, seed=26), ids_for(N)
    with pytest.raises(KeyboardInterrupt):
        build_index(stored(tmp_path, data), ids, out_dir=tmp_path / "v", channel="v", encoder_info=ENCODER)
    assert not any((tmp_path / "v").iterdir())


def test_tuning_ground_truth_in_one_pass_equals_one_pass_per_filter(tmp_path):
    data = clustered(N, seed=27)
    source = stored(tmp_path, data)
    queries = clustered(5, seed=28)
    mask = np.random.default_rng(0).random(N) < 0.1
    both = compressed.exact_tops(source, queries, 11, [None, mask])
    for got, allowed in zip(both, [None, mask], strict=True):
        scores = data @ queries.T
        if allowed is not None:
            scores[~allowed] = -np.inf
        want = np.argsort(-scores, axis=0, kind="stable")[:11].T
        np.testing.assert_array_equal(got, want)


def test_row_helpers_read_write_and_release_a_memory_map(tmp_path):
    data = np.random.default_rng(0).standard_normal((2500, 8)).astype(np.float32)
    path = tmp_path / "rows.npy"
    with NpyRowWriter(path, 2500, 8, np.float16) as out:
        for _, rows in row_batches(data):
            out.write(rows)
    mapped = np.load(path, mmap_mode="r")
    np.testing.assert_array_equal(mapped, data.astype(np.float16))
    assert [first for first, _ in row_batches(mapped)] == [0, 700, 1400, 2100]
    picked = np.array([3, 699, 700, 2499])
    np.testing.assert_array_equal(
        take_rows(mapped, picked), data.astype(np.float16)[picked].astype(np.float32)
    )
    reader = NpyRowReader(path)  # plain reads, no mapping
    assert len(reader) == 2500 and reader.dtype == np.float16
    np.testing.assert_array_equal(reader[picked], data.astype(np.float16)[picked])
    reader.close()
    release_pages(mapped, 0, 2500)  # pages dropped from this process are read back from the file
    release_pages(np.asarray(mapped)[100:], 0, 50)  # a view of the map, not at its start
    np.testing.assert_array_equal(mapped, data.astype(np.float16))
    with pytest.raises(ValueError, match="2 rows written, 3 announced"):
        with NpyRowWriter(tmp_path / "short.npy", 3, 8, np.float32) as out:
            out.write(data[:2])
