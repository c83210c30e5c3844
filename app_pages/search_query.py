"""The Search page's query: an uploaded drawing (its figures boxed to choose from, a region cut by hand, its
description pasted or uploaded), an uploaded publication, a figure of the collection, or a text.

Each ``*_query`` function draws its widgets and returns a :class:`PageQuery`: what the page searches with.

Uploads are kept in plain session keys, so they survive a visit to another page (the upload widget does not):
``query_upload`` (the drawing, ``(file name, bytes)``), ``query_description`` (a description file, the same),
``query_publication`` (a list of such pairs). Removing a file from its upload widget removes it there too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from app_pages.common import pick_figure, reporting_errors
from app_pages.components import md_escape, plural
from patimg.multi_query import MAX_QUERY_FIGURES

DRAWING_TYPES = ["png", "jpg", "jpeg", "tif", "tiff"]
PUBLICATION_TYPES = ["zip", "pdf", "xml", *DRAWING_TYPES]


@dataclass
class PageQuery:
    """What the page searches with.

    Attributes:
        name: What the report and the history call it (a file name, a figure id, the text).
        signature: The query's content: results are shown only while it stays the same.
        search: ``search(searcher, settings, exclude_own, user)`` gives its result; ``None`` while there is
            nothing (readable) to search with.
        judged_by: How marks on its results are recorded as judgments (:func:`patimg.feedback.marked_queries`
            keywords).
        query_patent: The query's own patent, for a collection figure.
        report_image: The query drawing the report shows beside a single search's results.
    """

    name: str = ""
    signature: tuple = ()
    search: Callable[..., Any] | None = None
    judged_by: dict[str, Any] = field(default_factory=dict)
    query_patent: str | None = None
    report_image: Any = None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uploaded(label: str, types: list[str], *, key: str, kept: str, multiple: bool = False, help: str = ""):
    """An upload widget whose files stay in ``st.session_state[kept]`` (see the module docstring)."""

    def changed() -> None:
        files = st.session_state.get(key)
        if multiple:
            st.session_state[kept] = [(f.name, f.getvalue()) for f in files or []] or None
        else:
            st.session_state[kept] = (files.name, files.getvalue()) if files is not None else None

    st.file_uploader(
        label, type=types, key=key, accept_multiple_files=multiple, on_change=changed, help=help or None
    )
    return st.session_state.get(kept)


@st.cache_data(show_spinner=False, max_entries=8)
def _drawing_pages(name: str, data: bytes) -> int:
    from patimg.figures import load_drawing_pages

    return len(load_drawing_pages(data, name=name))


@st.cache_data(show_spinner=False, max_entries=4)
def _read_sheet(name: str, data: bytes, page: int, ocr: str):
    """The drawing's page read as a sheet (text upright, figures split by caption): seconds, so once per file."""
    from patimg.figures import load_drawing_pages
    from patimg.ocr import get_ocr
    from patimg.sheet_query import read_sheet_figures

    return read_sheet_figures(load_drawing_pages(data, name=name)[page], ocr=get_ocr(ocr), name=name)


def _description() -> tuple[str | None, str]:
    """The drawing's description, pasted or uploaded as a text file (``None`` when there is none), and its
    digest for the signature."""
    from patimg.fileio import utf8_text

    pasted = st.text_area(
        "Its description (optional): paste it here...",
        key="description_text",
        height=100,
        placeholder="The description of the application, as text. The signs read on the drawing are linked "
        "to its sentences.",
    )
    upload = uploaded(
        "...or upload it as a text file", ["txt"], key="description_file", kept="query_description"
    )
    text = pasted if pasted.strip() else None
    if text is None and upload is not None:
        with reporting_errors():
            text = utf8_text(upload[1], upload[0], "a description is a UTF-8 text file")
    if text is None:
        st.caption(
            "No description: the signs read on the drawing link to no sentence, so each figure is searched "
            "on its drawing alone (the visual channel)."
        )
        return None, ""
    return text, _digest(text.encode("utf-8"))


def drawing_query(ocr: str) -> PageQuery:
    """An uploaded drawing sheet: its figures found and boxed, some of them and a region cut by hand chosen."""
    from patimg.sheet_query import boxed_sheet, crop_region, region_image, search_sheet

    upload = uploaded(
        "Drop a drawing sheet (PNG, JPEG, TIFF; a multi-page TIFF lets you pick the page)",
        DRAWING_TYPES,
        key="query_file",
        kept="query_upload",
    )
    if upload is None:
        return PageQuery(signature=("drawing", None))
    name, data = upload
    digest = _digest(data)
    pages = sheet = None
    with reporting_errors():
        pages = _drawing_pages(name, data)
    if pages is None:
        return PageQuery(name, ("drawing", digest))
    page = 0
    if pages > 1:
        if not 1 <= (st.session_state.get("query_page") or 1) <= pages:  # a page of the file before
            st.session_state["query_page"] = 1
        page = st.number_input(f"Page of {name} (1-{pages})", 1, pages, key="query_page") - 1
    with reporting_errors(), st.spinner("Reading the drawing: its text, then its figures..."):
        sheet = _read_sheet(name, data, page, ocr)
    if sheet is None:
        return PageQuery(name, ("drawing", digest, page))

    regions = {region.name: region for region in sheet.figure_regions()}
    if st.session_state.get("sheet_for") != (digest, page):  # a new sheet: all its figures, up to the most
        st.session_state["sheet_for"] = (digest, page)
        st.session_state["sheet_figures"] = list(regions)[:MAX_QUERY_FIGURES]
    captions = {key: f"{key[1:]} · {region.caption or 'no caption read'}" for key, region in regions.items()}
    picked = st.multiselect(
        f"Figures found on the sheet ({len(regions)}, numbered on it): search with",
        list(regions),
        format_func=captions.get,
        key="sheet_figures",
    )
    crop = None
    if st.checkbox("Also search a region cut by hand", key="crop_on"):
        across = st.slider("Region, left to right (% of the sheet's width)", 0, 100, key="crop_x")
        down = st.slider("Region, top to bottom (% of the sheet's height)", 0, 100, key="crop_y")
        with reporting_errors():
            crop = crop_region(sheet, across[0] / 100, down[0] / 100, across[1] / 100, down[1] / 100)
    shown, cut = st.columns([3, 2])
    shown.image(
        boxed_sheet(sheet, crop=crop), caption=md_escape(f"{name}: figures found (blue), region (red)")
    )
    if crop is not None:
        cut.image(
            region_image(sheet, crop),
            caption=md_escape(f"The region cut by hand: {crop.caption or 'no caption'}"),
        )
    chosen = [regions[key] for key in picked] + ([crop] if crop is not None else [])
    if not chosen:
        st.caption("Choose a figure of the sheet or cut a region to search with.")
    elif len(chosen) > MAX_QUERY_FIGURES:
        st.error(f"{plural(len(chosen), 'figure')} chosen: search with at most {MAX_QUERY_FIGURES} at once.")
    description, description_digest = _description()

    def search(searcher, settings, exclude_own: bool, user: str):
        return search_sheet(
            searcher,
            sheet,
            chosen,
            description=description,
            settings=settings,
            exclude_patent=exclude_own,
            user=user,
        )

    signature = ("drawing", digest, page, tuple(picked), crop.box if crop else None, description_digest)
    ready = 0 < len(chosen) <= MAX_QUERY_FIGURES
    return PageQuery(name, signature, search if ready else None)


def publication_query() -> PageQuery:
    """An uploaded publication, searched figure by figure (not added to the collection)."""
    from patimg.upload_query import search_uploaded_publication

    files = uploaded(
        "Drop a publication: a USPTO or EPO ZIP, a PDF, or an XML with its drawing images",
        PUBLICATION_TYPES,
        key="publication_files",
        kept="query_publication",
        multiple=True,
        help="It is searched, not added to the collection. Every sheet is read: a minute for a long one.",
    )
    if not files:
        return PageQuery(signature=("publication", None))
    names = ", ".join(name for name, _ in files)
    st.caption(md_escape(f"The query: {names}. Each of its figures is searched, then the results are fused."))

    def search(searcher, settings, exclude_own: bool, user: str):
        return search_uploaded_publication(
            searcher, files, settings=settings, exclude_patent=exclude_own, user=user
        )

    signature = ("publication", tuple(_digest(data) for _, data in files))
    return PageQuery(names, signature, search)


def figure_query(collection) -> PageQuery:
    """A figure of the collection, with an optional text."""
    figure_id = pick_figure(collection, key="query")
    if not figure_id:
        return PageQuery(signature=("figure", None))
    image_path = collection.figure_image_path(figure_id)
    st.image(str(image_path), caption=figure_id, width=280)
    text = st.text_input('Optional text (e.g. "propeller with swept blades")', key="query_text")

    def search(searcher, settings, exclude_own: bool, user: str):
        return searcher.search(figure_id=figure_id, text=text or None, settings=settings, user=user)

    name = figure_id + (f' + "{text.strip()}"' if text.strip() else "")
    return PageQuery(
        name,
        ("figure", figure_id, text),
        search,
        judged_by={"figure_id": figure_id, "text": text},
        query_patent=collection.figure(figure_id).patent_id,
        report_image=image_path,
    )


def text_query() -> PageQuery:
    """Words alone (the text channel, and CLIP's text tower where the visual encoder is CLIP)."""
    text = st.text_input('Words to search for (e.g. "propeller with swept blades")', key="query_text")
    if not text.strip():
        return PageQuery(signature=("text", ""))

    def search(searcher, settings, exclude_own: bool, user: str):
        return searcher.search(text=text, settings=settings, user=user)

    return PageQuery(f'"{text.strip()}"', ("text", text), search, judged_by={"text": text})
