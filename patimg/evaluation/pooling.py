"""The pool annotators judge for a query: the union of every method's top results, in a blind order.

The paper's protocol (Pustu-Iren et al. 2021, Table 1): for every query, the top 50 results of every method
(textual, visual, re-ranking max and avg; PatImg adds rrf and weighted) are pooled and judged once, and every
method is then scored on the same judgments. The pool is shown in an order that hides which method found what.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence

from patimg.errors import BadInputError
from patimg.evaluation.queries import QuerySpec
from patimg.evaluation.runs import method_runs
from patimg.evaluation.trec import ranked
from patimg.vocabulary import METHODS, Method


def pool(runs: Mapping[str, Sequence[str]], *, depth: int = 50, seed: str | int = "") -> list[str]:
    """Documents to judge for one query: the union of every method's top ``depth``, shuffled.

    The order hides which method found what (and at which rank), so the annotator is not biased: the
    union is sorted, then shuffled by a generator seeded with ``seed`` (pass the query id), so the same
    runs always give the same list whatever order the methods come in.

    Args:
        runs: Method name -> its ranked document ids for this query, best first.
        depth: How many results of each method enter the pool.
        seed: Seed of the shuffle; use the query id.

    Returns:
        Distinct document ids.
    """
    if depth < 1:
        raise ValueError(f"pool depth must be >= 1, got {depth}")
    union = sorted({doc for ranked in runs.values() for doc in list(ranked)[:depth]})
    seed_int = int.from_bytes(hashlib.sha256(str(seed).encode("utf-8")).digest()[:8], "big")
    random.Random(seed_int).shuffle(union)
    return union


def build_pool(
    searcher,
    query: QuerySpec,
    *,
    depth: int = 50,
    methods: Sequence[Method] = METHODS,
    seed: str = "",
    user: str | None = None,
    query_id: str = "",
) -> list[str]:
    """The figures to judge for one query: the union of every method's top ``depth``, in a blind order.

    The order is a shuffle of the sorted union seeded by ``seed`` (pass the query id), so it does not
    depend on which method found what, at which rank, or on the order of ``methods``; every annotator of
    the same query on the same index sees the same list.

    Args:
        searcher: The collection's :class:`patimg.search.Searcher`.
        query: What to search for.
        depth: How many results of each method enter the pool (the paper: 50).
        methods: The methods whose results are pooled; default all six of :data:`patimg.vocabulary.METHODS`.
        seed: Shuffle seed; default ``query_id``.
        user: Who asked (the annotator): every search is written to the collection's audit log under this
            name; ``None`` logs nothing.
        query_id: The judged query's id (seed and log).

    Returns:
        Distinct figure ids.
    """
    if depth < 1:
        raise BadInputError("pool depth", f"{depth} is not >= 1")
    key = query_id or "query"
    runs = method_runs(searcher, {key: query}, k=depth, methods=methods, user=user)
    # Each run in PatImg's deterministic order (score, then id) before its top `depth` is taken.
    ranked_runs = {
        name: [doc for doc, _ in ranked(run.get(key, []), source=name)] for name, run in runs.items()
    }
    return pool(ranked_runs, depth=depth, seed=seed or key)
