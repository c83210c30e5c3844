"""Search: the examiner's search (issue 12). Drop a drawing sheet (choose its figures, cut a region, paste its
description), a whole publication, or pick a figure of the collection or type words; get the most similar
figures as cards to mark, refine ("more like these") and report.

The query widgets are in :mod:`app_pages.search_query`, the results in :mod:`app_pages.search_results`. Results
are shown only under the query and settings they were found with: a new upload (readable or not), another figure
or another setting takes them away. Settings, uploads and results survive a visit to another page. Every search
is in the collection's audit log; the history in the sidebar re-opens a past one.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import (
    collection_or_stop,
    get_collection,
    get_searcher,
    remember_widgets,
    reporting_errors,
    user_name,
)
from app_pages.components import md_escape
from app_pages.search_query import drawing_query, figure_query, publication_query, text_query
from app_pages.search_results import ShownSearch, show_results
from patimg.search_records import SearchFilters, SearchSettings
from patimg.vocabulary import CHANNELS, FIGURE_KINDS, FUSION_RULES

#: The OCR backend query drawings are read with: the one the app's searcher reads them with (its default).
QUERY_OCR = "rapidocr"
QUERY_SOURCES = ["Upload a drawing", "Upload a publication", "A figure of the collection", "A text"]
#: The search settings' widgets and their first values; with the query's widgets, all survive another page.
SETTINGS_DEFAULTS = {
    "channel": None,
    "fusion": None,
    "visual_weight": 0.5,
    "k": 20,
    "office": None,
    "date_from": None,
    "date_to": None,
    "class_prefix": "",
    "figure_kinds": [],
    "exclude_own": True,
}
QUERY_DEFAULTS = {
    "query_source": None,
    "query_patent": None,
    "query_figure": None,
    "query_page": None,
    "query_text": "",
    "sheet_figures": None,
    "crop_on": False,
    "crop_x": (25, 75),
    "crop_y": (25, 75),
    "description_text": "",
    "results_of": None,
    "group_by_patent": False,
    "examiner_notes": "",
}

st.title("Search figures")
path = collection_or_stop()
collection = get_collection(str(path))
remember_widgets({**QUERY_DEFAULTS, **SETTINGS_DEFAULTS})
examiner = user_name("Examiner")


def search_settings() -> tuple[SearchSettings, bool]:
    """The settings widgets: channel, fusion rule, number of results, filters; and "exclude the own patent"."""
    # "fused" first: the default.
    channel = st.radio("Channel", [CHANNELS[-1], *CHANNELS[:-1]], horizontal=True, key="channel")
    fusion = st.selectbox(
        "Fusion rule",
        FUSION_RULES,
        key="fusion",
        disabled=channel != "fused",
        help="avg and max are the paper's",
    )
    weights = None
    if fusion == "weighted" and channel == "fused":
        visual_weight = st.slider("Visual weight", 0.0, 1.0, key="visual_weight")
        weights = {"visual": visual_weight, "text": 1.0 - visual_weight}
    k = st.slider("Results per query figure", 5, 100, step=5, key="k")
    with st.expander("Filters"):
        office = st.selectbox("Office", ["any", "US", "EP"], key="office")
        date_from = st.date_input(
            "Published from", value=None, min_value=dt.date(1790, 1, 1), key="date_from"
        )
        date_to = st.date_input("Published until", value=None, min_value=dt.date(1790, 1, 1), key="date_to")
        class_prefix = st.text_input("IPC/CPC class starts with (e.g. F04D)", key="class_prefix")
        kinds = st.multiselect(
            "Figure type",
            FIGURE_KINDS,
            key="figure_kinds",
            placeholder="any",
            help="Only figures of these types, told from their ink and text when they were read "
            "(figures stored before that have none and are left out)",
        )
        exclude_own = st.checkbox("Exclude the query's own patent", key="exclude_own")
    filters = SearchFilters(
        office=None if office == "any" else office,
        date_from=date_from.isoformat() if date_from else None,
        date_to=date_to.isoformat() if date_to else None,
        class_prefix=class_prefix.strip() or None,
        exclude_patent=exclude_own,
        kinds=tuple(kinds),
    )
    return SearchSettings(channel=channel, fusion=fusion, k=k, filters=filters, weights=weights), exclude_own


query_col, options_col = st.columns([3, 2])
with query_col:
    source = st.radio("Query", QUERY_SOURCES, horizontal=True, key="query_source")
    if source == QUERY_SOURCES[0]:
        query = drawing_query(QUERY_OCR)
    elif source == QUERY_SOURCES[1]:
        query = publication_query()
    elif source == QUERY_SOURCES[2]:
        query = figure_query(collection)
    else:
        query = text_query()
with options_col:
    settings, exclude_own = search_settings()
signature = (query.signature, settings, exclude_own)

if st.button("Search", type="primary", key="search_button", disabled=query.search is None):
    with reporting_errors(), st.spinner("Searching..."):
        result = query.search(get_searcher(path), settings, exclude_own, examiner or "examiner")
        st.session_state["search"] = ShownSearch(
            result,
            settings,
            query.name,
            signature,
            judged_by=query.judged_by,
            query_patent=query.query_patent,
            report_image=query.report_image,
        )
        st.session_state["marks"] = {}
        st.session_state.pop("report", None)
        for key in [key for key in st.session_state if str(key).startswith("mark-")]:
            del st.session_state[key]
if query.search is None:
    st.caption(
        "Upload a readable drawing or publication, or pick a figure of the collection or type words, then press Search."
    )


def history_panel() -> None:
    """The audit log's last searches (this examiner's, when named); a click re-opens one's results."""
    from patimg.evaluation.store import JudgmentStore
    from patimg.search_history import past_searches, reopen

    with st.sidebar.expander("Search history"):
        mine = bool(examiner) and st.toggle(f"Only {examiner}'s", value=True, key="history_mine")
        searches = past_searches(
            JudgmentStore(path / "judgments.sqlite"), user=examiner if mine else None, limit=10
        )
        if not searches:
            st.caption("No search yet.")
        for past in searches:
            label = f"{past.time[:16].replace('T', ' ')} · {past.user} · {past.describe()}"
            if st.button(md_escape(label), key=f"reopen-{past.entry_ids[0]}", width="stretch"):
                with reporting_errors():
                    result = reopen(collection, past)
                    st.session_state["search"] = ShownSearch(
                        result, past.settings(), past.describe(), signature, judged_by=None
                    )
                    st.session_state["marks"] = {}
                    st.rerun()


history_panel()
shown = st.session_state.get("search")
if shown is not None and shown.signature != signature:
    st.info("The query or its settings changed since the results below were found: press Search.")
    st.session_state.pop("search")
    shown = None
if shown is not None:
    show_results(collection, path, shown, examiner)
