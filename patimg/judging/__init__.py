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

from patimg.judging.pools import (
    NOT_RELEVANT,
    RELEVANT,
    build_pool,
    create_query,
    describe_query,
    judging_progress,
    next_unjudged,
    pool_grades,
    query_spec,
    run_methods,
)
from patimg.judging.table import (
    PAPER_TABLE_1,
    CollectionEvaluation,
    evaluation_table,
    import_qrels_bytes,
    qrels_text,
    run_text,
)

__all__ = [
    "CollectionEvaluation",
    "NOT_RELEVANT",
    "PAPER_TABLE_1",
    "RELEVANT",
    "build_pool",
    "create_query",
    "describe_query",
    "evaluation_table",
    "import_qrels_bytes",
    "judging_progress",
    "next_unjudged",
    "pool_grades",
    "qrels_text",
    "query_spec",
    "run_methods",
    "run_text",
]
