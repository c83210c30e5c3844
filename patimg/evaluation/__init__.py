"""Everything about judging and scoring retrieval, in one package (one file per concern):

* :mod:`.store`: judgments, judged queries and the search audit log (``judgments.sqlite``);
* :mod:`.queries`: what a query id asks; automatic same-patent judgments;
* :mod:`.runs`: every method's results for every query (the one place methods are run);
* :mod:`.pooling`: the blind pool an annotator judges; :mod:`.judging`: progress through it, qrels import;
* :mod:`.metrics`: AP@50 and P@1 per query and method; :mod:`.trec`: qrels and run files;
* :mod:`.collection`: :func:`evaluate_collection`, the one evaluation the CLI prints and the app shows.

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

from patimg.evaluation.collection import CollectionEvaluation, evaluate_collection, format_table_1
from patimg.evaluation.judging import (
    HIGHLY_RELEVANT,
    MARGINAL,
    NOT_RELEVANT,
    RELEVANT,
    import_qrels_bytes,
    judging_progress,
    next_unjudged,
    pool_grades,
)
from patimg.evaluation.metrics import EvaluationTable, MethodScores, evaluate, evaluate_trec_files
from patimg.evaluation.pooling import build_pool, pool
from patimg.evaluation.queries import QuerySpec, create_query, describe_query, query_spec, same_patent_qrels
from patimg.evaluation.runs import method_runs
from patimg.evaluation.store import JudgedQuery, Judgment, JudgmentStore, SearchLogEntry
from patimg.evaluation.trec import (
    Qrels,
    Run,
    qrels_text,
    ranked,
    read_qrels,
    read_run,
    run_text,
    write_qrels,
    write_run,
)

__all__ = [
    "HIGHLY_RELEVANT",
    "MARGINAL",
    "NOT_RELEVANT",
    "RELEVANT",
    "CollectionEvaluation",
    "EvaluationTable",
    "JudgedQuery",
    "Judgment",
    "JudgmentStore",
    "MethodScores",
    "Qrels",
    "QuerySpec",
    "Run",
    "SearchLogEntry",
    "build_pool",
    "create_query",
    "describe_query",
    "evaluate",
    "evaluate_collection",
    "evaluate_trec_files",
    "format_table_1",
    "import_qrels_bytes",
    "judging_progress",
    "method_runs",
    "next_unjudged",
    "pool",
    "pool_grades",
    "qrels_text",
    "query_spec",
    "ranked",
    "read_qrels",
    "read_run",
    "run_text",
    "same_patent_qrels",
    "write_qrels",
    "write_run",
]
