"""What every page of the app shares: finding the collection, cached resources, progress bars, error messages.

Pages stay thin: they lay out widgets and call ``patimg``. Document text is always shown as text: it goes
through :func:`app_pages.components.md_escape` before any ``st.markdown`` call, and no page uses
``unsafe_allow_html``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages.components import md_escape
from patimg.collection import Collection
from patimg.errors import PatImgError

#: Where collections live when ``PATIMG_COLLECTION`` is not set (relative to the working directory).
COLLECTIONS_DIR = Path("collections")
DEMO_NAME = "demo"

# -- which collection ------------------------------------------------------------------------------


def available_collections() -> list[Path]:
    """``PATIMG_COLLECTION`` when set, else the collections under ``collections/``."""
    env = os.environ.get("PATIMG_COLLECTION")
    if env:
        return [Path(env)]
    if not COLLECTIONS_DIR.is_dir():
        return []
    return sorted(p for p in COLLECTIONS_DIR.iterdir() if p.is_dir() and Collection.is_collection(p))


def demo_target() -> Path:
    """Where "Build demo collection" writes: ``PATIMG_COLLECTION`` when set, else ``collections/demo``."""
    env = os.environ.get("PATIMG_COLLECTION")
    return Path(env) if env else COLLECTIONS_DIR / DEMO_NAME


def current_collection_path() -> Path | None:
    """The collection chosen in the sidebar (a selector when there are several), or ``None``."""
    choices = [p for p in available_collections() if Collection.is_collection(p)]
    if not choices:
        return None
    if len(choices) == 1:
        st.sidebar.caption(f"Collection: `{choices[0]}`")
        return choices[0]
    names = [str(p) for p in choices]
    chosen = st.sidebar.selectbox("Collection", names, key="collection_choice")
    return Path(chosen)


@st.cache_resource(show_spinner="Opening the collection...")
def get_collection(path: str):
    """The :class:`patimg.collection.Collection` at ``path`` (one object per server)."""
    return Collection.open(path)


def index_version(path: Path) -> str:
    """Changes whenever an index is rebuilt, so the cached searcher is rebuilt with it."""
    return get_collection(str(path)).index_version()


@st.cache_resource(show_spinner="Loading encoders and indexes...", max_entries=4)
def _searcher(path: str, version: str):
    from patimg.search import Searcher

    return Searcher(path)


def get_searcher(path: Path):
    """The collection's :class:`patimg.search.Searcher`, loaded once per server and index version."""
    return _searcher(str(path), index_version(path))


def offer_new_collection() -> None:
    """A sidebar form that creates an empty collection under ``collections/`` and opens it."""
    import re

    with st.sidebar.expander("New collection"):
        if os.environ.get("PATIMG_COLLECTION"):
            st.caption("This app serves one collection (PATIMG_COLLECTION).")
            return
        name = st.text_input("Name (letters, digits, - and _)", key="new_collection_name").strip()
        if st.button("Create", key="create_collection", disabled=not name):
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name):
                st.error(
                    md_escape(
                        f"{name}: use letters, digits, - and _ (at most 64), starting with a letter or digit"
                    )
                )
                return
            target = COLLECTIONS_DIR / name
            if Collection.is_collection(target):
                st.error(md_escape(f"{name}: a collection of that name exists already"))
                return
            with reporting_errors():
                Collection.create(target, name=name)
                st.session_state["collection_choice"] = str(target)
                st.rerun()


def collection_or_stop() -> Path:
    """The chosen collection; without one, offer to build the demo collection and stop the page."""
    path = current_collection_path()
    if path is not None:
        return path
    st.info("There is no collection yet.")
    offer_demo_collection()
    st.markdown(
        "**Or import real publications** (USPTO grant ZIPs, USPTO folders with XML and TIFF sheets, EPO "
        "publication packages, folders of images) on the *Collection* page, or from the command line:"
    )
    st.code(
        "patimg ingest path/to/US12448730-20251021.ZIP --collection collections/mine\n"
        "patimg index --collection collections/mine",
        language="bash",
    )
    st.stop()


def offer_demo_collection() -> None:
    """A button that builds the demo collection (made-up publications) with a progress bar."""
    target = demo_target()
    st.markdown(
        f"The demo collection is a few patent-like publications that PatImg draws itself (fans, gears, "
        f"bottles...) so you can try every page now. It is written to `{target}` and takes about a minute."
    )
    if st.button("Build demo collection", type="primary", key="build_demo"):
        from patimg.demo import build_demo_collection

        with st.status("Building the demo collection...", expanded=True) as status:
            try:
                build_demo_collection(target, progress=progress_bars())
            except PatImgError as error:
                status.update(label="The demo collection could not be built", state="error")
                show_error(error)
                return
            status.update(label="Demo collection ready", state="complete")
        get_collection.clear()
        st.rerun()


def progress_bars():
    """A ``progress(stage, done, total, item)`` callback drawing one progress bar per stage."""
    bars: dict[str, object] = {}

    def progress(stage: str, done: int, total: int, item: str) -> None:
        if stage not in bars:
            bars[stage] = st.progress(0.0, text=stage)
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        label = f"{stage}: {done}/{total}" + (f" — {Path(item).name}" if item else "")
        bars[stage].progress(fraction, text=md_escape(label))

    return progress


def show_error(error: BaseException) -> None:
    """A user-facing message for a failure: PatImg's own message, or a short line for anything else."""
    if isinstance(error, PatImgError):
        st.error(str(error))
    else:
        st.error(
            f"Something went wrong ({type(error).__name__}: {error}). The details are in the server log."
        )


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Run the block; a failure in it is shown as one message (:func:`show_error`), never a traceback.

    Streamlit's own ``st.stop()`` and ``st.rerun()`` pass through (they derive from ``BaseException``).
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the one place pages turn failures into messages
        import logging

        logging.getLogger("patimg.app").exception("page action failed")
        show_error(error)


def patent_label(row) -> str:
    """``US99000001B2 — Propeller fan assembly (2018-07-25)`` for selectors."""
    title = row["title"] or ""
    date = f" ({row['date']})" if row["date"] else ""
    return f"{row['patent_id']} — {title}{date}"


def pick_figure(collection, *, key: str) -> str | None:
    """Patent then figure select boxes; returns the chosen figure id (``None`` with a warning when none).

    Args:
        collection: The open :class:`patimg.collection.Collection`.
        key: Prefix of the widgets' keys (``<key>_patent``, ``<key>_figure``), unique per page.
    """
    patents = collection.patents()
    if patents.empty:
        st.warning("The collection has no patents yet.")
        return None
    labels = {row["patent_id"]: patent_label(row) for _, row in patents.iterrows()}
    patent_id = st.selectbox("Patent", list(labels), format_func=labels.get, key=f"{key}_patent")
    figures = collection.figures(patent_id)
    if figures.empty:
        st.warning("This patent has no figures.")
        return None
    names = {
        r["figure_id"]: f"{r['caption'] or r['figure_id']} ({r['n_signs']} signs)"
        for _, r in figures.iterrows()
    }
    return st.selectbox("Figure", list(names), format_func=names.get, key=f"{key}_figure")


# -- what survives a visit to another page ---------------------------------------------------------


def remember_widgets(defaults: Mapping[str, Any]) -> None:
    """Give a page's widgets the values they had before a visit to another page (at first, ``defaults``).

    Streamlit forgets the value of every widget a run does not draw, so a page's settings were reset by a
    look at another page. Each value is copied to a plain session key (``kept:<key>``), which survives, at
    the top of every run of the page (where it already holds the change that started the run), and put back
    when the widget's own key is gone. Call it before the widgets are drawn, and draw them without a default
    (no ``value=``/``index=``): the default is given here. A value a widget no longer offers falls back to
    the widget's first option.
    """
    for key, default in defaults.items():
        kept = f"kept:{key}"
        if key in st.session_state:
            st.session_state[kept] = st.session_state[key]
        elif kept in st.session_state:
            st.session_state[key] = st.session_state[kept]
        elif default is not None:
            st.session_state[key] = default


def user_name(label: str) -> str:
    """The user's name from the sidebar, one name for every page (the Judge page's annotator is the Search
    page's examiner); ``""`` until given. Kept in a plain session key, so it survives other pages."""
    if "annotator" not in st.session_state and st.session_state.get("annotator_name"):
        st.session_state["annotator"] = st.session_state["annotator_name"]
    name = st.sidebar.text_input(label, key="annotator", help="Your name or initials (no spaces)")
    st.session_state["annotator_name"] = name
    return name.strip()
