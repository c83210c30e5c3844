"""Judge: pick or make a query, then mark each result of its blind pool relevant or not relevant.

The pool is the union of the top results of every method (text, visual and the four fusion rules) in an
order that hides which method found what (:func:`patimg.evaluation.build_pool`). Judgments go to the
collection's ``judgments.sqlite``: each annotator has their own, changes keep a history, and several
annotators can judge at once.

Keys: ``r`` relevant, ``n`` not relevant, ``s`` skip (a small script clicks the buttons; the buttons
work alone). Upload handling for tests: an upload is kept in ``st.session_state["judge_upload"]`` as
``(file name, bytes)``; ``streamlit.testing`` cannot upload files, so tests put a pair there directly.
"""

from __future__ import annotations

import json

import streamlit as st

from app_pages.common import (
    collection_or_stop,
    get_collection,
    get_searcher,
    index_version,
    pick_figure,
    reporting_errors,
    user_name,
)
from app_pages.components import md_escape, plural, show_figure, show_sign_sentences
from patimg.evaluation import (
    HIGHLY_RELEVANT,
    MARGINAL,
    NOT_RELEVANT,
    RELEVANT,
    JudgmentStore,
    build_pool,
    create_query,
    describe_query,
    judging_progress,
    next_unjudged,
    pool_grades,
    query_spec,
)
from patimg.evaluation.store import TAGS

GRID_COLUMNS = 3
GRID_PAGE = 12
SENTENCES_PER_SIGN = 3
#: One button per grade: (label with its keys, widget key). r and n are the binary habit, 2 and 0.
GRADE_BUTTONS = {
    NOT_RELEVANT: ("Not relevant [n 0]", "judge_not_relevant"),
    MARGINAL: ("Marginal [1]", "judge_marginal"),
    RELEVANT: ("Relevant [r 2]", "judge_relevant"),
    HIGHLY_RELEVANT: ("Highly relevant [3]", "judge_highly_relevant"),
}
LABEL_SKIP, LABEL_UNDO = "Skip [s]", "Undo [u]"
KEYS = {
    "n": GRADE_BUTTONS[NOT_RELEVANT][0],
    "r": GRADE_BUTTONS[RELEVANT][0],
    **{str(grade): label for grade, (label, _) in GRADE_BUTTONS.items()},
    "s": LABEL_SKIP,
    "u": LABEL_UNDO,
}
GRADE_BADGES = {
    NOT_RELEVANT: ":red-badge[not relevant]",
    MARGINAL: ":orange-badge[marginal]",
    RELEVANT: ":green-badge[relevant]",
    HIGHLY_RELEVANT: ":green-badge[highly relevant]",
    None: ":gray-badge[not judged yet]",
}

# Maps the keys 0-3, r, n, s and u to clicks on the buttons above (Streamlit has no key bindings). window.parent is the page
# itself (or the page around an iframe); the listener is installed once per browser tab
# and looks the buttons up at key time, and ignores keys typed into text fields.
KEYBOARD_SCRIPT = """
<script>
const doc = window.parent.document;
if (!doc.patimgJudgeKeys) {
  doc.patimgJudgeKeys = true;
  const labels = LABELS;
  doc.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    const label = labels[event.key.toLowerCase()];
    if (!label) return;
    const button = Array.from(doc.querySelectorAll("button")).find((b) => b.innerText.trim() === label);
    if (button) { event.preventDefault(); button.click(); }
  });
}
</script>
""".replace("LABELS", json.dumps(KEYS))

st.title("Judge results")
path = collection_or_stop()
collection = get_collection(str(path))
store = JudgmentStore(path / "judgments.sqlite")

annotator = user_name("Annotator")
depth = int(st.sidebar.number_input("Pool depth (per method)", 1, 200, 50, key="pool_depth"))
if not annotator:
    st.info("Enter your name in the sidebar (no spaces): judgments are kept per annotator.")
    st.stop()
if any(ch.isspace() for ch in annotator):
    suggestion = "_".join(annotator.split())
    st.warning(
        md_escape(
            f'"{annotator}" has a space: annotator names go into TREC files, which split on spaces. '
            f"Use initials or join the words ({suggestion})."
        )
    )
    st.stop()


# -- the query ---------------------------------------------------------------------------------------


def _figure_choice() -> str | None:
    figure_id = pick_figure(collection, key="judge")
    if figure_id is None:
        return None
    st.image(str(collection.figure_image_path(figure_id)), width=240)
    return figure_id


def _upload_choice() -> bytes | None:
    uploaded = st.file_uploader(
        "Drop a drawing (PNG, JPEG, TIFF)", type=["png", "jpg", "jpeg", "tif", "tiff"], key="judge_file"
    )
    if uploaded is not None:
        st.session_state["judge_upload"] = (uploaded.name, uploaded.getvalue())
    if st.session_state.get("judge_upload") is None:
        return None
    return st.session_state["judge_upload"][1]


def _start(query_id: str) -> None:
    st.session_state["judge_query_id"] = query_id
    st.session_state.pop("judge_current", None)
    st.rerun()  # redraw with the query chooser folded away


with st.expander("Choose a query", expanded="judge_query_id" not in st.session_state):
    mode = st.radio(
        "Judge results for",
        ["A figure of the collection", "An uploaded drawing", "A query judged before"],
        horizontal=True,
        key="judge_query_mode",
    )
    if mode == "A query judged before":
        queries = store.list_queries()
        if not queries:
            st.caption("No query has been judged yet.")
        else:
            names = {
                q.query_id: f"{q.query_id} — {describe_query(query_spec(store, q.query_id))}" for q in queries
            }
            chosen = st.selectbox("Query", list(names), format_func=names.get, key="judge_existing")
            if st.button("Judge this query", type="primary", key="continue_query"):
                _start(chosen)
    else:
        figure_id = _figure_choice() if mode == "A figure of the collection" else None
        image_bytes = _upload_choice() if mode == "An uploaded drawing" else None
        text = st.text_input("Optional text", key="judge_text")
        if st.button("Judge this query", type="primary", key="start_query"):
            new_query = None
            with reporting_errors():
                new_query = create_query(
                    store, figure_id=figure_id, image_bytes=image_bytes, text=text, collection=collection
                )
            if new_query is not None:
                _start(new_query)

query_id = st.session_state.get("judge_query_id")
if not query_id:
    st.stop()
spec = None
with reporting_errors():
    spec = query_spec(store, query_id, figure_ids=None)
if spec is None:
    st.stop()

pools = st.session_state.setdefault("judge_pools", {})
pool_key = (str(path), index_version(path), query_id, depth)
if pool_key not in pools:
    with reporting_errors(), st.spinner("Running every method on the query..."):
        pools[pool_key] = build_pool(get_searcher(path), spec, depth=depth, user=annotator, query_id=query_id)
pool = pools.get(pool_key)
if pool is None:
    st.stop()
if not pool:
    st.warning("No method returned anything for this query.")
    st.stop()


# -- judging -------------------------------------------------------------------------------------------


def _judge(figure_id: str, grade: int, advance: bool) -> None:
    before = next(
        (j for j in store.judgments(query_id, annotator=annotator) if j.figure_id == figure_id), None
    )
    st.session_state["judge_last"] = (figure_id, before)  # what Undo puts back
    tags = st.session_state.get(f"judge_tags_{figure_id}", [])
    note = st.session_state.get(f"judge_note_{figure_id}", "").strip()
    store.judge(query_id, figure_id, grade, annotator=annotator, tags=tags, note=note)
    if advance:
        st.session_state["judge_current"] = (
            next_unjudged(store, query_id, pool, annotator=annotator, after=figure_id) or figure_id
        )


def _undo() -> None:
    """Put the last judgment back as it was (or unjudged), and show that result again."""
    figure_id, before = st.session_state.pop("judge_last")
    if before is None:
        store.withdraw(query_id, figure_id, annotator=annotator)
    else:
        store.judge(
            query_id, figure_id, before.grade, annotator=annotator, tags=before.tags, note=before.note
        )
    st.session_state["judge_current"] = figure_id


def _skip(figure_id: str) -> None:
    following = next_unjudged(store, query_id, pool, annotator=annotator, after=figure_id)
    st.session_state["judge_current"] = following or pool[(pool.index(figure_id) + 1) % len(pool)]


def _move(figure_id: str, step: int) -> None:
    st.session_state["judge_current"] = pool[(pool.index(figure_id) + step) % len(pool)]


def _open(figure_id: str) -> None:
    st.session_state["judge_current"] = figure_id
    st.session_state["judge_view"] = "One at a time"


def _badge(grade: int | None) -> str:
    return GRADE_BADGES.get(grade, f":blue-badge[grade {grade}]")


def _signs_and_sentences(figure_id: str) -> None:
    """The figure's reference signs with the description sentences that use them (what annotators read)."""
    figure = collection.figure(figure_id)
    links = collection.links(figure_id)
    linked = [lk for lk in links if lk.sentence_indexes]
    with st.expander(
        f"Reference signs ({len(links)}) and sentences ({len(linked)} signs linked)", expanded=False
    ):
        if not links:
            st.caption("No reference signs were read on this figure.")
        for link in links:
            show_sign_sentences(collection, link, figure.patent_id, limit=SENTENCES_PER_SIGN)


def _show_query() -> None:
    st.markdown("**Query**")
    st.caption(md_escape(f"{query_id}: {describe_query(spec)}"))
    with reporting_errors():  # a broken image must not break the page
        if spec.figure_id:
            show_figure(collection, spec.figure_id)
            _signs_and_sentences(spec.figure_id)
        elif spec.image_path:
            from patimg.figures import load_drawing

            st.image(load_drawing(spec.image_path, name="query drawing"), width="stretch")
    if spec.text:
        st.markdown("Text: " + md_escape(spec.text))


with st.expander("Judging guidelines", expanded=False):
    guidelines = store.guidelines()
    if guidelines:
        st.text(guidelines)
    else:
        st.caption("No guidelines written for this collection yet.")
    edited = st.text_area(
        "Edit the guidelines (shared by every annotator of the collection)",
        guidelines,
        key="judge_guidelines",
    )
    if st.button("Save guidelines", key="save_guidelines", disabled=edited == guidelines):
        with reporting_errors():
            store.save_guidelines(edited)
            st.rerun()

judged, total = judging_progress(store, query_id, pool, annotator=annotator)
st.progress(judged / total, text=f"{judged} / {total} judged by {md_escape(annotator)}")
if judged == total:
    st.success(
        f"You have judged all {total} results of this query. Change any of them below, or see Evaluate."
    )

view = st.radio("View", ["One at a time", "Grid"], horizontal=True, key="judge_view")
grades = pool_grades(store, query_id, pool, annotator=annotator)

if view == "One at a time":
    current = st.session_state.get("judge_current")
    if current not in pool:
        current = next_unjudged(store, query_id, pool, annotator=annotator) or pool[0]
        st.session_state["judge_current"] = current
    figure = collection.figure(current)
    patent = collection.patent(figure.patent_id)
    history = store.history(query_id, current)
    own = [h for h in history if h.annotator == annotator]

    mine = next((j for j in store.judgments(query_id, annotator=annotator) if j.figure_id == current), None)
    with st.container(horizontal=True, vertical_alignment="center"):
        for grade, (label, key) in GRADE_BUTTONS.items():
            kind = "primary" if grade == RELEVANT else "secondary"
            st.button(label, type=kind, key=key, on_click=_judge, args=(current, grade, True))
        st.button(LABEL_SKIP, key="judge_skip", on_click=_skip, args=(current,))
        st.button(LABEL_UNDO, key="judge_undo", on_click=_undo, disabled="judge_last" not in st.session_state)
        st.button("◀ Previous", key="judge_previous", on_click=_move, args=(current, -1))
        st.button("Next ▶", key="judge_next", on_click=_move, args=(current, 1))
        st.caption("Keys: 0-3 grade · r relevant (2) · n not relevant (0) · s skip · u undo")
    with st.container(horizontal=True):
        st.multiselect(
            "Why (optional)",
            TAGS,
            default=list(mine.tags) if mine else [],
            key=f"judge_tags_{current}",
            help="visual: looks alike · semantic: means the same · part: shows a part of the query's object",
        )
        st.text_input("Note (optional)", value=mine.note if mine else "", key=f"judge_note_{current}")
    # Our own script (no document text in it); st.html runs it in the page itself.
    st.html(KEYBOARD_SCRIPT, unsafe_allow_javascript=True)

    left, right = st.columns(2)
    with left:
        _show_query()
    with right:
        st.markdown(
            f"**Result {pool.index(current) + 1} of {total}** · your judgment: {_badge(grades[current])}"
        )
        if len(own) > 1:
            st.caption(f"You changed this judgment {plural(len(own) - 1, 'time')}; the history is kept.")
        st.caption(md_escape(f"{figure.patent_id} · {figure.caption or current} · {patent.title}"))
        with reporting_errors():
            show_figure(collection, current)
        _signs_and_sentences(current)
else:
    page_count = max(1, -(-total // GRID_PAGE))
    page = int(st.number_input(f"Page (1-{page_count})", 1, page_count, 1, key="judge_grid_page")) - 1
    shown = pool[page * GRID_PAGE : (page + 1) * GRID_PAGE]
    query_col, grid_col = st.columns([1, 3])
    with query_col:
        _show_query()
    with grid_col:
        for start in range(0, len(shown), GRID_COLUMNS):
            for column, figure_id in zip(
                st.columns(GRID_COLUMNS), shown[start : start + GRID_COLUMNS], strict=False
            ):
                with column:
                    figure = collection.figure(figure_id)
                    st.image(str(collection.figure_image_path(figure_id)), width="stretch")
                    st.caption(md_escape(f"{figure.patent_id} · {figure.caption or figure_id}"))
                    st.markdown(_badge(grades[figure_id]))
                    with st.container(horizontal=True, gap="small"):
                        st.button(
                            "✓",
                            key=f"grid-rel-{figure_id}",
                            help="relevant",
                            on_click=_judge,
                            args=(figure_id, RELEVANT, False),
                        )
                        st.button(
                            "✗",
                            key=f"grid-not-{figure_id}",
                            help="not relevant",
                            on_click=_judge,
                            args=(figure_id, NOT_RELEVANT, False),
                        )
                        st.button(
                            "⤢",
                            key=f"grid-open-{figure_id}",
                            help="open with its reference signs and sentences",
                            on_click=_open,
                            args=(figure_id,),
                        )

others = {j.annotator for j in store.judgments(query_id) if j.annotator != annotator}
if others:
    st.caption(md_escape(f"Also judged by: {', '.join(sorted(others))}"))
