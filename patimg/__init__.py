"""PatImg: multimodal search over patent drawings.

The pipeline, one module or package per stage: :mod:`~patimg.sources` (find publications in files, folders,
archives) -> :mod:`~patimg.documents` (parse their XML) -> :mod:`~patimg.figures` (sheets to figures) ->
:mod:`~patimg.ocr` (the text drawn on them) -> :mod:`~patimg.linking` (signs to sentences) -> :mod:`~patimg.ingest`
(all of that per publication, into a :mod:`~patimg.collection`) -> :mod:`~patimg.encoders` and
:mod:`~patimg.indexing` (vectors in :mod:`~patimg.vectors`, FAISS indexes in :mod:`~patimg.indexes`) ->
:mod:`~patimg.search` (with :mod:`~patimg.fusion`; a whole publication as the query: :mod:`~patimg.document_query`;
the search report: :mod:`~patimg.report`) -> :mod:`~patimg.evaluation` (judging and scoring). The words they share
are in :mod:`~patimg.vocabulary`.

The public functions are re-exported here lazily, so ``import patimg`` stays fast (torch, open_clip and the OCR
models are imported only by the stage that needs them)::

    import patimg
    report = patimg.ingest(["US12448730-20251021.ZIP"], collection="collections/mine")
    patimg.build_indexes("collections/mine")
    hits = patimg.Searcher("collections/mine").search(figure_id="...", channel="fused").hits
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Collection": "patimg.collection",
    "ingest": "patimg.ingest",
    "IngestReport": "patimg.ingest",
    "build_indexes": "patimg.indexing",
    "Searcher": "patimg.search",
    "SearchFilters": "patimg.search",
    "SearchResult": "patimg.search",
    "SearchSettings": "patimg.search",
    "search_document": "patimg.document_query",
    "search_drawing": "patimg.document_query",
    "render_report": "patimg.report",
    "write_report": "patimg.report",
    "parse_publication": "patimg.documents",
    "find_publications": "patimg.sources",
    "split_sentences": "patimg.documents",
    "load_drawing": "patimg.figures",
    "figures_from_drawing": "patimg.figures",
    "get_ocr": "patimg.ocr",
    "read_drawing": "patimg.ocr",
    "link_numerals_to_sentences": "patimg.linking",
    "find_sign_mentions": "patimg.linking",
    "get_visual_encoder": "patimg.encoders",
    "get_text_encoder": "patimg.encoders",
    "fuse": "patimg.fusion",
    "JudgmentStore": "patimg.evaluation",
    "evaluate": "patimg.evaluation",
    "evaluate_collection": "patimg.evaluation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'patimg' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
