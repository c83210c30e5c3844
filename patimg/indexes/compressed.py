"""The compressed index kind: IVF-PQ codes in RAM, candidates re-ranked with exact float16 vectors on disk.

Product quantisation keeps 64 bytes of a 512-d vector (32 times less than float32), which is what lets 10M
figures fit in RAM, but its scores are approximate: alone it finds a third of the true top 50 (measured,
README). The exact vectors are therefore kept too, as float16 in ``vectors.f16.npy`` beside the index and
memory-mapped: a query reads only the ``rerank_factor * k`` rows it re-ranks (:func:`~.search.rerank`), so RAM
holds the codes and the coarse centroids only.

Here: training and filling the index (:func:`build_ivfpq`) and tuning its search parameters to the recall target
on the collection's own vectors (:func:`tune`); the rules (sizes, target, the ladders tried) are in
:mod:`.choice`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from patimg.indexes.choice import (
    RECALL_K,
    RECALL_TARGET,
    RERANK_FACTORS,
    TUNING_FILTER_FRACTION,
    TUNING_QUERIES,
    ivf_training_sample,
    nprobe_ladder,
)
from patimg.matrix_rows import row_batches, take_rows

#: Rows scored against the queries at a time by the exact search that tuning measures recall against.
SCORE_BATCH = 16_384

#: The float16 exact vectors of a compressed index, row-aligned with it.
HALF_VECTORS_FILE = "vectors.f16.npy"


def build_ivfpq(
    matrix: np.ndarray, *, nlist: int, m: int, each_batch: Callable[[int, np.ndarray], None] | None = None
) -> Any:
    """A trained ``IVF<nlist>,PQ<m>np`` inner-product index holding every row of ``matrix``.

    ``np``: no polysemous training, which costs minutes and only helps Hamming-filtered search. The quantisers
    are trained on a fixed-seed sample (:func:`~.choice.ivf_training_sample`), then rows are encoded a batch at
    a time; ``each_batch(first_row, rows)`` sees each float32 batch after it is added (the build writes the
    float16 exact vectors there, so the matrix is read once).
    """
    import faiss

    n, dim = matrix.shape
    index = faiss.index_factory(dim, f"IVF{nlist},PQ{m}np", faiss.METRIC_INNER_PRODUCT)
    sample_size = ivf_training_sample(n, nlist)
    rows = (
        np.sort(np.random.default_rng(0).choice(n, sample_size, replace=False)) if sample_size < n else None
    )
    index.train(take_rows(matrix, np.arange(n) if rows is None else rows))
    for first, batch in row_batches(matrix):
        index.add(batch)
        if each_batch is not None:
            each_batch(first, batch)
    return index


def exact_top(
    matrix: np.ndarray, queries: np.ndarray, k: int, *, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Rows of the exact top ``k`` of each query (``(nq, k)``, best first), scanning ``matrix`` in batches.

    Args:
        allowed: Boolean mask of the rows that may be returned (``None``: all).
    """
    return exact_tops(matrix, queries, k, [allowed])[0]


def exact_tops(
    matrix: np.ndarray, queries: np.ndarray, k: int, masks: Sequence[np.ndarray | None]
) -> list[np.ndarray]:
    """:func:`exact_top` under each of several masks (``None``: every row), in one pass over ``matrix``
    (at 10M float32 vectors a pass reads 20 GB).

    Rows are scored :data:`SCORE_BATCH` at a time and only each block's own top ``k`` joins the running best,
    so the temporary arrays stay a few tens of MB whatever the size of the matrix.
    """
    nq = len(queries)
    best_scores = [np.full((nq, 0), -np.inf, np.float32) for _ in masks]
    best_rows = [np.zeros((nq, 0), np.int64) for _ in masks]
    for start, batch in row_batches(matrix):
        for offset in range(0, len(batch), SCORE_BATCH):
            block = batch[offset : offset + SCORE_BATCH]
            first = start + offset
            block_scores = queries @ block.T
            for which, allowed in enumerate(masks):
                scores = block_scores
                if allowed is not None:
                    scores = np.where(allowed[first : first + len(block)], block_scores, np.float32(-np.inf))
                rows = np.broadcast_to(np.arange(first, first + len(block)), scores.shape)
                scores, rows = _top(scores, rows, k)
                scores = np.concatenate([best_scores[which], scores], axis=1)
                rows = np.concatenate([best_rows[which], rows], axis=1)
                best_scores[which], best_rows[which] = _top(scores, rows, k)
    tops = []
    for scores, rows in zip(best_scores, best_rows, strict=True):
        order = np.argsort(-scores, axis=1, kind="stable")
        rows = np.take_along_axis(rows, order, axis=1)
        rows[np.take_along_axis(scores, order, axis=1) == -np.inf] = -1
        tops.append(rows)
    return tops


def _top(scores: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The (at most) ``k`` best columns of each row of ``scores``, with their ``rows``, in no order."""
    if scores.shape[1] <= k:
        return scores, np.ascontiguousarray(rows)
    keep = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return np.take_along_axis(scores, keep, axis=1), np.take_along_axis(rows, keep, axis=1)


def recall_at(found: np.ndarray, truth: np.ndarray, own: np.ndarray, k: int) -> float:
    """Mean share of the true top ``k`` found in the returned top ``k``, each query's own row left out of both
    (a figure is not its own neighbour: the app excludes it)."""
    total = 0.0
    for q in range(len(truth)):
        true = [r for r in truth[q] if r >= 0 and r != own[q]][:k]
        got = [r for r in found[q] if r >= 0 and r != own[q]][:k]
        total += len(set(got) & set(true)) / max(1, len(true))
    return total / max(1, len(truth))


def tune(
    index: Any,
    matrix: np.ndarray,
    exact: np.ndarray,
    *,
    target: float = RECALL_TARGET,
    k: int = RECALL_K,
    queries: int = TUNING_QUERIES,
) -> dict[str, Any]:
    """Choose ``nprobe`` and the re-ranking factor that reach ``target`` recall@``k`` against exact search.

    The queries are a fixed-seed sample of the collection's own rows; each is searched unfiltered and with a
    filter letting :data:`~.choice.TUNING_FILTER_FRACTION` of the rows through, through the same search path
    a collection's searches take (:func:`~.search.search_rows`). ``nprobe`` rises along
    :func:`~.choice.nprobe_ladder`, and for each the factors of :data:`~.choice.RERANK_FACTORS` are tried,
    smallest first; the first pair that reaches the target on both wins. When none does (tiny or unclustered
    collections), the widest search is kept and the infos say the target was not met.

    Args:
        index: The trained, filled IVF index (its ``nprobe`` is left at the choice).
        matrix: The vectors as the build was given them (the ground truth; read a batch at a time).
        exact: The float16 copy the searches re-rank with (an array, or a reader of its file's rows).

    Returns:
        ``{"nprobe", "rerank_factor", "recall_at_50", "filtered_recall_at_50", "target", "met", ...}`` (the
        recall keys name the ``k``).
    """
    import faiss

    from patimg.indexes.loaded import LoadedIndex
    from patimg.indexes.search import search_rows

    started = time.perf_counter()
    n = len(matrix)
    rng = np.random.default_rng(1)
    own = np.sort(rng.choice(n, min(queries, n), replace=False))
    sample = take_rows(matrix, own)
    allowed = rng.random(n) < TUNING_FILTER_FRACTION
    positions = np.flatnonzero(allowed)
    truth, filtered_truth = exact_tops(matrix, sample, k + 1, [None, allowed])
    ivf = faiss.extract_index_ivf(index)
    loaded = LoadedIndex(index=index, ids=[], info={}, exact=exact)
    chosen = None
    for nprobe in nprobe_ladder(ivf.nlist):
        ivf.nprobe = nprobe
        for factor in RERANK_FACTORS:
            loaded.rerank_factor = factor
            recall = recall_at(search_rows(loaded, sample, k + 1)[1], truth, own, k)
            if recall < target and (factor, nprobe) != (RERANK_FACTORS[-1], ivf.nlist):
                continue
            found = search_rows(loaded, sample, k + 1, positions=positions)[1]
            filtered = recall_at(found, filtered_truth, own, k)
            chosen = {"nprobe": nprobe, "rerank_factor": factor, "recall": recall, "filtered": filtered}
            if filtered >= target and recall >= target:
                break
        if chosen and chosen["recall"] >= target and chosen["filtered"] >= target:
            break
    assert chosen is not None  # the last pair of the ladders is always measured
    ivf.nprobe = chosen["nprobe"]
    return {
        "nprobe": chosen["nprobe"],
        "rerank_factor": chosen["rerank_factor"],
        f"recall_at_{k}": round(chosen["recall"], 4),
        f"filtered_recall_at_{k}": round(chosen["filtered"], 4),
        "target": target,
        "met": chosen["recall"] >= target and chosen["filtered"] >= target,
        "k": k,
        "queries": len(own),
        "filter_fraction": TUNING_FILTER_FRACTION,
        "seconds": round(time.perf_counter() - started, 1),
    }
