"""Collection: what is in it, importing publications (upload or server folder), rebuilding the indexes."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import (
    available_collections,
    get_collection,
    offer_demo_collection,
    progress_bars,
    reporting_errors,
)
from app_pages.components import md_escape, plural
from patimg.collection import Collection
from patimg.imports import IMPORT_ROOTS_ENV, allowed_import_path, import_roots, ingest_and_index

st.title("Collection")

choices = [p for p in available_collections() if Collection.is_collection(p)]
if not choices:
    st.info("There is no collection yet.")
    offer_demo_collection()
    st.markdown("Or import real publications from the command line:")
    st.code(
        "patimg ingest path/to/publications --collection collections/mine\n"
        "patimg index --collection collections/mine",
        language="bash",
    )
    st.stop()

from app_pages.common import current_collection_path, offer_new_collection  # noqa: E402 - after the early stop above

path = current_collection_path()
offer_new_collection()
collection = get_collection(str(path))


def _shown_source(source: str, bases) -> str:
    """A source as the user knows it: relative to the upload or import folder, never the server's full path."""
    for base in bases:
        try:
            relative = Path(source).resolve().relative_to(Path(base).resolve())
        except ValueError:
            continue
        parts = relative.parts[1:] if Path(base).name == "uploads" else relative.parts  # drop the time folder
        return str(Path(*parts)) if parts else Path(source).name
    return Path(source).name


def _finish_import(report, bases) -> None:
    """Keep the report and draw the page again, so the counts and the index table above show the import."""
    st.session_state["import_report"] = (report, [str(base) for base in bases])
    st.rerun()


def _show_report(report, bases) -> None:
    """What an import added, skipped and could not read (each failure with its reason)."""
    st.success(
        f"Added {plural(len(report.added), 'publication')} ({plural(report.figures, 'figure')}); "
        f"skipped {len(report.skipped)} already in the collection; {len(report.errors)} failed."
    )
    if report.errors:
        import pandas as pd

        st.error("These inputs could not be imported:")
        rows = [
            (_shown_source(source, bases), problem.replace(str(Path(source).resolve().parent), "…"))
            for source, problem in report.errors
        ]
        st.dataframe(pd.DataFrame(rows, columns=["source", "problem"]), hide_index=True)
    for source, note in report.notes:
        st.info(f"{_shown_source(source, bases)}: {note}")


stats = collection.stats()
cols = st.columns(6)
for column, (name, key) in zip(
    cols,
    [
        ("Patents", "patents"),
        ("Figures", "figures"),
        ("Signs", "signs"),
        ("Linked signs", "linked_signs"),
        ("Links", "links"),
        ("Sentences", "sentences"),
    ],
    strict=True,
):
    column.metric(name, stats.get(key, 0))
st.caption(md_escape(f"Folder: {path.resolve()}"))

st.subheader("Indexes")
infos = collection.index_infos()
if not infos:
    st.warning("No index yet: press *Rebuild indexes* below.")
else:
    rows = []
    for channel, info in infos.items():
        encoder = info.get("encoder") or {}
        rows.append(
            {
                "channel": channel,
                "encoder": encoder.get("name", ""),
                "weights": str(encoder.get("weights", "")),
                "dim": info.get("dim", encoder.get("dim")),
                "vectors": info.get("count"),
                "index": info.get("index_type", info.get("kind", "")),
            }
        )
    st.dataframe(rows, hide_index=True)
rebuild_all = st.checkbox("Re-encode every figure (needed to switch encoders)", key="rebuild_all")
if st.button("Rebuild indexes", key="rebuild_indexes"):
    from patimg.indexing import build_indexes

    with reporting_errors():
        build_indexes(path, rebuild=rebuild_all, progress=progress_bars())
        st.session_state["rebuilt"] = True
        st.rerun()
if st.session_state.pop("rebuilt", False):
    st.success("Indexes rebuilt.")

st.subheader("Import publications")
upload_tab, folder_tab = st.tabs(["Upload files", "Folder on the server"])
with upload_tab:
    st.markdown(
        "USPTO grant ZIPs, an XML with its TIFF drawing sheets, EPO publication packages as ZIP, "
        "PDF publications, or plain drawing images. Files of one upload are imported together."
    )
    uploads = st.file_uploader(
        "Files",
        accept_multiple_files=True,
        key="import_files",
        type=["zip", "xml", "pdf", "tif", "tiff", "png", "jpg", "jpeg"],
    )
    if st.button("Import uploaded files", disabled=not uploads, key="import_uploads"):
        from patimg.imports import ingest_uploads

        with reporting_errors():
            files = [(upload.name, upload.getvalue()) for upload in uploads]
            _finish_import(
                ingest_uploads(files, collection=path, progress=progress_bars()), [path / "uploads"]
            )
with folder_tab:
    roots = import_roots()
    if roots:
        st.caption(md_escape("Allowed import folders: " + ", ".join(str(root) for root in roots)))
    else:
        st.info(
            f"Importing from folders on the server is off. The server's administrator can allow folders by "
            f"starting the app with {IMPORT_ROOTS_ENV}=/data/patents; meanwhile, upload files."
        )
    folder = st.text_input(
        "Folder or file under an import folder", key="import_folder", placeholder="uspto/2025-10-21"
    )
    if st.button("Import from folder", disabled=not folder or not roots, key="import_from_folder"):
        with reporting_errors():
            source = allowed_import_path(folder, roots)
            _finish_import(ingest_and_index([source], collection=path, progress=progress_bars()), roots)

if "import_report" in st.session_state:
    _show_report(*st.session_state.pop("import_report"))

st.subheader("Remove a publication")
patents = collection.patents()
if patents.empty:
    st.caption("The collection holds no publication.")
else:
    from app_pages.common import patent_label

    labels = {row["patent_id"]: patent_label(row) for _, row in patents.iterrows()}
    doomed = st.selectbox("Publication", list(labels), format_func=labels.get, key="remove_patent")
    removals = st.session_state.get("removals", 0)  # a fresh, unticked box after each removal
    sure = st.checkbox(
        "Remove it with its figures (judgments of them stay in the judgments file)",
        key=f"remove_sure_{removals}",
    )
    if st.button("Remove", key="remove_publication", disabled=not sure):
        from patimg.indexing import build_indexes

        with reporting_errors():
            count = collection.remove_publication(doomed)
            if collection.index_infos():
                build_indexes(path, progress=progress_bars())  # the indexes follow at once
            st.session_state["removed"] = f"Removed {doomed} and {plural(count, 'figure')}."
            st.session_state["removals"] = removals + 1
            st.rerun()
if "removed" in st.session_state:
    st.success(md_escape(st.session_state.pop("removed")))

st.subheader("Import problems")
bases = [*import_roots(), path / "uploads"]
errors = [{**row, "source": _shown_source(row["source"], bases)} for row in collection.ingest_errors()]
if errors:
    st.dataframe(errors, hide_index=True)
else:
    st.caption("None so far.")

with st.expander("Ingested sources"):
    sources = [
        {**row, "source": _shown_source(row["source"], bases)} for row in collection.ingested_sources()
    ]
    st.dataframe(sources, hide_index=True)
