"""Every method's results for every judged query, from one searcher: what pools are made of and AP is computed on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from patimg.evaluation.queries import QuerySpec
from patimg.search_records import SearchSettings
from patimg.vocabulary import METHODS, Method, Progress


def method_runs(
    searcher,
    queries: Mapping[str, QuerySpec],
    *,
    k: int = 50,
    methods: Sequence[Method] = METHODS,
    user: str | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Run every method on every query; returns method name -> query id -> ranked ``(figure id, score)``.

    A method that cannot answer a query (e.g. the text channel for a figure with no linked sentences) gets an
    empty result there, which scores 0 — the same rule as trec_eval's ``-c``.

    Args:
        searcher: The collection's :class:`patimg.search.Searcher`.
        queries: Query id -> what it asks.
        k: Results per method and query (the pool and AP depth).
        methods: The methods to run (default all of :data:`patimg.vocabulary.METHODS`).
        user: When given, every search goes to the collection's audit log under this name (with its query id
            and method).
        progress: Optional progress callback, one step per query.
    """
    from patimg.figures import load_drawing

    runs: dict[str, dict[str, list[tuple[str, float]]]] = {m.name: {} for m in methods}
    for done, (qid, spec) in enumerate(sorted(queries.items())):
        if progress:
            progress("evaluate", done, len(queries), qid)
        image = load_drawing(spec.image_path, name=spec.image_path) if spec.image_path else None
        for method in methods:
            result = searcher.search(
                image=image,
                figure_id=spec.figure_id,
                text=spec.text,
                settings=SearchSettings.of_method(method, k=k),
                user=user,
                query_id=qid,
            )
            runs[method.name][qid] = [(hit.figure_id, hit.score) for hit in result.hits]
    if progress:
        progress("evaluate", len(queries), len(queries), "")
    return runs
