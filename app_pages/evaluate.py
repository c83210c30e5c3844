"""Evaluate: AP@50 per query and mAP per method on the judgments, in the shape of the paper's Table 1.

Every method answers every judged query with the collection's searcher and is scored on the same pooled
judgments (trec_eval ``map_cut.50`` through ir-measures). Exports: the qrels and one TREC run file per
method; imports: a TREC qrels file. Upload handling for tests: an upload is kept in
``st.session_state["qrels_upload"]`` as ``(file name, bytes)``; tests put a pair there directly.
"""

from __future__ import annotations

import json

import streamlit as st

from app_pages.common import collection_or_stop, get_collection, get_searcher, index_version, reporting_errors
from app_pages.components import md_escape, plural
from patimg.evaluation import JudgmentStore, evaluate_collection, import_qrels_bytes, qrels_text, run_text
from patimg.evaluation.significance import TESTS
from patimg.vocabulary import AGGREGATES, PAPER_TABLE_1, RUN_LABELS

st.title("Evaluate methods")
path = collection_or_stop()
collection = get_collection(str(path))
store = JudgmentStore(path / "judgments.sqlite")

AGGREGATE_NAMES = {
    "max": "relevant if anyone says so",
    "majority": "majority vote",
    "adjudicated": "adjudicated grade, else majority",
}
depth = int(st.sidebar.number_input("Cutoff (AP@k)", 1, 200, 50, key="eval_depth"))
aggregate = st.sidebar.selectbox(
    "Several annotators", AGGREGATES, key="eval_aggregate", format_func=AGGREGATE_NAMES.get
)
relevance = st.sidebar.selectbox(
    "Relevant from grade (AP, P)",
    [1, 2, 3],
    key="eval_relevance",
    format_func={1: "1 marginal", 2: "2 relevant", 3: "3 highly relevant"}.get,
    help="nDCG uses the grades themselves",
)
test = st.sidebar.selectbox("Test between methods", TESTS, key="eval_test")


@st.cache_data(show_spinner="Running every method on the judged queries...", max_entries=8)
def _evaluation(path_text: str, version: str, qrels_json: str, depth: int, aggregate: str, relevance: int):
    # Keyed by the judgments themselves, so the table is recomputed exactly when they change.
    del version  # part of the cache key only: a rebuilt index gives other runs
    return evaluate_collection(
        collection,
        depth=depth,
        searcher=get_searcher(path),
        store=store,
        aggregate=aggregate,
        relevance=relevance,
        user="patimg",
    )


def _agreement_and_adjudication() -> None:
    """How far annotators agree, and where they disagree a final grade to record."""
    from patimg.evaluation.agreement import agreement, disagreements
    from patimg.evaluation.store import ADJUDICATOR, GRADES

    found = agreement(store)
    if len(found.annotators) < 2:
        return
    st.subheader("Agreement between annotators")
    st.dataframe(
        [
            {**pair, "cohen_kappa": "–" if pair["cohen_kappa"] is None else round(pair["cohen_kappa"], 3)}
            for pair in found.pairs
        ],
        hide_index=True,
        key="agreement_pairs",
    )
    alpha = found.krippendorff_alpha
    st.markdown(
        f"Krippendorff's alpha (ordinal, all annotators): **{'–' if alpha is None else f'{alpha:.3f}'}** · "
        "Cohen's kappa on the results both annotators of a pair judged (scikit-learn)."
    )
    open_items = [d for d in disagreements(store) if d["final"] is None]
    with st.expander(f"Adjudicate: {plural(len(open_items), 'disagreement')} without a final grade"):
        for item in open_items[:20]:
            grades = ", ".join(f"{who}: {grade}" for who, grade in item["grades"].items())
            st.markdown(md_escape(f"{item['query_id']} · {item['figure_id']} · {grades}"))
            key = f"{item['query_id']}-{item['figure_id']}"
            final = st.selectbox(
                "Final grade", list(GRADES), format_func=lambda g: f"{g} {GRADES[g]}", key=f"final-{key}"
            )
            if st.button("Record", key=f"adjudicate-{key}"):
                with reporting_errors():
                    store.judge(item["query_id"], item["figure_id"], final, annotator=ADJUDICATOR)
                    st.rerun()
        st.caption("Final grades count with the 'adjudicated grade, else majority' setting in the sidebar.")


qrels = store.qrels(aggregate=aggregate)
result = None
if not qrels:
    st.info("No judgments yet: judge results on the Judge page, or import a qrels file below.")
else:
    with reporting_errors():
        result = _evaluation(
            str(path), index_version(path), json.dumps(qrels, sort_keys=True), depth, aggregate, relevance
        )

if result is not None:
    meta = result.meta
    if meta["queries"] == 0:
        st.warning(
            f"{meta['judged_queries']} queries are judged, but none has a relevant result yet, so no AP can "
            "be computed (AP divides by the number of relevant results)."
        )
    st.subheader(f"mAP (AP@{depth}) per method")
    shown = result.table.copy()
    if "paper (mAP)" in shown:  # the paper has no rrf/weighted rows: a dash, not "None"
        shown["paper (mAP)"] = [f"{v:.3f}" if v == v else "–" for v in shown["paper (mAP)"]]
    # A static table, like the paper's: six rows read at a glance (and as text, not a canvas).
    measures = [f"mAP (AP@{depth})", f"nDCG@{depth}", "P@1", "P@10", f"judged@{depth}"]
    st.table(shown.style.format(dict.fromkeys(measures, "{:.3f}")))
    st.markdown(
        f"**{meta['queries']}** {'query' if meta['queries'] == 1 else 'queries'} evaluated "
        f"(of {meta['judged_queries']} judged; "
        f"{len(meta['queries_without_relevant'])} without any relevant result are left out) · "
        f"**{meta['judgments']}** judgments · judged pool depth **{meta['judged_pool_depth']}** "
        f"(every method's results are judged down to that rank for every query) · "
        f"**{meta['unjudged_not_relevant']}** of {meta['retrieved']} retrieved results were never judged and "
        "are counted as not relevant."
    )
    st.caption(
        "AP@50 is trec_eval's map_cut.50 (" + md_escape(meta.get("library", "ir_measures")) + "); "
        "several annotators' judgments are combined as: "
        + md_escape(AGGREGATE_NAMES[meta["aggregate"]])
        + ". "
        "For context, the paper's Table 1 (Pustu-Iren et al., 2021; its own collection and judgments): "
        + ", ".join(f"{label} {value:.3f}" for label, value in PAPER_TABLE_1.items())
        + "."
    )
    comparisons = result.scores.comparisons(test=test)
    if comparisons and meta["queries"] >= 2:
        import pandas as pd

        st.subheader("Is the difference real?")
        labels = {name: RUN_LABELS.get(name, name) for name in result.runs}
        rows = [
            {
                "method": labels[c.a],
                "against": labels[c.b],
                "difference (mAP)": c.difference,
                "p-value": c.p_value,
                "significant (p < 0.05)": "–" if c.p_value is None else ("yes" if c.p_value < 0.05 else "no"),
            }
            for c in comparisons
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="comparisons")
        st.caption(
            md_escape(
                f"{test} on per-query AP@{depth} over the same {meta['queries']} queries (scipy). With few queries, "
                "differences of a few hundredths are rarely significant."
            )
        )
    if not result.per_query.empty:
        st.subheader(f"AP@{depth} per query")
        st.bar_chart(result.per_query, stack=False)
        with st.expander("Per-query numbers"):
            frame = result.per_query.copy()
            frame.insert(0, "query", [meta["query_descriptions"].get(q, q) for q in frame.index])
            st.dataframe(frame, width="stretch")

    st.subheader("Export")
    columns = st.columns(1 + len(result.runs))
    columns[0].download_button(
        "qrels", qrels_text(result.qrels).encode("utf-8"), "patimg.qrels", "text/plain", key="export_qrels"
    )
    for column, (name, run) in zip(columns[1:], result.runs.items(), strict=True):
        column.download_button(
            f"{name} run",
            run_text(run, name=name).encode("utf-8"),
            f"{name}.run",
            "text/plain",
            key=f"export_run_{name}",
        )

_agreement_and_adjudication()

st.subheader("Import judgments")
st.caption(
    "A TREC qrels file: one line `query_id 0 figure_id grade` per judgment (grade 0 not relevant, 1 relevant)."
)
uploaded = st.file_uploader("qrels file", type=None, key="qrels_file")
if uploaded is not None:
    st.session_state["qrels_upload"] = (uploaded.name, uploaded.getvalue())
import_as = st.text_input("Record them as annotator", value="imported", key="import_annotator")
if st.button("Import", key="import_qrels", disabled=st.session_state.get("qrels_upload") is None):
    name, data = st.session_state["qrels_upload"]
    count = None
    with reporting_errors():  # a bad file is a message naming the line
        count = import_qrels_bytes(store, data, annotator=import_as.strip(), name=name, collection=collection)
    if count is not None:
        st.session_state.pop("qrels_upload", None)
        st.session_state["import_message"] = f"Imported {count} judgments from {name} as {import_as.strip()}."
        st.rerun()
if "import_message" in st.session_state:
    st.success(md_escape(st.session_state.pop("import_message")))
