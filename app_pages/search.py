"""Search: drop a drawing (or pick a figure of the collection), get the most similar figures.

Upload handling for tests: the uploaded file is kept in ``st.session_state["query_upload"]`` as
``(file name, bytes)``; ``streamlit.testing`` cannot upload files, so tests put a pair there directly.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.common import collection_or_stop, get_collection, get_searcher, pick_figure, reporting_errors
from app_pages.components import md_escape, pick_sign, plural, show_figure, show_sign_sentences
from patimg.search import SearchFilters, SearchSettings, hits_to_rows
from patimg.vocabulary import CHANNELS, FUSION_RULES

GRID_COLUMNS = 4
#: The widgets a search is made of: results are shown only while they hold the values the search was made with
#: (a new upload, another figure, another fusion rule, or widgets reset by a visit to another page).
SEARCH_WIDGETS = (
    "query_source",
    "query_patent",
    "query_figure",
    "query_page",
    "query_text",
    "channel",
    "fusion",
    "visual_weight",
    "k",
    "office",
    "date_from",
    "date_to",
    "class_prefix",
    "exclude_own",
)

st.title("Search figures")
path = collection_or_stop()
collection = get_collection(str(path))


@st.cache_data(show_spinner=False, max_entries=8)
def _upload_pages(name: str, data: bytes):
    from patimg.figures import load_drawing_pages

    return load_drawing_pages(data, name=name)


def _query_from_upload():
    """The uploaded drawing (a page of it) or ``None``; a bad file shows an error and gives ``None``."""
    uploaded = st.file_uploader(
        "Drop a drawing (PNG, JPEG, TIFF; a multi-page TIFF lets you pick the page)",
        type=["png", "jpg", "jpeg", "tif", "tiff"],
        key="query_file",
    )
    if uploaded is not None:
        st.session_state["query_upload"] = (uploaded.name, uploaded.getvalue())
    if st.session_state.get("query_upload") is None:
        return None
    name, data = st.session_state["query_upload"]
    pages = None
    with reporting_errors():
        pages = _upload_pages(name, data)
    if pages is None:
        return None
    page = 0
    if len(pages) > 1:
        page = st.number_input(f"Page of {name} (1-{len(pages)})", 1, len(pages), 1, key="query_page") - 1
    return pages[page]


query_col, options_col = st.columns([3, 2])
with query_col:
    source = st.radio(
        "Query", ["Upload a drawing", "A figure of the collection"], horizontal=True, key="query_source"
    )
    query_image = query_figure = None
    if source == "Upload a drawing":
        query_image = _query_from_upload()
        if query_image is not None:
            st.image(query_image, caption="Query drawing", width=280)
    else:
        query_figure = pick_figure(collection, key="query")
        if query_figure:
            st.image(str(collection.figure_image_path(query_figure)), caption=query_figure, width=280)
    query_text = st.text_input('Optional text (e.g. "propeller with swept blades")', key="query_text")

with options_col:
    # "fused" first: the default.
    channel = st.radio("Channel", [CHANNELS[-1], *CHANNELS[:-1]], horizontal=True, key="channel")
    fusion = st.selectbox(
        "Fusion rule",
        FUSION_RULES,
        key="fusion",
        disabled=channel != "fused",
        help="avg and max are the paper's rules",
    )
    weights = None
    if fusion == "weighted" and channel == "fused":
        visual_weight = st.slider("Visual weight", 0.0, 1.0, 0.5, key="visual_weight")
        weights = {"visual": visual_weight, "text": 1.0 - visual_weight}
    k = st.slider("Results", 5, 100, 20, step=5, key="k")
    with st.expander("Filters"):
        office = st.selectbox("Office", ["any", "US", "EP"], key="office")
        date_from = st.date_input(
            "Published from", value=None, min_value=dt.date(1790, 1, 1), key="date_from"
        )
        date_to = st.date_input("Published until", value=None, min_value=dt.date(1790, 1, 1), key="date_to")
        class_prefix = st.text_input("IPC/CPC class starts with (e.g. F04D)", key="class_prefix")
        exclude_own = st.checkbox("Exclude the query's own patent", value=True, key="exclude_own")


def _query_signature() -> tuple:
    """What the current widgets and upload ask; a search is shown only under the signature it was made with."""
    import hashlib

    upload = st.session_state.get("query_upload")
    digest = hashlib.sha256(upload[1]).hexdigest() if upload and source == "Upload a drawing" else None
    values = tuple((key, st.session_state.get(key)) for key in SEARCH_WIDGETS)
    return values, digest


nothing_to_search = query_image is None and query_figure is None and not query_text.strip()
if st.button("Search", type="primary", key="search_button", disabled=nothing_to_search):
    settings = SearchSettings(
        channel=channel,
        fusion=fusion,
        k=k,
        filters=SearchFilters(
            office=None if office == "any" else office,
            date_from=date_from.isoformat() if date_from else None,
            date_to=date_to.isoformat() if date_to else None,
            class_prefix=class_prefix.strip() or None,
            exclude_patent=exclude_own,
        ),
        weights=weights,
    )
    with reporting_errors(), st.spinner("Searching..."):
        result = get_searcher(path).search(
            image=query_image,
            image_name=st.session_state.get("query_upload", ("", b""))[0]
            if query_image is not None
            else None,
            figure_id=query_figure if query_image is None else None,
            text=query_text or None,
            settings=settings,
            user=st.session_state.get("annotator") or "examiner",
        )
        st.session_state["search"] = {
            "result": result,
            "image": query_image,
            "figure_id": query_figure if query_image is None else None,
            "text": query_text,
            "signature": _query_signature(),
        }
        st.session_state.pop("opened_hit", None)
if nothing_to_search:
    st.caption(
        "Upload a readable drawing or pick a figure of the collection (or type some text), then press Search."
    )


def _scores_line(hit) -> str:
    parts = [f"score {hit.score:.3f}"]
    for ch, value in hit.scores.items():
        parts.append(f"{ch} {value:.3f}" if value is not None else f"{ch} –")
    return " · ".join(parts)


def _signs(figure_id: str, patent_id: str, *, key: str) -> str | None:
    """Choose one of a figure's reference signs; show its term and sentences. Returns the sign."""
    link = pick_sign(collection.links(figure_id), key=key, compact=True)
    if link is None:
        return None
    show_sign_sentences(collection, link, patent_id)
    return link.sign


state = st.session_state.get("search")
if state and state["signature"] != _query_signature():
    st.info("The query or its settings changed since the results below were found: press Search.")
    st.session_state.pop("search")
    st.session_state.pop("opened_hit", None)
    state = None
if state:
    result = state["result"]
    for note in result.notes:
        st.info(note)
    signs = [lab.text for lab in result.query_labels if lab.kind == "reference"]
    st.markdown(
        "**Reference signs read on the query:** " + (md_escape(", ".join(signs)) if signs else "none")
    )
    if not result.hits and result.channels_used:
        st.warning("No figure matched (check the filters).")
    patents = collection.patents().set_index("patent_id")
    titles = patents["title"].to_dict()

    import pandas as pd

    table = pd.DataFrame(hits_to_rows(result.hits, titles))
    st.download_button(
        "Export results (CSV)",
        table.to_csv(index=False).encode("utf-8"),
        "patimg-results.csv",
        "text/csv",
        key="export_csv",
    )

    opened = st.session_state.get("opened_hit")
    if opened:
        hit = next((h for h in result.hits if h.figure_id == opened), None)
        if hit is not None:
            st.subheader(md_escape(f"Query and result #{hit.rank}: {hit.patent_id} {hit.caption}"))
            left, right = st.columns(2)
            with left:
                st.markdown("**Query**")
                if state["figure_id"]:
                    query_sign = _signs(
                        state["figure_id"], collection.figure(state["figure_id"]).patent_id, key="query_sign"
                    )
                    show_figure(collection, state["figure_id"], highlight=query_sign)
                elif state["image"] is not None:
                    from patimg.figures import render_labels

                    st.image(render_labels(state["image"], result.query_labels), width="stretch")
            with right:
                st.markdown(f"**{md_escape(hit.patent_id)}** {md_escape(titles.get(hit.patent_id, ''))}")
                st.caption(md_escape(_scores_line(hit)))
                hit_sign = _signs(hit.figure_id, hit.patent_id, key="hit_sign")
                show_figure(collection, hit.figure_id, highlight=hit_sign)
            if st.button("Close", key="close_hit"):
                st.session_state.pop("opened_hit", None)
                st.rerun()

    st.subheader(plural(len(result.hits), "result"))
    for start in range(0, len(result.hits), GRID_COLUMNS):
        for column, hit in zip(
            st.columns(GRID_COLUMNS), result.hits[start : start + GRID_COLUMNS], strict=False
        ):
            with column:
                st.image(str(collection.figure_image_path(hit.figure_id)), width="stretch")
                st.markdown(md_escape(f"{hit.rank}. {hit.patent_id} · {hit.caption or hit.figure_id}"))
                st.caption(md_escape(titles.get(hit.patent_id, "")))
                st.caption(md_escape(_scores_line(hit)))
                if st.button(f"Open result {hit.rank}", key=f"open-{hit.figure_id}"):
                    st.session_state["opened_hit"] = hit.figure_id
                    st.rerun()
