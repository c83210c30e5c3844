"""Searching a channel's FAISS index: top-k by inner product, with figure-id filters that really return k,
and the compressed kind's candidates re-ranked with its exact vectors.

Split from :mod:`patimg.indexes` (building, loading, updating) to keep each module readable; import
``search_index`` from either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from patimg.errors import BadInputError

if TYPE_CHECKING:
    from patimg.indexes import LoadedIndex


def _selector_params(index: Any, positions: np.ndarray, *, ef: int | None = None, nprobe: int | None = None):
    import faiss

    selector = faiss.IDSelectorBatch(positions)
    if hasattr(index, "hnsw"):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef or index.hnsw.efSearch)
    elif faiss.try_extract_index_ivf(index) is not None:
        ivf = faiss.extract_index_ivf(index)
        params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe or ivf.nprobe)
    else:
        params = faiss.SearchParameters(sel=selector)
    return params, selector  # the selector must outlive the search


def search_index(
    loaded: LoadedIndex,
    queries: Any,
    k: int,
    *,
    allowed: Iterable[str] | None = None,
    allowed_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[str | None]]]:
    """Top-``k`` ids by inner product for each query row.

    Args:
        loaded: From :func:`load_index`.
        queries: ``(nq, dim)`` or ``(dim,)`` float32 query vectors (normalised).
        k: Results per query.
        allowed: Only these figure ids may be returned (filters). FAISS applies the id selector inside
            the search; approximate indexes are re-searched with a wider beam (HNSW efSearch / IVF nprobe,
            doubling up to exhaustive) until ``min(k, allowed)`` results come back.
        allowed_rows: The same restriction as sorted index rows, for a caller that knows them (the
            searcher: no set of a million ids a query); not with ``allowed``.

    Returns:
        ``(scores, ids)``: ``scores`` is ``(nq, k)`` float32 (``-inf`` where fewer than ``k`` results), ``ids``
        the figure ids row by row, ``None`` in the unfilled slots.
    """
    if k < 1:
        raise BadInputError("k", f"must be positive, got {k}")
    if allowed is not None and allowed_rows is not None:
        raise BadInputError("allowed", "give allowed ids or allowed rows, not both")
    positions = allowed_rows
    if allowed is not None:
        positions = np.array(
            sorted({loaded.positions[f] for f in allowed if f in loaded.positions}), dtype=np.int64
        )
    scores, rows = search_rows(loaded, queries, k, positions=positions)
    return _pad(scores, rows, loaded.ids, k)


def search_rows(
    loaded: LoadedIndex, queries: Any, k: int, *, positions: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`search_index` by index rows: ``(scores, rows)``, each ``(nq, min(k, allowed))``, row -1 unfilled.

    An index with exact vectors beside it (the compressed kind) is searched for ``rerank_factor * k``
    candidates, which :func:`rerank` re-scores exactly; the filter applies to the candidates, so a filtered
    search re-ranks allowed rows only.

    Args:
        positions: Sorted allowed rows (``None``: all).
    """
    index = loaded.index
    matrix = np.ascontiguousarray(np.asarray(queries, dtype=np.float32).reshape(-1, index.d))
    available = index.ntotal if positions is None else len(positions)
    wanted = min(k, available)
    if wanted == 0:
        return np.zeros((len(matrix), 0), np.float32), np.zeros((len(matrix), 0), np.int64)
    depth = min(available, wanted * max(1, loaded.rerank_factor) if loaded.exact is not None else wanted)
    if positions is None:
        scores, rows = index.search(matrix, depth)
    else:
        scores, rows = _post_filtered_search(index, matrix, positions, depth)
        if scores is None:
            scores, rows = _filtered_search(index, matrix, positions, depth)
    if loaded.exact is not None:
        scores, rows = rerank(loaded.exact, matrix, rows, wanted)
    return scores, rows


def rerank(exact: np.ndarray, queries: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` of each query's candidate ``rows`` (-1: none) by inner product with the exact vectors.

    Compressed codes only approximate the scores, so their order among close candidates is noise; the float16
    vectors restore the exact order (to float16 precision, about 1e-3). Rows are read in ascending order, so a
    memory-mapped file is read front to back. Ties keep the lower row first.
    """
    nq = len(rows)
    out_scores = np.full((nq, k), -np.inf, np.float32)
    out_rows = np.full((nq, k), -1, np.int64)
    for q in range(nq):
        candidates = np.unique(rows[q][rows[q] >= 0])  # sorted, and an id returned twice counts once
        if not len(candidates):
            continue
        scores = np.asarray(exact[candidates], dtype=np.float32) @ queries[q]
        top = np.argsort(-scores, kind="stable")[:k]
        out_scores[q, : len(top)] = scores[top]
        out_rows[q, : len(top)] = candidates[top]
    return out_scores, out_rows


#: When a filter excludes at most this many rows (typically: only the query figure), search without a
#: selector for ``k + excluded`` hits and drop the excluded ones; cheaper than a selector over every row.
POST_FILTER_MAX_EXCLUDED = 1000


def _post_filtered_search(index: Any, matrix: np.ndarray, positions: np.ndarray, wanted: int):
    """``(scores, rows)`` of allowed rows only, or ``(None, None)`` when this shortcut does not apply."""
    excluded = index.ntotal - len(positions)
    if excluded > POST_FILTER_MAX_EXCLUDED:
        return None, None
    scores, rows = index.search(matrix, min(index.ntotal, wanted + excluded))
    keep = np.isin(rows, positions) & (rows >= 0)
    out_scores = np.full((len(rows), wanted), -np.inf, np.float32)
    out_rows = np.full((len(rows), wanted), -1, np.int64)
    for q in range(len(rows)):
        chosen = np.flatnonzero(keep[q])[:wanted]
        if len(chosen) < wanted:  # an approximate index came back short: use the selector path
            return None, None
        out_scores[q], out_rows[q] = scores[q, chosen], rows[q, chosen]
    return out_scores, out_rows


def _filtered_search(index: Any, matrix: np.ndarray, positions: np.ndarray, k: int):
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    ef = index.hnsw.efSearch if hasattr(index, "hnsw") else None
    nprobe = ivf.nprobe if ivf is not None else None
    while True:
        params, _selector = _selector_params(index, positions, ef=ef, nprobe=nprobe)
        scores, rows = index.search(matrix, k, params=params)
        complete = bool((rows >= 0).sum(axis=1).min() >= k)
        if complete:
            return scores, rows
        if ef is not None and ef < index.ntotal:
            ef = min(index.ntotal, max(ef * 2, k))
        elif ivf is not None and nprobe < ivf.nlist:
            nprobe = min(ivf.nlist, nprobe * 2)
        else:
            return scores, rows


def _pad(scores: np.ndarray, rows: np.ndarray, ids: list[str], k: int):
    nq = len(rows)
    out_scores = np.full((nq, k), -np.inf, np.float32)
    out_ids: list[list[str | None]] = []
    for q in range(nq):
        row_ids: list[str | None] = []
        for j, position in enumerate(rows[q][:k]):
            if position >= 0:
                out_scores[q, len(row_ids)] = scores[q, j]
                row_ids.append(ids[position])
        out_ids.append(row_ids + [None] * (k - len(row_ids)))
    return out_scores, out_ids
