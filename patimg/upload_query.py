"""An uploaded publication as the query (issue 12, item 1): the Search page's upload, searched figure by figure.

The uploaded files (a USPTO grant ZIP, an EPO package ZIP, a PDF, or an XML with its drawing images: the files of
one upload belong together) are written with safe names (:func:`patimg.imports.upload_file_name`) to a temporary
folder, searched by :func:`patimg.document_query.search_document`, and deleted again: nothing is added to the
collection. Messages and notes name the uploaded files, never the temporary folder.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from patimg.errors import BadInputError
from patimg.fileio import atomic_write_bytes
from patimg.imports import upload_file_name


def search_uploaded_publication(searcher, files: Sequence[tuple[str, bytes]], **options):
    """Search the collection with every figure of an uploaded publication.

    Args:
        searcher: The collection's :class:`patimg.search.Searcher`.
        files: ``(file name as uploaded, bytes)`` pairs of one publication.
        options: ``description``, ``settings``, ``exclude_patent``, ``user`` of
            :func:`~patimg.document_query.search_document`.

    Returns:
        A :class:`patimg.document_query.DocumentResult`.

    Raises:
        BadInputError: No file, or the files hold no readable publication (the message names the upload).
    """
    from patimg.document_query import search_document

    names = list(dict.fromkeys(upload_file_name(name) for name, _ in files))
    if not names:
        raise BadInputError("upload", "upload a publication: a ZIP, a PDF, or an XML with its drawing images")
    shown = ", ".join(names)
    with tempfile.TemporaryDirectory(prefix="patimg-upload-") as temp:
        # The folder is named after the publication, so the audit log's "document" says what was searched.
        xml = [name for name in names if name.lower().endswith(".xml")]
        folder = Path(temp) / Path((xml or names)[0]).stem
        for name, data in files:
            atomic_write_bytes(folder / upload_file_name(name), data)
        source = folder / names[0] if len(names) == 1 else folder

        def plain(text: str) -> str:
            return text.replace(f"{folder}/", "").replace(str(folder), shown)

        try:
            result = search_document(searcher, source, **options)
        except BadInputError as error:
            raise BadInputError(shown, plain(error.problem)) from None
    result.notes = [plain(note) for note in result.notes]
    return result
