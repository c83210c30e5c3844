"""What the Judge and Evaluate pages do, without Streamlit: judged queries, blind pools, progress, the table.

The paper's protocol (Pustu-Iren et al. 2021, Table 1): for every query, the top 50 results of every method
(textual, visual, re-ranking max and avg; PatImg adds rrf and weighted) are pooled and judged once, and every
method is then scored on the same judgments as AP@50 (trec_eval ``map_cut.50``). The pool is shown in an
order that hides which method found what, so annotators are not biased towards one of them.

The pool and the evaluation use the same runs (:func:`patimg.evaluate_collection.method_runs` with no filter),
so every result a method is scored on was in the pool the annotators saw, up to the pool depth.

Every search this module runs is written to the judgment store's audit log (``search_log``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError
from patimg.evaluate_collection import METHODS, QuerySpec, method_runs

#: Grades the Judge page writes.
NOT_RELEVANT, RELEVANT = 0, 1

#: The paper's Table 1 (mAP, AP@50 over its judged queries), shown beside PatImg's numbers for context.
PAPER_TABLE_1 = {
    "textual": 0.683,
    "visual": 0.696,
    "re-ranking max": 0.703,
    "re-ranking avg": 0.715,
}


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
        collection: When given, ``figure_id`` must be one of its figures, and ``image_bytes`` must be a
            readable drawing (checked now, so a bad upload is refused before anything is stored).

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


# -------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class CollectionEvaluation:
    """The Evaluate page's content.

    Attributes:
        table: One row per method in the paper's Table 1 order (``textual``, ``visual``, ``re-ranking
            max``, ``re-ranking avg``, then rrf and weighted): mAP (AP@50), P@1, queries, unjudged, and
            the paper's number where it has one.
        per_query: AP@50 per query (rows: query ids) per method (columns: the table's row labels).
        meta: Number of evaluated queries, judged pool depth, unjudged results counted as not relevant,
            queries without a relevant judgment, ... (see :func:`evaluation_table`).
        runs: Method name -> query id -> ranked ``(figure id, score)``: what was scored (for TREC export).
        qrels: The judgments scored against.
        scores: The underlying :class:`patimg.evaluation.EvaluationTable`.
    """

    table: Any
    per_query: Any
    meta: dict[str, Any]
    runs: dict[str, dict[str, list[tuple[str, float]]]] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)
    scores: Any = None

    def __iter__(self):
        """``table, per_query, meta = evaluation_table(...)`` also works."""
        return iter((self.table, self.per_query, self.meta))


def evaluation_table(
    collection,
    *,
    depth: int = 50,
    searcher=None,
    store=None,
    qrels: Mapping[str, Mapping[str, int]] | None = None,
    aggregate: str = "max",
    methods: Mapping[str, tuple[str, str]] = METHODS,
    user: str = "patimg",
) -> CollectionEvaluation:
    """AP@``depth`` per query and mAP per method on the collection's judgments, as the paper's Table 1.

    Args:
        collection: A :class:`patimg.collection.Collection` or its folder.
        depth: Cutoff and depth of each method's result list (50: AP@50).
        searcher: The collection's searcher (the app passes its cached one); default a new one.
        store: The judgment store; default the collection's ``judgments.sqlite``.
        qrels: Judgments to score against; default the store's (several annotators combined by ``aggregate``).
        aggregate: ``"max"`` (relevant when any annotator says so) or ``"majority"``; with ``qrels``, only
            reported in ``meta`` (say how the given qrels were combined).
        methods: Methods to compare (default all six).
        user: Who asked, for the audit log.

    Returns:
        The table, the per-query frame and ``meta`` with ``queries`` (evaluated: at least one relevant
        judgment), ``judged_queries``, ``queries_without_relevant``, ``judged_pool_depth`` (the depth to
        which every method's results of every evaluated query are judged), ``unjudged_not_relevant``
        (results counted as not relevant because nobody judged them, per method and in all), ``depth``,
        ``measure``, ``aggregate`` and ``library``.

    Raises:
        BadInputError: A query id of the judgments is neither a judged query nor a figure of the collection.
    """
    import pandas as pd

    from patimg import evaluation
    from patimg.collection import Collection
    from patimg.judgments import JudgmentStore

    if not isinstance(collection, Collection):
        collection = Collection.open(collection)
    if store is None:
        store = JudgmentStore(collection.path / "judgments.sqlite")
    judged = (
        {str(q): {str(d): int(g) for d, g in docs.items()} for q, docs in qrels.items()}
        if qrels is not None
        else store.qrels(aggregate=aggregate)
    )
    figure_ids = {f.figure_id for f in collection.figure_records()}
    # Only queries that can have an AP are searched; the others are listed in meta.
    scored_ids = sorted(q for q, docs in judged.items() if any(g >= 1 for g in docs.values()))
    queries = {qid: query_spec(store, qid, figure_ids=figure_ids) for qid in scored_ids}
    if searcher is None:
        from patimg.search import Searcher

        searcher = Searcher(collection.path)
    runs = (
        run_methods(searcher, queries, depth=depth, methods=methods, store=store, user=user)
        if queries
        else {name: {} for name in methods}
    )
    scores = evaluation.evaluate(judged, runs, depth=depth)
    table = scores.to_dataframe()
    if not table.empty:
        table["paper (mAP)"] = [PAPER_TABLE_1.get(label) for label in table.index]
    labels = {name: evaluation.RUN_LABELS.get(name.lower(), name) for name in scores.methods}
    per_query = pd.DataFrame(
        {labels[name]: pd.Series(s.per_query_ap, dtype=float) for name, s in scores.methods.items()},
        index=pd.Index(list(scores.queries), name="query"),
    )
    per_query = per_query[[label for label in table.index]] if not table.empty else per_query
    unjudged = {labels[name]: s.unjudged for name, s in scores.methods.items()}
    depths = [s.judged_depth for s in scores.methods.values() if s.retrieved]
    meta = {
        "measure": scores.measure,
        "trec_eval": f"map_cut.{depth}",
        "depth": depth,
        "queries": len(scores.queries),
        "judged_queries": len(judged),
        "judgments": sum(len(docs) for docs in judged.values()),
        "queries_without_relevant": list(scores.queries_without_relevant),
        "judged_pool_depth": min(depths) if depths else 0,
        "unjudged_not_relevant": sum(unjudged.values()),
        "unjudged_per_method": unjudged,
        "retrieved": sum(s.retrieved for s in scores.methods.values()),
        "aggregate": aggregate,
        "judgments_source": "judgment store" if qrels is None else "given qrels",
        "query_descriptions": {qid: describe_query(spec) for qid, spec in queries.items()},
        **scores.meta,
    }
    return CollectionEvaluation(
        table=table, per_query=per_query, meta=meta, runs=runs, qrels=judged, scores=scores
    )


# ------------------------------------------------------------------------------------ TREC in and out


def qrels_text(qrels: Mapping[str, Mapping[str, int]]) -> str:
    """The judgments as the text of a TREC qrels file (``qid 0 figure_id grade`` per line)."""
    from patimg.evaluation import write_qrels

    with tempfile.TemporaryDirectory(prefix="patimg-qrels-") as folder:
        path = Path(folder) / "qrels.txt"
        write_qrels(qrels, path)
        return path.read_text(encoding="utf-8")


def run_text(run: Mapping[str, Sequence[tuple[str, float]]], *, name: str) -> str:
    """One method's results as the text of a TREC run file (``qid Q0 figure_id rank score name``)."""
    from patimg.evaluation import write_run

    with tempfile.TemporaryDirectory(prefix="patimg-run-") as folder:
        path = Path(folder) / "run.txt"
        write_run(run, path, name=name)
        return path.read_text(encoding="utf-8")


def import_qrels_bytes(
    store, data: bytes, *, annotator: str, name: str = "qrels.txt", collection=None
) -> int:
    """Record an uploaded TREC qrels file as ``annotator``'s judgments; returns how many lines were stored.

    Nothing is stored unless the whole file is good.

    Args:
        store: The judgment store.
        data: The file's bytes.
        annotator: Whose judgments they become (e.g. ``"imported"``).
        name: The file's name, used in error messages (``qrels.txt:3: ...``).
        collection: When given, every query id must be a judged query or a figure of it, and every judged
            id a figure of it.

    Raises:
        BadInputError: Not UTF-8 text, a malformed line (named ``<name>:<line>``), an unknown query or figure.
    """
    from patimg.evaluation import read_qrels

    safe_name = Path(name).name or "qrels.txt"
    with tempfile.TemporaryDirectory(prefix="patimg-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        try:
            qrels = read_qrels(path)
        except BadInputError as error:
            # Name the uploaded file, not the temporary copy.
            raise BadInputError(error.source.replace(str(path), safe_name), error.problem) from None
        if not qrels:
            raise BadInputError(safe_name, "no qrels lines ('qid iter figure_id grade') in the file")
        if collection is not None:
            _check_qrels_ids(store, collection, source=safe_name, text=data.decode("utf-8"))
        try:
            return store.import_qrels(path, annotator=annotator)
        except BadInputError as error:
            raise BadInputError(error.source.replace(str(path), safe_name), error.problem) from None


def _check_qrels_ids(store, collection, *, source: str, text: str) -> None:
    """Every line's query is a judged query or a figure, and its judged figure is in the collection."""
    figure_ids = {f.figure_id for f in collection.figure_records()}
    known_queries = {q.query_id for q in store.list_queries()}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.split():
            continue
        qid, _, doc, _ = line.split()  # read_qrels has checked the shape of every line
        if qid not in known_queries and qid not in figure_ids:
            raise BadInputError(
                f"{source}:{number}", f"query {qid!r} is neither a judged query nor a figure here"
            )
        if doc not in figure_ids:
            raise BadInputError(f"{source}:{number}", f"figure {doc!r} is not in this collection")
