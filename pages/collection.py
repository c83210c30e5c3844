"""Collection: what is in it, importing publications (upload or server folder), rebuilding the indexes."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.common import (
    available_collections,
    get_collection,
    offer_demo_collection,
    progress_bars,
    reporting_errors,
)
from pages.components import md_escape
from patimg.collection import Collection

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

from pages.common import current_collection_path  # noqa: E402 - after the early stop above

path = current_collection_path()
collection = get_collection(str(path))


def _show_report(report) -> None:
    """What an import added, skipped and could not read (each failure with its reason)."""
    st.success(
        f"Added {len(report.added)} publications ({report.figures} figures); "
        f"skipped {len(report.skipped)} already in the collection; {len(report.errors)} failed."
    )
    if report.errors:
        import pandas as pd

        st.error("These inputs could not be imported:")
        st.dataframe(pd.DataFrame(report.errors, columns=["source", "problem"]), hide_index=True)


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
        st.success("Indexes rebuilt.")

st.subheader("Import publications")
upload_tab, folder_tab = st.tabs(["Upload files", "Folder on the server"])
with upload_tab:
    st.markdown(
        "USPTO grant ZIPs, an XML with its TIFF drawing sheets, EPO publication packages as ZIP, "
        "or plain drawing images. Files of one upload are imported together."
    )
    uploads = st.file_uploader(
        "Files",
        accept_multiple_files=True,
        key="import_files",
        type=["zip", "xml", "tif", "tiff", "png", "jpg", "jpeg"],
    )
    if st.button("Import uploaded files", disabled=not uploads, key="import_uploads"):
        from patimg.ingest import ingest_uploads

        with reporting_errors():
            files = [(upload.name, upload.getvalue()) for upload in uploads]
            _show_report(ingest_uploads(files, collection=path, progress=progress_bars()))
with folder_tab:
    folder = st.text_input(
        "Folder or file path on the server", key="import_folder", placeholder="/data/uspto/2025-10-21"
    )
    if st.button("Import from folder", disabled=not folder, key="import_from_folder"):
        source = Path(folder).expanduser()
        if not source.exists():
            st.error(f"{folder}: no such file or folder on the server")
        else:
            from patimg.ingest import ingest_and_index

            with reporting_errors():
                _show_report(ingest_and_index([source], collection=path, progress=progress_bars()))

st.subheader("Import problems")
errors = collection.ingest_errors()
if errors:
    st.dataframe(errors, hide_index=True)
else:
    st.caption("None so far.")

with st.expander("Ingested sources"):
    st.dataframe(collection.ingested_sources(), hide_index=True)
