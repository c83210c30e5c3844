"""Retrieval evaluation: judgment pooling, AP@50 per query and mAP per method, TREC qrels/run files.

AP@50 is trec_eval's ``map_cut.50``: precision summed at the ranks (1..50) of the relevant results,
divided by ALL relevant documents of the query, retrieved or not. It is computed by the maintained
``ir_measures`` library through its ``pytrec_eval`` provider (trec_eval's own C code), not by a formula
written here.

Ties. trec_eval ignores the rank column of a run and sorts by score, breaking equal scores by document
id in *descending* string order, which surprises anyone who reads a run top to bottom. PatImg fixes the
order itself: results are sorted by score descending, then by document id ascending, and the run handed
to trec_eval carries rank-based scores (``n, n-1, ..., 1``) so that order is the only one it can see.

Which queries count. The mean is taken over every query of the qrels with at least one relevant
judgment (grade >= 1); a method that returned nothing for such a query scores 0 there (trec_eval ``-c``).
Queries without any relevant judgment have no AP and are listed in the table's ``meta``, as are run
queries missing from the qrels. Retrieved but unjudged results count as not relevant; their number is
reported per method so a shallow pool is visible.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError

Qrels = dict[str, dict[str, int]]
"""Query id -> document id -> relevance grade (0 not relevant, >= 1 relevant)."""

Run = dict[str, list[tuple[str, float]]]
"""Query id -> ranked ``(document id, score)`` pairs, best first."""

#: Rows of the paper's Table 1 (Pustu-Iren et al. 2021), then PatImg's extra fusion rules.
TABLE_ROWS = (
    "textual",
    "visual",
    "re-ranking max",
    "re-ranking avg",
    "re-ranking rrf",
    "re-ranking weighted",
)

#: Run names PatImg's search uses, mapped to the row labels of the paper's table.
RUN_LABELS = {
    "text": "textual",
    "textual": "textual",
    "visual": "visual",
    "max": "re-ranking max",
    "fused-max": "re-ranking max",
    "avg": "re-ranking avg",
    "fused-avg": "re-ranking avg",
    "fused": "re-ranking avg",
    "rrf": "re-ranking rrf",
    "fused-rrf": "re-ranking rrf",
    "weighted": "re-ranking weighted",
    "fused-weighted": "re-ranking weighted",
}


# --------------------------------------------------------------------------------------------- pooling


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


# ---------------------------------------------------------------------------------------- evaluation


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


@dataclass(frozen=True)
class EvaluationTable:
    """Result of :func:`evaluate`: one :class:`MethodScores` per run, plus what was evaluated.

    Attributes:
        depth: Cutoff (50 for AP@50).
        methods: Run name -> scores, in the order the runs were given.
        queries: Evaluated query ids (qrels queries with at least one relevant judgment), sorted.
        queries_without_relevant: Qrels queries with no relevant judgment (no AP, left out).
        unjudged_run_queries: Run queries absent from the qrels (left out).
    """

    depth: int
    methods: dict[str, MethodScores]
    queries: tuple[str, ...]
    queries_without_relevant: tuple[str, ...] = ()
    unjudged_run_queries: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def measure(self) -> str:
        """Name of the main measure, ``"AP@50"``."""
        return f"AP@{self.depth}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"runs": {name: {"AP@50": mean, "per_query": {qid: AP}, ...}}, "meta": ...}``."""
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
            **self.meta,
        }
        return {"runs": runs, "meta": meta}

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
                        "P@1": scores.p_at_1,
                        "queries": scores.queries,
                        "unjudged": scores.unjudged,
                    },
                )
            )
        rows.sort(key=lambda item: item[0])  # stable: unknown runs keep their given order
        frame = pd.DataFrame([row for _, row in rows])
        return frame.set_index("method") if not frame.empty else frame


def ranked(results: Iterable[tuple[str, float]], *, source: str = "run") -> list[tuple[str, float]]:
    """Results in PatImg's deterministic order: score descending, then document id ascending.

    Raises:
        BadInputError: A document appears twice, or a score is not a finite number.
    """
    items = [(str(doc), float(score)) for doc, score in results]
    seen: set[str] = set()
    for doc, score in items:
        if doc in seen:
            raise BadInputError(source, f"document {doc!r} is ranked twice for one query")
        if not math.isfinite(score):
            raise BadInputError(source, f"document {doc!r} has score {score}, not a finite number")
        seen.add(doc)
    return sorted(items, key=lambda item: (-item[1], item[0]))


def evaluate(
    qrels: Mapping[str, Mapping[str, int]],
    runs: Mapping[str, Mapping[str, Sequence[tuple[str, float]]]],
    *,
    depth: int = 50,
) -> EvaluationTable:
    """AP@depth (trec_eval ``map_cut.depth``) and P@1 per query and per method, on one set of judgments.

    Args:
        qrels: Query id -> document id -> grade (pooled judgments, e.g. ``JudgmentStore.qrels()``).
        runs: Method name -> query id -> ``(document id, score)`` pairs (higher score is better; order
            of the pairs does not matter, ties are broken by document id).
        depth: Cutoff.

    Returns:
        The table; see the module docstring for which queries count.
    """
    import ir_measures
    from ir_measures import AP, P

    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    judged = {str(qid): {str(doc): int(grade) for doc, grade in docs.items()} for qid, docs in qrels.items()}
    queries = tuple(sorted(qid for qid, docs in judged.items() if any(g >= 1 for g in docs.values())))
    without_relevant = tuple(sorted(qid for qid in judged if qid not in queries))
    ap_measure, p1_measure = AP @ depth, P @ 1
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
        per_ap = dict.fromkeys(queries, 0.0)
        per_p1 = dict.fromkeys(queries, 0.0)
        if run_eval:
            for metric in ir_measures.pytrec_eval.iter_calc([ap_measure, p1_measure], qrels_eval, run_eval):
                target = per_ap if metric.measure == ap_measure else per_p1
                target[metric.query_id] = float(metric.value)
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
        )
    return EvaluationTable(
        depth=depth,
        methods=methods,
        queries=queries,
        queries_without_relevant=without_relevant,
        unjudged_run_queries=tuple(sorted(run_only)),
        meta={"library": f"ir_measures {ir_measures.__version__} (pytrec_eval provider)"},
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


# --------------------------------------------------------------------------------------------- TREC I/O


def _check_id(value: str, *, what: str, source: str) -> str:
    value = str(value)
    if not value or any(ch.isspace() for ch in value):
        raise BadInputError(
            source, f"{what} {value!r} is empty or contains whitespace (not valid in TREC files)"
        )
    return value


def read_qrels(path: str | Path) -> Qrels:
    """Read a TREC qrels file (``qid iteration docno grade`` per line; blank lines skipped).

    Raises:
        BadInputError: Unreadable file, or a line (named by number) that is malformed or contradicts
            an earlier line.
    """
    path = Path(path)
    qrels: Qrels = {}
    seen_at: dict[tuple[str, str], int] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 4:
            raise BadInputError(where, f"qrels line needs 4 fields 'qid iter docno grade', got {len(fields)}")
        qid, _, doc, grade_text = fields
        try:
            grade = int(grade_text)
        except ValueError:
            raise BadInputError(where, f"relevance grade {grade_text!r} is not an integer") from None
        previous = qrels.setdefault(qid, {}).get(doc)
        if previous is not None and previous != grade:
            first = seen_at[(qid, doc)]
            raise BadInputError(where, f"{qid} {doc} judged {grade} here but {previous} on line {first}")
        qrels[qid][doc] = grade
        seen_at.setdefault((qid, doc), number)
    return qrels


def write_qrels(qrels: Mapping[str, Mapping[str, int]], path: str | Path) -> None:
    """Write a TREC qrels file, sorted by query id then document id (written to a temp name, then renamed)."""
    path = Path(path)
    lines = []
    for qid in sorted(qrels):
        _check_id(qid, what="query id", source=str(path))
        for doc in sorted(qrels[qid]):
            _check_id(doc, what="document id", source=str(path))
            lines.append(f"{qid} 0 {doc} {int(qrels[qid][doc])}\n")
    _write_atomic(path, "".join(lines))


def read_run(path: str | Path) -> tuple[str, Run]:
    """Read a TREC run file (``qid Q0 docno rank score tag``).

    The rank column is ignored, as trec_eval does; each query's results come back sorted by score
    descending then document id (:func:`ranked`).

    Returns:
        ``(run name, run)``; the name is the tag column (the file stem when the file is empty).

    Raises:
        BadInputError: Unreadable file, a malformed line, a document ranked twice for one query, or
            lines with different tags (each naming the file and line).
    """
    path = Path(path)
    name = ""
    results: dict[str, dict[str, float]] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 6:
            raise BadInputError(
                where, f"run line needs 6 fields 'qid Q0 docno rank score tag', got {len(fields)}"
            )
        qid, _, doc, rank_text, score_text, tag = fields
        try:
            int(rank_text)
            score = float(score_text)
        except ValueError:
            raise BadInputError(
                where, f"rank {rank_text!r} or score {score_text!r} is not a number"
            ) from None
        if not math.isfinite(score):
            raise BadInputError(where, f"score {score_text!r} is not a finite number")
        if name and tag != name:
            raise BadInputError(
                where, f"run tag {tag!r} differs from {name!r} on earlier lines (one run per file)"
            )
        name = tag
        docs = results.setdefault(qid, {})
        if doc in docs:
            raise BadInputError(where, f"document {doc!r} is ranked twice for query {qid!r}")
        docs[doc] = score
    run = {qid: ranked(docs.items(), source=str(path)) for qid, docs in results.items()}
    return (name or path.stem), run


def write_run(run: Mapping[str, Sequence[tuple[str, float]]], path: str | Path, *, name: str) -> None:
    """Write a TREC run file: per query, results sorted by score descending then document id, ranked 1..n.

    Scores are written with full precision (``repr``) so :func:`read_run` gives back equal floats.
    """
    path = Path(path)
    _check_id(name, what="run name", source=str(path))
    lines = []
    for qid in sorted(run):
        _check_id(qid, what="query id", source=str(path))
        for rank, (doc, score) in enumerate(ranked(run[qid], source=str(path)), start=1):
            _check_id(doc, what="document id", source=str(path))
            lines.append(f"{qid} Q0 {doc} {rank} {score!r} {name}\n")
    _write_atomic(path, "".join(lines))


def evaluate_trec_files(
    qrels_path: str | Path, run_paths: Sequence[str | Path], *, depth: int = 50
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
    payload = evaluate(qrels, runs, depth=depth).to_dict()
    payload["meta"]["qrels"] = str(qrels_path)
    payload["meta"]["run_files"] = files
    return payload


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadInputError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(str(path), f"cannot read as UTF-8 text: {error}") from None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
