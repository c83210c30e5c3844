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

from patimg.evaluation.scoring import (
    RUN_LABELS,
    TABLE_ROWS,
    EvaluationTable,
    MethodScores,
    evaluate,
    evaluate_trec_files,
    pool,
    pool_runs,
)
from patimg.evaluation.trec import Qrels, Run, ranked, read_qrels, read_run, write_qrels, write_run

__all__ = [
    "RUN_LABELS",
    "TABLE_ROWS",
    "EvaluationTable",
    "MethodScores",
    "Qrels",
    "Run",
    "evaluate",
    "evaluate_trec_files",
    "pool",
    "pool_runs",
    "ranked",
    "read_qrels",
    "read_run",
    "write_qrels",
    "write_run",
]
