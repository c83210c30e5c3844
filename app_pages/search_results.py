"""The Search page's results: cards an examiner can use, marks, "more like these", the report.

A card shows the figure, its caption, the publication (number, date, title, applicant, classes), the score, links
out to Espacenet, Google Patents and the USPTO, a mark (relevant / not relevant) and a zoom. Results of a search
with several query figures are shown fused (:func:`patimg.multi_query.fuse_query_hits`) or per query figure, and
can be grouped by patent. Marks live in ``st.session_state["marks"]`` (``{figure_id: mark}``) and are recorded as
the examiner's judgments as they are made; "More like these" searches again with them
(:func:`patimg.feedback.more_like_these`); the report (:func:`patimg.report.render_report`) holds them with the
examiner's notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.common import get_searcher, reporting_errors
from app_pages.components import md_escape, pick_sign, plural, show_figure, show_sign_sentences
from patimg.document_query import DocumentResult
from patimg.errors import PatImgError
from patimg.multi_query import fuse_query_hits, hits_by_patent
from patimg.publication_links import publication_links
from patimg.search_records import SearchSettings
from patimg.vocabulary import MARKS

GRID_COLUMNS = 4
#: Results shown per query figure in the report.
REPORT_TOP = 20
ALL_QUERY_FIGURES = "All query figures, fused"


@dataclass
class ShownSearch:
    """A search whose results are on the page.

    Attributes:
        result: A document or sheet search's result, or a single search's.
        settings: Its settings (``filters.exclude_patent`` says whether each query's own patent was left out).
        name: What was searched, for the report.
        signature: The page's query and settings it was made with (results go when they change).
        judged_by: How marks become judgments (:func:`patimg.feedback.marked_queries` keywords); ``None`` for a
            search re-opened from the history (its query image is not in the log).
        query_patent: A single search's own patent.
        report_image: The query drawing the report shows beside a single search's results.
        refinements: How many times "More like these" refined it.
    """

    result: Any
    settings: SearchSettings
    name: str
    signature: tuple
    judged_by: dict[str, Any] | None = field(default_factory=dict)
    query_patent: str | None = None
    report_image: Any = None
    refinements: int = 0


def _marks() -> dict[str, str]:
    return st.session_state.setdefault("marks", {})


def _valid_examiner(examiner: str) -> bool:
    return bool(examiner) and not any(ch.isspace() for ch in examiner)


# -- marks ---------------------------------------------------------------------------------------------


def _mark_changed(figure_id: str, path: str, shown: ShownSearch, examiner: str) -> None:
    """A mark was set or taken back: keep it, and record it as the examiner's judgment."""
    from patimg.evaluation.store import JudgmentStore
    from patimg.feedback import marked_queries, record_mark

    mark = st.session_state.get(f"mark-{figure_id}")
    if mark:
        _marks()[figure_id] = mark
    else:
        _marks().pop(figure_id, None)
    if shown.judged_by is None or not _valid_examiner(examiner):
        return
    try:
        queries = marked_queries(shown.result, **shown.judged_by)
        record_mark(
            JudgmentStore(Path(path) / "judgments.sqlite"), queries, figure_id, mark, examiner=examiner
        )
    except PatImgError as error:
        st.session_state["mark_problem"] = str(error)


def _mark_widget(figure_id: str, path: Path, shown: ShownSearch, examiner: str) -> None:
    key = f"mark-{figure_id}"
    if key not in st.session_state:  # drawn again (another view): the mark made before
        st.session_state[key] = _marks().get(figure_id)
    st.segmented_control(
        "Mark",
        list(MARKS),
        key=key,
        label_visibility="collapsed",
        on_change=_mark_changed,
        args=(figure_id, str(path), shown, examiner),
    )


# -- cards ---------------------------------------------------------------------------------------------


class _Patents:
    """Each shown patent's record, read once per run."""

    def __init__(self, collection) -> None:
        self.collection, self._records = collection, {}

    def __call__(self, patent_id: str):
        if patent_id not in self._records:
            try:
                self._records[patent_id] = self.collection.patent(patent_id)
            except KeyError:
                self._records[patent_id] = None
        return self._records[patent_id]


def _patent_lines(patent, patent_id: str) -> str:
    """Markdown: number and date, title, applicant, classes, links out (everything escaped)."""
    if patent is None:
        return md_escape(patent_id)
    classes = ", ".join([*patent.ipc, *patent.cpc][:3])
    lines = [
        f"**{md_escape(patent_id)}** · {md_escape(patent.date or 'no date')}",
        md_escape(patent.title or "no title"),
        f":gray[{md_escape('; '.join(patent.applicants) or 'no applicant')}]",
    ]
    if classes:
        lines.append(f":gray[{md_escape(classes)}]")
    links = " · ".join(f"[{md_escape(link.site)}]({link.url})" for link in publication_links(patent_id))
    if links:
        lines.append(links)
    return "  \n".join(lines)


def _scores_line(hit) -> str:
    parts = [hit.figure_kind] if hit.figure_kind else []
    parts += [f"score {hit.score:.3f}"]
    parts += [f"{ch} {value:.3f}" for ch, value in hit.scores.items() if value is not None]
    return " · ".join(parts)


def _card(hit, context, *, with_patent: bool) -> None:
    collection, path, shown, examiner, patents = context
    try:
        st.image(str(collection.figure_image_path(hit.figure_id)), width="stretch")
    except KeyError:
        st.caption(md_escape(f"{hit.figure_id} is no longer in the collection"))
    st.markdown(
        f"**{hit.rank}.** {md_escape(hit.caption or hit.figure_id)}  \n:gray[{md_escape(_scores_line(hit))}]"
    )
    if with_patent:
        st.markdown(_patent_lines(patents(hit.patent_id), hit.patent_id))
    _mark_widget(hit.figure_id, path, shown, examiner)
    if st.button("Zoom", key=f"zoom-{hit.figure_id}", icon=":material/zoom_in:"):
        _zoom(collection, shown, hit)


def _grid(hits, context, *, with_patent: bool) -> None:
    for start in range(0, len(hits), GRID_COLUMNS):
        for column, hit in zip(st.columns(GRID_COLUMNS), hits[start : start + GRID_COLUMNS], strict=False):
            with column:
                _card(hit, context, with_patent=with_patent)


@st.dialog("The result beside the query", width="large")
def _zoom(collection, shown: ShownSearch, hit) -> None:
    query_side, result_side = st.columns(2)
    with query_side:
        _query_side(collection, shown, hit)
    with result_side:
        patent = None
        try:
            patent = collection.patent(hit.patent_id)
        except KeyError:
            pass
        st.markdown(_patent_lines(patent, hit.patent_id))
        st.caption(md_escape(f"{hit.caption or hit.figure_id} · {_scores_line(hit)}"))
        link = pick_sign(collection.links(hit.figure_id), key="zoom_sign", compact=True)
        show_figure(collection, hit.figure_id, highlight=link.sign if link else None)
        if link is not None:
            show_sign_sentences(collection, link, hit.patent_id, limit=5)


def _query_side(collection, shown: ShownSearch, hit) -> None:
    """The query figure that found ``hit`` (the one that gave its best score), or the single search's query."""
    result = shown.result
    if isinstance(result, DocumentResult):
        found = [
            (h.score, q) for q in result.query_figures for h in q.result.hits if h.figure_id == hit.figure_id
        ]
        if not found:
            return
        query = max(found, key=lambda pair: pair[0])[1]
        st.markdown(md_escape(f"Query: {query.figure.caption or query.figure.figure_id}"))
        if query.thumbnail:
            st.image(query.thumbnail, width="stretch")
        linked = ", ".join(query.linked_signs) or "none"
        st.caption(
            md_escape(f"Signs read: {', '.join(query.signs) or 'none'}; linked to its description: {linked}")
        )
    elif shown.judged_by and shown.judged_by.get("figure_id"):
        st.markdown(md_escape(f"Query: {shown.judged_by['figure_id']}"))
        show_figure(collection, shown.judged_by["figure_id"])
    else:
        st.markdown(md_escape(f"Query: {shown.name}"))


# -- the results ---------------------------------------------------------------------------------------


def _query_figures_strip(result: DocumentResult) -> None:
    with st.expander(f"The query: {plural(len(result.query_figures), 'figure')}", expanded=False):
        for column, query in zip(
            st.columns(min(len(result.query_figures), 7)), result.query_figures, strict=False
        ):
            with column:
                if query.thumbnail:
                    st.image(query.thumbnail, width="stretch")
                st.caption(
                    md_escape(f"{query.figure.caption or query.figure.figure_id}: {_signs_text(query)}")
                )
        notes = [note for q in result.query_figures for note in q.result.notes]
        for note in dict.fromkeys(notes):
            st.caption(md_escape(note))


def _signs_text(query) -> str:
    if not query.signs:
        return "no signs read"
    linked = set(query.linked_signs)
    return "signs " + ", ".join(f"{s}{'' if s in linked else ' (unlinked)'}" for s in query.signs)


def _shown_hits(shown: ShownSearch):
    """The hits to show: a single search's, or the fused or one query figure's of a document search."""
    result = shown.result
    if not isinstance(result, DocumentResult):
        return result.hits
    queries = {q.figure.figure_id: q for q in result.query_figures}
    if len(queries) == 1:
        return next(iter(queries.values())).result.hits
    names = {ALL_QUERY_FIGURES: ALL_QUERY_FIGURES}
    names.update(
        {fid: f"{q.figure.caption or 'region'} ({fid.rsplit('-', 1)[-1]})" for fid, q in queries.items()}
    )
    chosen = st.radio("Results of", list(names), format_func=names.get, horizontal=True, key="results_of")
    if chosen in queries:
        return queries[chosen].result.hits
    return fuse_query_hits([q.result for q in result.query_figures], k=shown.settings.k)


def show_results(collection, path: Path, shown: ShownSearch, examiner: str) -> None:
    """The results of ``shown`` with marks, "more like these", the CSV and the report."""
    result = shown.result
    for note in result.notes:
        st.info(md_escape(note))
    if isinstance(result, DocumentResult):
        _query_figures_strip(result)
    else:
        signs = [lab.text for lab in result.query_labels if lab.kind == "reference"]
        st.markdown(
            "**Reference signs read on the query:** " + (md_escape(", ".join(signs)) if signs else "none")
        )
    if problem := st.session_state.pop("mark_problem", None):
        st.warning(md_escape(f"The mark is kept for the report but not stored as a judgment: {problem}"))
    hits = _shown_hits(shown)
    _actions(path, shown, examiner)
    st.subheader(plural(len(hits), "result"))
    if not hits:
        st.warning("No figure matched (check the filters).")
    context = (collection, path, shown, examiner, _Patents(collection))
    if st.toggle("Group by patent", key="group_by_patent"):
        for patent_id, patent_hits in hits_by_patent(hits):
            with st.container(border=True):
                st.markdown(_patent_lines(context[4](patent_id), patent_id))
                _grid(patent_hits, context, with_patent=False)
    else:
        _grid(hits, context, with_patent=True)
    _exports(collection, shown, examiner, hits, context[4])


def _actions(path: Path, shown: ShownSearch, examiner: str) -> None:
    marks = _marks()
    counts = {mark: sum(1 for m in marks.values() if m == mark) for mark in MARKS}
    more, note = st.columns([1, 3])
    label = f"More like these ({counts['relevant']} relevant, {counts['not relevant']} not)"
    if more.button(label, key="more_like_these", disabled=not marks, type="primary"):
        from patimg.feedback import more_like_these

        with reporting_errors(), st.spinner("Searching again with the marked results..."):
            refined = more_like_these(
                get_searcher(path),
                shown.result,
                dict(marks),
                settings=shown.settings,
                query_patent=shown.query_patent,
                user=examiner or "examiner",
            )
            st.session_state["search"] = dataclasses.replace(
                shown, result=refined, refinements=shown.refinements + 1
            )
            st.rerun()
    if shown.refinements:
        note.caption(f"Refined {plural(shown.refinements, 'time')} with the marked results.")
    elif not marks:
        note.caption("Mark results relevant or not relevant, then search for more like these.")
    if marks and shown.judged_by is None:
        note.caption("Marks on a re-opened search go into the report, not into the judgments.")
    elif marks and not _valid_examiner(examiner):
        note.caption(
            "Marks go into the report; enter your name (no spaces) in the sidebar to keep them as judgments."
        )


def _exports(collection, shown: ShownSearch, examiner: str, hits, patents: _Patents) -> None:
    """The examiner's notes, the report (made on a click, so it holds the notes just typed), the CSV."""
    import pandas as pd

    from patimg.search_records import hits_to_rows

    st.divider()
    notes = st.text_area("Examiner's notes (they go into the report)", key="examiner_notes", height=100)
    report_col, csv_col = st.columns(2)
    # What the report holds: a report made before a mark or the notes changed is not offered.
    wanted = (id(shown.result), tuple(sorted(_marks().items())), notes, examiner)
    if report_col.button("Make the search report", key="make_report", disabled=not examiner):
        from patimg.report import render_report

        with reporting_errors(), st.spinner("Making the report..."):
            html = render_report(
                collection,
                shown.result,
                settings=shown.settings,
                examiner=examiner,
                marks=dict(_marks()),
                notes=notes,
                query=shown.name,
                query_image=shown.report_image,
                top=min(REPORT_TOP, shown.settings.k),
            )
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
            st.session_state["report"] = (wanted, html.encode("utf-8"), f"patimg-report-{stamp}.html")
    made = st.session_state.get("report")
    if not examiner:
        report_col.caption("Enter your name in the sidebar: the report names the examiner.")
    elif made is not None and made[0] == wanted:
        report_col.download_button(
            "Download the search report (HTML)",
            made[1],
            made[2],
            "text/html",
            key="report_download",
            on_click="ignore",
            icon=":material/description:",
        )
    elif made is not None:
        report_col.caption("The marks or notes changed since the report was made: make it again.")
    titles = {h.patent_id: getattr(patents(h.patent_id), "title", "") for h in hits}
    table = pd.DataFrame(hits_to_rows(hits, titles))
    csv_col.download_button(
        "Export these results (CSV)",
        table.to_csv(index=False).encode("utf-8"),
        "patimg-results.csv",
        "text/csv",
        key="export_csv",
        on_click="ignore",
    )
