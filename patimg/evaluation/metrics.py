"""AP@50, nDCG@50, P@1, P@10 and judged@50 per query and per method, on one set of judgments.

Grades are 0 not relevant, 1 marginal, 2 relevant, 3 highly relevant. AP and P count a result as relevant when
its grade reaches ``relevance`` (default 1: anything but "not relevant"); nDCG uses the grades themselves. A
query is evaluated when it has at least one result at or above ``relevance``. judged@50 is the share of each
method's top 50 that has a judgment, so a shallow pool is visible. All measures but judged@50 are trec_eval's,
computed by ``ir_measures`` (pytrec_eval provider); see the package docstring for ties and missing results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patimg.evaluation.trec import Run, ranked, read_qrels, read_run
from patimg.vocabulary import RUN_LABELS, TABLE_ROWS


@dataclass(frozen=True)
class MethodScores:
    """Scores of one method (run) over the evaluated queries.

    Attributes:
        name: Run name.
        ap: Mean AP@depth (mAP) over the evaluated queries.
        per_query_ap: Query id -> AP@depth.
        p_at_1: Mean precision at rank 1.
        per_query_p_at_1: Query id -> P@1.
        queries: Number of evaluated queries (the mean's denominator).
        missing_queries: Evaluated queries the run has no results for (scored 0).
        retrieved: Results looked at (top ``depth`` of each evaluated query).
        unjudged: Of those, how many have no judgment (counted as not relevant).
        judged_depth: Smallest, over the evaluated queries it answered, number of leading results that
            are all judged: the depth to which this method's scores rest on judgments only.
        ndcg: Mean nDCG@depth (graded).
        per_query_ndcg: Query id -> nDCG@depth.
        p_at_10: Mean precision at rank 10.
        judged: Mean share of the top ``depth`` that is judged (judged@depth; a missing result is unjudged).
    """

    name: str
    ap: float
    per_query_ap: dict[str, float]
    p_at_1: float
    per_query_p_at_1: dict[str, float]
    queries: int
    missing_queries: tuple[str, ...] = ()
    retrieved: int = 0
    unjudged: int = 0
    judged_depth: int = 0
    ndcg: float = 0.0
    per_query_ndcg: dict[str, float] = field(default_factory=dict)
    p_at_10: float = 0.0
    judged: float = 0.0


@dataclass(frozen=True)
class EvaluationTable:
    """Result of :func:`evaluate`: one :class:`MethodScores` per run, plus what was evaluated.

    Attributes:
        depth: Cutoff (50 for AP@50).
        methods: Run name -> scores, in the order the runs were given.
        queries: Evaluated query ids (qrels queries with at least one relevant judgment), sorted.
        queries_without_relevant: Qrels queries with no relevant judgment (no AP, left out).
        unjudged_run_queries: Run queries absent from the qrels (left out).
        relevance: The grade from which a result counts as relevant for AP and P.
    """

    depth: int
    methods: dict[str, MethodScores]
    queries: tuple[str, ...]
    queries_without_relevant: tuple[str, ...] = ()
    unjudged_run_queries: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    relevance: int = 1

    @property
    def measure(self) -> str:
        """Name of the main measure, ``"AP@50"``."""
        return f"AP@{self.depth}"

    def to_dict(self, *, test: str = "paired t-test") -> dict[str, Any]:
        """JSON-ready form: ``{"runs": {name: {"AP@50": mean, "per_query": {qid: AP}, "nDCG@50", ...}},
        "comparisons": [{"a", "b", "measure", "test", "p_value", ...}], "meta": ...}``."""
        runs = {}
        for name, scores in self.methods.items():
            runs[name] = {
                self.measure: scores.ap,
                "per_query": dict(scores.per_query_ap),
                "P@1": scores.p_at_1,
                "queries": scores.queries,
                "missing_queries": list(scores.missing_queries),
                "retrieved": scores.retrieved,
                "unjudged": scores.unjudged,
                "judged_depth": scores.judged_depth,
                f"nDCG@{self.depth}": scores.ndcg,
                "P@10": scores.p_at_10,
                f"judged@{self.depth}": scores.judged,
                f"per_query_nDCG@{self.depth}": dict(scores.per_query_ndcg),
            }
        meta = {
            "measure": self.measure,
            "trec_eval": f"map_cut.{self.depth}",
            "depth": self.depth,
            "queries": list(self.queries),
            "queries_without_relevant": list(self.queries_without_relevant),
            "unjudged_run_queries": list(self.unjudged_run_queries),
            "ties": "score descending, then document id ascending",
            "unjudged_results": "not relevant",
            "relevant_from_grade": self.relevance,
            **self.meta,
        }
        return {"runs": runs, "comparisons": [c.to_dict() for c in self.comparisons(test=test)], "meta": meta}

    def comparisons(self, *, test: str = "paired t-test") -> list[Any]:
        """Every pair of methods compared on per-query AP@depth (see :mod:`patimg.evaluation.significance`)."""
        from patimg.evaluation.significance import compare_methods

        return compare_methods(self, test=test)

    def to_dataframe(self) -> Any:
        """pandas DataFrame shaped like the paper's Table 1: one row per method, mAP and P@1.

        Known run names get the paper's row labels (``text`` -> ``textual``, ``avg`` -> ``re-ranking
        avg``) in the paper's row order; other runs follow under their own names.
        """
        import pandas as pd

        rows = []
        for name, scores in self.methods.items():
            label = RUN_LABELS.get(name.lower(), name)
            order = TABLE_ROWS.index(label) if label in TABLE_ROWS else len(TABLE_ROWS)
            rows.append(
                (
                    order,
                    {
                        "method": label,
                        "run": name,
                        f"mAP ({self.measure})": scores.ap,
                        f"nDCG@{self.depth}": scores.ndcg,
                        "P@1": scores.p_at_1,
                        "P@10": scores.p_at_10,
                        f"judged@{self.depth}": scores.judged,
                        "queries": scores.queries,
                        "unjudged": scores.unjudged,
                    },
                )
            )
        rows.sort(key=lambda item: item[0])  # stable: unknown runs keep their given order
        frame = pd.DataFrame([row for _, row in rows])
        return frame.set_index("method") if not frame.empty else frame


def evaluate(
    qrels: Mapping[str, Mapping[str, int]],
    runs: Mapping[str, Mapping[str, Sequence[tuple[str, float]]]],
    *,
    depth: int = 50,
    relevance: int = 1,
) -> EvaluationTable:
    """AP@depth (trec_eval ``map_cut.depth``), nDCG@depth, P@1, P@10 and judged@depth per query and method.

    Args:
        qrels: Query id -> document id -> grade (pooled judgments, e.g. ``JudgmentStore.qrels()``).
        runs: Method name -> query id -> ``(document id, score)`` pairs (higher score is better; order
            of the pairs does not matter, ties are broken by document id).
        depth: Cutoff.
        relevance: Grade from which a result is relevant for AP and P (1: marginal and up; 2: relevant and up).

    Returns:
        The table; see the module docstring for which queries count.
    """
    import ir_measures
    from ir_measures import AP, P, nDCG

    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    judged = {str(qid): {str(doc): int(grade) for doc, grade in docs.items()} for qid, docs in qrels.items()}
    if relevance < 1:
        raise ValueError(f"relevance must be a grade >= 1, got {relevance}")
    queries = tuple(sorted(qid for qid, docs in judged.items() if any(g >= relevance for g in docs.values())))
    without_relevant = tuple(sorted(qid for qid in judged if qid not in queries))
    # AP@50 with the default threshold is trec_eval's plain map_cut.50; other thresholds its relevance_level.
    ap_measure = AP @ depth if relevance == 1 else AP(rel=relevance) @ depth
    p1_measure = P @ 1 if relevance == 1 else P(rel=relevance) @ 1
    p10_measure = P @ 10 if relevance == 1 else P(rel=relevance) @ 10
    ndcg_measure = nDCG @ depth
    qrels_eval = {qid: judged[qid] for qid in queries}
    run_only: set[str] = set()
    methods: dict[str, MethodScores] = {}
    for name, run in runs.items():
        run_only.update(str(qid) for qid in run if str(qid) not in judged)
        # Rank-based scores: the order fixed by ranked() is the only one trec_eval can see.
        cut: dict[str, list[str]] = {}
        for qid in queries:
            docs = [doc for doc, _ in ranked(run.get(qid, ()), source=f"run {name}")][:depth]
            if docs:
                cut[qid] = docs
        run_eval = {
            qid: {doc: float(len(docs) - i) for i, doc in enumerate(docs)} for qid, docs in cut.items()
        }
        per = {m: dict.fromkeys(queries, 0.0) for m in (ap_measure, p1_measure, p10_measure, ndcg_measure)}
        if run_eval:
            for metric in ir_measures.pytrec_eval.iter_calc(list(per), qrels_eval, run_eval):
                per[metric.measure][metric.query_id] = float(metric.value)
        per_ap, per_p1, per_ndcg = per[ap_measure], per[p1_measure], per[ndcg_measure]
        unjudged = sum(1 for qid, docs in cut.items() for doc in docs if doc not in judged[qid])
        judged_depth = min(
            (_judged_prefix(docs, judged[qid]) for qid, docs in cut.items()),
            default=0,
        )
        methods[name] = MethodScores(
            name=name,
            ap=_mean(per_ap.values()),
            per_query_ap=per_ap,
            p_at_1=_mean(per_p1.values()),
            per_query_p_at_1=per_p1,
            queries=len(queries),
            missing_queries=tuple(qid for qid in queries if qid not in cut),
            retrieved=sum(len(docs) for docs in cut.values()),
            unjudged=unjudged,
            judged_depth=judged_depth,
            ndcg=_mean(per_ndcg.values()),
            per_query_ndcg=per_ndcg,
            p_at_10=_mean(per[p10_measure].values()),
            judged=_mean(sum(doc in judged[qid] for doc in cut.get(qid, ())) / depth for qid in queries),
        )
    return EvaluationTable(
        depth=depth,
        methods=methods,
        queries=queries,
        queries_without_relevant=without_relevant,
        unjudged_run_queries=tuple(sorted(run_only)),
        meta={"library": f"ir_measures {ir_measures.__version__} (pytrec_eval provider)"},
        relevance=relevance,
    )


def _judged_prefix(docs: Sequence[str], judged: Mapping[str, int]) -> int:
    """Number of leading documents that all have a judgment."""
    for i, doc in enumerate(docs):
        if doc not in judged:
            return i
    return len(docs)


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def evaluate_trec_files(
    qrels_path: str | Path,
    run_paths: Sequence[str | Path],
    *,
    depth: int = 50,
    relevance: int = 1,
    test: str = "paired t-test",
) -> dict[str, Any]:
    """Score TREC run files against a qrels file (``patimg eval --qrels FILE --run FILE...``).

    Runs are named by their tag; a tag already used by an earlier file is replaced by the file stem.

    Returns:
        :meth:`EvaluationTable.to_dict`, with ``meta.qrels`` and ``meta.run_files`` added.
    """
    qrels = read_qrels(qrels_path)
    runs: dict[str, Run] = {}
    files: dict[str, str] = {}
    for run_path in run_paths:
        name, run = read_run(run_path)
        if name in runs:
            name = Path(run_path).stem
            while name in runs:
                name += "_"
        runs[name] = run
        files[name] = str(run_path)
    payload = evaluate(qrels, runs, depth=depth, relevance=relevance).to_dict(test=test)
    payload["meta"]["qrels"] = str(qrels_path)
    payload["meta"]["run_files"] = files
    return payload
