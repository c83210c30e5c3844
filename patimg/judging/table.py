"""The paper's Table 1 on a collection's judgments, and TREC qrels/run files in and out of the app."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError
from patimg.evaluate_collection import METHODS
from patimg.judging.pools import describe_query, query_spec, run_methods

#: The paper's Table 1 (mAP, AP@50 over its judged queries), shown beside PatImg's numbers for context.
PAPER_TABLE_1 = {
    "textual": 0.683,
    "visual": 0.696,
    "re-ranking max": 0.703,
    "re-ranking avg": 0.715,
}


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
