"""Collection: what is in it, importing publications (upload or server folder), rebuilding the indexes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import streamlit as st

from pages.common import (
    available_collections,
    get_collection,
    is_collection,
    md_escape,
    offer_demo_collection,
    progress_bars,
    show_error,
)

st.title("Collection")

choices = [p for p in available_collections() if is_collection(p)]
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


def _safe_name(name: str) -> str:
    """An uploaded file's name reduced to a plain file name (no folders, no odd characters)."""
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "upload"


def _run_import(sources: list[Path]) -> None:
    """Ingest ``sources``, then update the indexes, with a progress bar per stage and a failure report."""
    from patimg.indexing import build_indexes
    from patimg.ingest import ingest

    progress = progress_bars()
    try:
        report = ingest(sources, collection=path, progress=progress)
        if report.added:
            build_indexes(path, progress=progress)
    except Exception as error:  # noqa: BLE001 - a message, never a traceback
        show_error(error)
        return
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

    try:
        build_indexes(path, rebuild=rebuild_all, progress=progress_bars())
        st.success("Indexes rebuilt.")
    except Exception as error:  # noqa: BLE001
        show_error(error)

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
        target = path / "uploads" / time.strftime("%Y%m%d-%H%M%S")
        target.mkdir(parents=True, exist_ok=True)
        for upload in uploads:
            (target / _safe_name(upload.name)).write_bytes(upload.getvalue())
        _run_import([target])
with folder_tab:
    folder = st.text_input(
        "Folder or file path on the server", key="import_folder", placeholder="/data/uspto/2025-10-21"
    )
    if st.button("Import from folder", disabled=not folder, key="import_from_folder"):
        source = Path(folder).expanduser()
        if not source.exists():
            st.error(f"{folder}: no such file or folder on the server")
        else:
            _run_import([source])

st.subheader("Import problems")
errors = collection.ingest_errors()
if errors:
    st.dataframe(errors, hide_index=True)
else:
    st.caption("None so far.")

with st.expander("Ingested sources"):
    st.dataframe(collection.ingested_sources(), hide_index=True)
