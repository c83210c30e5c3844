"""Judged queries, blind pools of every method's results, and an annotator's progress through a pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from patimg.errors import BadInputError
from patimg.evaluate_collection import METHODS, QuerySpec, method_runs

#: Grades the Judge page writes.
NOT_RELEVANT, RELEVANT = 0, 1


# ------------------------------------------------------------------------------------------- queries


def create_query(
    store,
    *,
    figure_id: str | None = None,
    image_bytes: bytes | None = None,
    text: str | None = None,
    collection=None,
) -> str:
    """Register a judged query in ``store`` and return its id (the same content always gives the same id).

    Args:
        store: The collection's :class:`patimg.judgments.JudgmentStore`.
        figure_id: A figure of the collection used as the query.
        image_bytes: An uploaded drawing; the store keeps a copy next to its database.
        text: Optional text, alone or with the figure/image.
        collection: When given, ``figure_id`` must be one of its figures.

    ``image_bytes`` must be a readable drawing: it is opened now, so a bad upload is refused before anything
    is stored.

    Raises:
        BadInputError: No figure, image or text; a figure and an image together; an unknown figure; an
            unreadable image.
    """
    figure_id = (figure_id or "").strip()
    if collection is not None and figure_id:
        try:
            collection.figure(figure_id)
        except KeyError:
            raise BadInputError(figure_id, f"no such figure in collection {collection.path}") from None
    if image_bytes is not None:
        from patimg.figures import load_drawing

        load_drawing(image_bytes, name="uploaded query drawing")  # raises BadInputError when unreadable
    return store.add_query(figure_id=figure_id, image=image_bytes, text=text or "")


def query_spec(store, query_id: str, *, figure_ids: set[str] | None = None) -> QuerySpec:
    """What query ``query_id`` asks, for the searcher.

    Args:
        store: The judgment store.
        query_id: A query of the store, or (qrels written by hand or by ``same_patent_qrels``) a figure id.
        figure_ids: The collection's figure ids, to accept a figure id as a query id.

    Raises:
        BadInputError: The id is neither a query of the store nor a figure of the collection.
    """
    stored = store.get_query(query_id)
    if stored is not None:
        # The store keeps "" for absent parts; the searcher wants None (an empty figure id is no query).
        return QuerySpec(
            figure_id=stored.figure_id or None,
            image_path=stored.image_path or None,
            text=stored.text or None,
        )
    if figure_ids is not None and query_id in figure_ids:
        return QuerySpec(figure_id=query_id)
    raise BadInputError(query_id, "query id is neither a judged query nor a figure of the collection")


def describe_query(spec: QuerySpec) -> str:
    """One line naming what a query asks (``figure US..-D00001-1 + "propeller"``)."""
    parts = []
    if spec.figure_id:
        parts.append(f"figure {spec.figure_id}")
    if spec.image_path:
        parts.append(f"uploaded drawing {Path(spec.image_path).name[:12]}")
    if spec.text:
        parts.append(f'"{spec.text}"')
    return " + ".join(parts) or "(empty query)"


# ---------------------------------------------------------------------------------------------- pool


def run_methods(
    searcher,
    queries: Mapping[str, QuerySpec],
    *,
    depth: int = 50,
    methods: Mapping[str, tuple[str, str]] = METHODS,
    store=None,
    user: str = "patimg",
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Every method's top ``depth`` for every query (method -> query id -> ranked ``(figure id, score)``).

    With ``store``, each (query, method) search is appended to the store's audit log under ``user``.
    """
    runs = method_runs(searcher, queries, k=depth, methods=methods)
    if store is not None:
        for name, (channel, rule) in methods.items():
            for query_id, results in runs[name].items():
                spec = queries[query_id]
                store.log_search(
                    user=user,
                    query_id=query_id,
                    query={"figure_id": spec.figure_id, "image_path": spec.image_path, "text": spec.text},
                    settings={"method": name, "channel": channel, "fusion": rule, "k": depth},
                    hits=[{"figure_id": doc, "score": score} for doc, score in results],
                )
    return runs


def build_pool(
    searcher,
    query: QuerySpec,
    *,
    depth: int = 50,
    methods: Mapping[str, tuple[str, str]] = METHODS,
    seed: str = "",
    store=None,
    user: str = "patimg",
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
        methods: Method name -> ``(channel, fusion rule)``; default all six of :data:`METHODS`.
        seed: Shuffle seed; default ``query_id``.
        store: When given, every search is logged in its audit log.
        user: Who asked (the annotator), for the log.
        query_id: The judged query's id (seed and log).

    Returns:
        Distinct figure ids.
    """
    from patimg.evaluation import pool, ranked

    if depth < 1:
        raise BadInputError("pool depth", f"{depth} is not >= 1")
    key = query_id or "query"
    runs = run_methods(searcher, {key: query}, depth=depth, methods=methods, store=store, user=user)
    # Each run in PatImg's deterministic order (score, then id) before its top `depth` is taken.
    ranked_runs = {
        name: [doc for doc, _ in ranked(run.get(key, []), source=name)] for name, run in runs.items()
    }
    return pool(ranked_runs, depth=depth, seed=seed or key)


# ------------------------------------------------------------------------------------------ progress


def _own_judgments(store, query_id: str, annotator: str) -> dict[str, int]:
    return {j.figure_id: j.grade for j in store.judgments(query_id, annotator=annotator)}


def next_unjudged(
    store, query_id: str, pool: Sequence[str], *, annotator: str, after: str | None = None
) -> str | None:
    """The next pool figure ``annotator`` has not judged yet, or ``None`` when they judged them all.

    Args:
        store: The judgment store.
        query_id: The query.
        pool: The pool, in the order shown.
        annotator: Whose judgments count (each annotator judges the whole pool).
        after: Start looking after this figure (wrapping round to the start), e.g. the one just skipped;
            it comes back only when it is the last unjudged one.
    """
    judged = _own_judgments(store, query_id, annotator)
    start = pool.index(after) + 1 if after in pool else 0
    for figure_id in [*pool[start:], *pool[:start]]:
        if figure_id not in judged:
            return figure_id
    return None


def judging_progress(store, query_id: str, pool: Sequence[str], *, annotator: str) -> tuple[int, int]:
    """``(judged, total)``: how many figures of ``pool`` ``annotator`` has judged, and the pool size."""
    judged = _own_judgments(store, query_id, annotator)
    return sum(1 for figure_id in pool if figure_id in judged), len(pool)


def pool_grades(store, query_id: str, pool: Sequence[str], *, annotator: str) -> dict[str, int | None]:
    """Pool figure -> ``annotator``'s current grade (``None`` when not judged yet), in pool order."""
    judged = _own_judgments(store, query_id, annotator)
    return {figure_id: judged.get(figure_id) for figure_id in pool}
