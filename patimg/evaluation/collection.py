"""Evaluate a collection's methods on its judgments: one table, in the shape of the paper's Table 1, that the
CLI prints (``patimg eval``) and the Evaluate page shows.

Every method (text, visual, and each fusion rule) answers every judged query with the same searcher, and all are
scored on the same judgments. Judgments come from the collection's ``judgments.sqlite`` (made on the Judge page),
from a TREC qrels file or mapping, or from the automatic rule of DeepPatent (figures of the same patent are
relevant to each other), natural for design patents, where the views of one design are the relevant set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError
from patimg.evaluation.metrics import EvaluationTable, evaluate
from patimg.evaluation.queries import QuerySpec, describe_query, query_spec, same_patent_qrels
from patimg.evaluation.runs import method_runs
from patimg.evaluation.trec import Qrels, Run, read_qrels, write_qrels, write_run
from patimg.vocabulary import METHODS, PAPER_TABLE_1, RUN_LABELS, Aggregate, Method, Progress

#: Where judgments came from, as ``meta["judgments"]`` of the CLI's JSON says it.
SAME_PATENT, QRELS_FILE, JUDGMENT_STORE = "same-patent", "qrels file", "judgments.sqlite"


@dataclass(frozen=True)
class CollectionEvaluation:
    """AP@depth per query and mAP per method on one collection's judgments.

    Attributes:
        scores: The metrics (:class:`patimg.evaluation.metrics.EvaluationTable`).
        runs: Method name -> query id -> ranked ``(figure id, score)``: what was scored (for TREC export).
        qrels: The judgments scored against.
        queries: The evaluated queries (those with at least one relevant judgment) and what each asks.
        judgments_source: :data:`SAME_PATENT`, :data:`QRELS_FILE` or :data:`JUDGMENT_STORE`.
        aggregate: How several annotators' grades were combined (for store judgments).
    """

    scores: EvaluationTable
    runs: dict[str, Run]
    qrels: Qrels
    queries: dict[str, QuerySpec]
    judgments_source: str
    aggregate: str = "max"

    @property
    def table(self) -> Any:
        """pandas DataFrame, one row per method in the paper's order: mAP, P@1, queries, unjudged, the paper's mAP."""
        table = self.scores.to_dataframe()
        if not table.empty:
            table["paper (mAP)"] = [PAPER_TABLE_1.get(label) for label in table.index]
        return table

    @property
    def per_query(self) -> Any:
        """pandas DataFrame of AP@depth, rows query ids, columns the table's row labels."""
        import pandas as pd

        labels = {name: RUN_LABELS.get(name.lower(), name) for name in self.scores.methods}
        frame = pd.DataFrame(
            {labels[name]: pd.Series(s.per_query_ap, dtype=float) for name, s in self.scores.methods.items()},
            index=pd.Index(list(self.scores.queries), name="query"),
        )
        table = self.table
        return frame[list(table.index)] if not table.empty else frame

    @property
    def meta(self) -> dict[str, Any]:
        """What the table rests on: evaluated and judged queries, judgments, the judged pool depth (every method's
        results are judged down to it), unjudged results counted as not relevant (per method and in all)..."""
        scores = self.scores
        unjudged = {RUN_LABELS.get(name.lower(), name): s.unjudged for name, s in scores.methods.items()}
        depths = [s.judged_depth for s in scores.methods.values() if s.retrieved]
        return {
            "measure": scores.measure,
            "trec_eval": f"map_cut.{scores.depth}",
            "depth": scores.depth,
            "queries": len(scores.queries),
            "judged_queries": len(self.qrels),
            "judgments": sum(len(docs) for docs in self.qrels.values()),
            "queries_without_relevant": list(scores.queries_without_relevant),
            "judged_pool_depth": min(depths) if depths else 0,
            "unjudged_not_relevant": sum(unjudged.values()),
            "unjudged_per_method": unjudged,
            "retrieved": sum(s.retrieved for s in scores.methods.values()),
            "aggregate": self.aggregate,
            "judgments_source": self.judgments_source,
            "query_descriptions": {qid: describe_query(spec) for qid, spec in self.queries.items()},
            **scores.meta,
        }

    def __iter__(self):
        """``table, per_query, meta = evaluation`` also works."""
        return iter((self.table, self.per_query, self.meta))

    def to_dict(self, *, test: str = "paired t-test") -> dict[str, Any]:
        """The CLI's JSON: ``{"runs": {method: {"AP@50", "per_query", "P@1", "nDCG@50", ...}}, "comparisons":
        [...], "meta": {...}}``."""
        payload = self.scores.to_dict(test=test)
        payload["meta"].update({"queries": len(self.queries), "judgments": self.judgments_source})
        return payload

    def to_text(self) -> str:
        """The table as plain text in the shape of the paper's Table 1, the paper's mAP beside it."""
        return format_table_1(self.to_dict())

    def write_trec(self, folder: str | Path) -> None:
        """Write ``qrels.txt`` and one TREC run file per method (``<method>.run``) into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        write_qrels(self.qrels, out / "qrels.txt")
        for name, run in self.runs.items():
            write_run(run, out / f"{name}.run", name=name)


def format_table_1(payload: Mapping[str, Any]) -> str:
    """An evaluation's JSON (:meth:`CollectionEvaluation.to_dict`, or TREC files scored) as a plain-text table."""
    measure = payload.get("meta", {}).get("measure", "AP@50")
    lines = [
        f"{'method':22s} {'run':16s} {f'mAP ({measure})':>11s} {'P@1':>6s} {'queries':>7s} {'paper':>6s}"
    ]
    for name, run in payload["runs"].items():
        label = RUN_LABELS.get(name, name)
        paper = PAPER_TABLE_1.get(label)
        lines.append(
            f"{label:22s} {name:16s} {run[measure]:11.3f} {run.get('P@1', float('nan')):6.3f} "
            f"{len(run['per_query']):7d} {'' if paper is None else f'{paper:.3f}':>6s}"
        )
    return "\n".join(lines)


def evaluate_collection(
    collection,
    *,
    qrels: str | Path | Mapping[str, Mapping[str, int]] | None = None,
    same_patent: bool = False,
    depth: int = 50,
    searcher=None,
    store=None,
    aggregate: Aggregate = "max",
    relevance: int = 1,
    methods: Sequence[Method] = METHODS,
    user: str | None = None,
    progress: Progress | None = None,
) -> CollectionEvaluation:
    """Run every method on the judged queries and score them (AP@``depth``, trec_eval ``map_cut``).

    Only queries with at least one relevant judgment have an AP; they are searched and scored, the others are
    listed in ``meta["queries_without_relevant"]``.

    Args:
        collection: A :class:`patimg.collection.Collection` or its folder (indexed).
        qrels: Judgments: a TREC qrels file or a mapping; default the collection's ``judgments.sqlite``.
        same_patent: Use the automatic same-patent judgments instead.
        depth: Cutoff and depth of each method's result list (50: AP@50).
        searcher: The collection's searcher (the app passes its cached one); default a new one.
        store: The judgment store; default the collection's ``judgments.sqlite`` when it exists.
        aggregate: How several annotators' grades combine (store judgments).
        relevance: Grade from which a result is relevant for AP and P (nDCG uses the grades).
        methods: Methods to compare (default all six).
        user: When given, every search goes to the audit log under this name.
        progress: Optional progress callback (one step per query).

    Raises:
        BadInputError: No judgments; a query id that is neither a judged query nor a figure of the collection.
    """
    from patimg.collection import Collection
    from patimg.evaluation.store import JudgmentStore

    if not isinstance(collection, Collection):
        collection = Collection.open(collection)
    judgments_path = collection.path / "judgments.sqlite"
    if store is None and judgments_path.exists():
        store = JudgmentStore(judgments_path)
    if same_patent:
        judged, source = same_patent_qrels(collection), SAME_PATENT
    elif qrels is None:
        if store is None:
            raise BadInputError(
                str(judgments_path),
                "no judgments yet: judge results on the Judge page, "
                "give --qrels FILE, or use --same-patent for automatic judgments",
            )
        judged, source = store.qrels(aggregate=aggregate), JUDGMENT_STORE
    elif isinstance(qrels, Mapping):
        judged, source = (
            {str(q): {str(d): int(g) for d, g in docs.items()} for q, docs in qrels.items()},
            QRELS_FILE,
        )
    else:
        judged, source = read_qrels(qrels), QRELS_FILE
    figure_ids = {f.figure_id for f in collection.figure_records()}
    scored = sorted(q for q, docs in judged.items() if any(g >= relevance for g in docs.values()))
    queries = {qid: query_spec(store, qid, figure_ids=figure_ids) for qid in scored}
    if searcher is None:
        from patimg.search import Searcher

        searcher = Searcher(collection.path)
    runs = method_runs(searcher, queries, k=depth, methods=methods, user=user, progress=progress)
    return CollectionEvaluation(
        scores=evaluate(judged, runs, depth=depth, relevance=relevance),
        runs=runs,
        qrels=judged,
        queries=queries,
        judgments_source=source,
        aggregate=aggregate,
    )
