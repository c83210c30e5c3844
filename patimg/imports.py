"""What the app's Collection page imports, as library calls the CLI and scripts can make too: uploaded files,
and files or folders on the server under the import folders an administrator allowed."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from patimg.errors import BadInputError
from patimg.fileio import atomic_write_bytes
from patimg.ingest import IngestReport, ingest
from patimg.vocabulary import Progress

#: Folders on the server the app may import from, separated by the OS path separator (``:``). Unset: none,
#: since the app may be served to people who must not read the server's files.
IMPORT_ROOTS_ENV = "PATIMG_IMPORT_ROOTS"


def import_roots() -> list[Path]:
    """The folders ``$PATIMG_IMPORT_ROOTS`` allows the app to import from (existing ones only)."""

    value = os.environ.get(IMPORT_ROOTS_ENV, "")
    return [Path(part).expanduser().resolve() for part in value.split(os.pathsep) if part.strip()]


def allowed_import_path(text: str, roots: Sequence[Path]) -> Path:
    """The file or folder an app user typed, when it lies under one of ``roots`` (links resolved first).

    A path may be given absolute or relative to a root. The refusal is the same whether the path exists or not,
    so the app tells nothing about the server's other files.

    Raises:
        BadInputError: Folder import is off (no roots), or the path is not an existing file or folder under a root.
    """
    if not roots:
        raise BadInputError(
            text or "folder",
            f"importing from folders on the server is off; the server's administrator can allow folders with "
            f"{IMPORT_ROOTS_ENV}=/data/patents (upload files instead)",
        )
    typed = Path(text.strip()).expanduser()
    candidates = [typed] if typed.is_absolute() else [root / typed for root in roots]
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.exists() and any(resolved.is_relative_to(root) for root in roots):
            return resolved
    shown = ", ".join(root.name or str(root) for root in roots)
    raise BadInputError(text, f"no file or folder of that name under the import folders ({shown})")


def upload_file_name(name: str) -> str:
    """An uploaded file's name reduced to a plain file name (no folders, no odd characters, no leading dot)."""
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "upload"


def ingest_and_index(
    sources: Sequence[str | Path], *, collection: str | Path, progress: Progress | None = None
) -> IngestReport:
    """Ingest ``sources``, then bring the collection's indexes up to date when anything was added."""
    from patimg.indexing import build_indexes

    report = ingest(sources, collection=collection, progress=progress)
    if report.added:
        build_indexes(collection, progress=progress)
    return report


def ingest_uploads(
    files: Sequence[tuple[str, bytes]], *, collection: str | Path, progress: Progress | None = None
) -> IngestReport:
    """Import uploaded files together (an XML with its TIFF sheets belongs together) and index what was added.

    The files are written under ``<collection>/uploads/<time>/`` with safe names (what the app's Collection page
    does with a browser upload), ingested as one folder, and deleted again, whatever the outcome: they are
    copies of the user's files, and the collection keeps its own figure images. The folder is new for each
    call (``<time>-2`` when two imports start in the same second), so concurrent imports never share it.

    Args:
        files: ``(file name as uploaded, bytes)`` pairs.
        collection: Collection folder (created when absent).
        progress: Optional progress callback.
    """
    uploads = Path(collection) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, attempt = uploads / stamp, 1
    while True:
        try:
            target.mkdir()
            break
        except FileExistsError:
            attempt += 1
            target = uploads / f"{stamp}-{attempt}"
    try:
        for name, data in files:
            atomic_write_bytes(target / upload_file_name(name), data)
        return ingest_and_index([target], collection=collection, progress=progress)
    finally:
        shutil.rmtree(target, ignore_errors=True)
