"""Search: a query figure, image or text in; ranked figures out, per channel and fused.

A :class:`Searcher` loads a collection's encoders and indexes once (the app keeps one per server). Queries are
encoded with the very encoders that built the collection: the encoders are chosen from what
``index_infos.json`` records, and a mismatch is an explicit error.

Query kinds:
  * a figure of the collection: its stored visual vector and its stored text vector (when it has linked
    sentences), so nothing is re-encoded;
  * an uploaded image: the visual encoder, plus OCR of its reference signs (shown to the user). Numerals
    alone carry no meaning without a description, so an image's text channel comes only from text the user
    types;
  * free text: the text encoder against the text index, and CLIP's text tower against the visual index when
    the visual encoder is CLIP.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from patimg.collection import Collection
from patimg.errors import BadInputError, PatImgError
from patimg.figure_table import FigureTable
from patimg.search_records import SearchFilters, SearchResult, SearchSettings, hits_to_json, hits_to_rows
from patimg.types import Hit, Label
from patimg.vectors import StoredVectors
from patimg.vocabulary import (
    INDEXED_CHANNELS,
    MAX_K,
)

#: The search records live in :mod:`patimg.search_records`; they are named here too, where a search is run.
__all__ = [
    "MAX_K",
    "SearchFilters",
    "SearchResult",
    "SearchSettings",
    "Searcher",
    "hits_to_json",
    "hits_to_rows",
]


class Searcher:
    """Loaded encoders and indexes of one collection.

    Opening reads the indexes' infos and ids and memory-maps the indexes; the rest is read on first use:
    encoders; a query figure's stored vectors (:class:`~.vectors.StoredVectors`); the figures' publications and
    what filters look at, as arrays, on the first filtered search (:class:`~.figure_table.FigureTable`). A
    collection of a million figures opens in about a second, and no dict or set of every figure is made.

    Args:
        collection: Collection folder.
        ocr: OCR backend used to read an uploaded query image's numerals.
        audit_store: The :class:`patimg.evaluation.store.JudgmentStore` searches are logged to; default the
            collection's ``judgments.sqlite``.
    """

    def __init__(self, collection: str | Path, *, ocr: str = "rapidocr", audit_store=None) -> None:
        from patimg.indexes import INFOS_FILE, load_index

        self.collection = Collection.open(collection)
        self.ocr_name = ocr
        self.audit_store = audit_store
        # Every channel from one generation of indexes, even while `patimg index` publishes a new one.
        index_dir = self.collection.index_dir()
        channels = [ch for ch in INDEXED_CHANNELS if (index_dir / ch / INFOS_FILE).is_file()]
        if not channels:
            raise PatImgError(
                f"collection {self.collection.path} has no index yet: run `patimg index --collection "
                f"{self.collection.path}` (or Rebuild on the Collection page)"
            )
        self.indexes = {ch: load_index(index_dir / ch) for ch in channels}
        self.infos = {ch: index.info for ch, index in self.indexes.items()}
        self.vectors = {
            ch: StoredVectors(self.collection, ch, lambda index=index: index.id_rows)
            for ch, index in self.indexes.items()
        }
        self.figures = FigureTable(self.collection, {ch: index.ids for ch, index in self.indexes.items()})
        self._encoders: dict[str, Any] = {}
        # An uploaded image is often searched several times (each method, each fusion rule): its visual vector
        # and the numerals read on it are kept for the last few images, keyed by their pixels.
        self._image_cache: dict[str, tuple[np.ndarray | None, list[Label]]] = {}
        self._image_cache_lock = threading.Lock()  # the app shares one searcher between sessions

    # -- encoders, loaded on first use and checked against what built the collection -------------

    def encoder(self, channel: str):
        """The encoder of ``channel``, as recorded by the collection (loaded once)."""
        if channel not in self._encoders:
            from patimg.encoders.registry import check_compatible, get_text_encoder, get_visual_encoder

            recorded = self.collection.meta.get("encoders", {}).get(channel, {})
            spec = recorded.get("spec") or self.infos[channel].get("encoder", {}).get("name")
            if not spec:
                raise PatImgError(f"collection {self.collection.path} does not record its {channel} encoder")
            encoder = (get_visual_encoder if channel == "visual" else get_text_encoder)(spec)
            stored_info = self.infos[channel].get("encoder") or recorded
            check_compatible(stored_info, encoder.info())
            self._encoders[channel] = encoder
        return self._encoders[channel]

    # -- filters ---------------------------------------------------------------------------------

    def allowed_figures(self, filters: SearchFilters | None, *, query_patent: str | None) -> set[str] | None:
        """Figure ids that pass ``filters`` (``None``: no restriction)."""
        patent_mask = self.figures.patent_mask(filters, query_patent=query_patent)
        kinds = filters.kinds if filters is not None else ()
        if patent_mask is None and not kinds:
            return None
        return self.figures.figures_passing(patent_mask, kinds)

    def _allowed_rows(
        self, channel: str, patent_mask, exclude_figures: set[str], kinds: tuple[str, ...]
    ) -> np.ndarray | None:
        """Rows of the channel's index a search may return: figures still in the collection (an index built
        before figures were replaced may hold them) whose publication passes and whose kind is one of ``kinds``
        (any when empty), less the excluded figures."""
        rows = [self.indexes[channel].id_rows.row(f) for f in exclude_figures]
        excluded = [r for r in rows if r is not None]
        return self.figures.allowed_rows(channel, patent_mask, excluded, kinds)

    # -- the search ------------------------------------------------------------------------------

    def search(
        self,
        *,
        image=None,
        figure_id: str | None = None,
        text: str | None = None,
        settings: SearchSettings | None = None,
        user: str | None = None,
        query_id: str = "",
        image_name: str | None = None,
        exclude_query: bool = True,
        **options: Any,
    ) -> SearchResult:
        """Find figures like the query.

        Args:
            image: Query drawing (PIL image).
            figure_id: Query figure of the collection.
            text: Query text (alone, or with an image or figure).
            settings: Channel, fusion rule, k, filters, weights; or give those as keyword ``options``
                (``channel="visual", k=10``), which make a :class:`SearchSettings`.
            user: When given, the search is written to the collection's audit log under this name.
            query_id: The judged query this search belongs to, for the audit log.
            image_name: What the audit log calls the query image (its file name); default its pixels' sha256.
            exclude_query: Leave the query figure itself out of the results.

        Returns:
            The ranked hits with per-channel scores and ranks, and the query's own numerals.
        """
        if settings is None:
            settings = SearchSettings(**options)
        elif options:
            raise TypeError(f"give settings or {', '.join(sorted(options))}, not both")
        if image is None and figure_id is None and not (text and text.strip()):
            raise BadInputError("query", "give an image, a figure id or some text to search for")
        result = SearchResult()
        query_vectors: dict[str, np.ndarray] = {}
        query_patent = None
        if figure_id is not None:
            figure = self._figure(figure_id)
            query_patent = figure.patent_id
            result.query_labels = self.collection.labels(figure_id)
            result.query_links = self.collection.links(figure_id)
            for ch in INDEXED_CHANNELS:
                if figure_id in self.vectors.get(ch, {}):
                    query_vectors[ch] = self.vectors[ch][figure_id]
            if "text" not in query_vectors:
                result.notes.append(f"figure {figure_id} has no linked sentences, so it has no text vector")
        if image is not None:
            vector, result.query_labels = self._encode_image(image)
            if vector is not None:
                query_vectors["visual"] = vector
        if text and text.strip():
            text_vector = self._encode_query_text(text.strip())
            if text_vector is not None:
                query_vectors["text"] = (
                    text_vector
                    if "text" not in query_vectors
                    else _normalise(query_vectors["text"] + text_vector)
                )
            if image is None and figure_id is None:
                clip_vector = self._clip_text_vector(text.strip())
                if clip_vector is not None:
                    query_vectors["visual"] = clip_vector
        exclude = {figure_id} if exclude_query and figure_id is not None else set()
        self._rank(result, query_vectors, settings, query_patent=query_patent, exclude_figures=exclude)
        if user is not None and self.collection.read_only:
            result.notes.append("this search is not in the audit log: the collection is read-only")
        elif user is not None:
            if image is not None and image_name is None:
                image_name = "sha256:" + _pixels_sha256(image)
            query = {"figure_id": figure_id, "image": image_name, "text": text}
            self._log(result, user=user, query_id=query_id, query=query, settings=settings)
        return result

    def search_vectors(
        self,
        *,
        visual: np.ndarray | None = None,
        text: np.ndarray | None = None,
        settings: SearchSettings | None = None,
        query_patent: str | None = None,
        user: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> SearchResult:
        """Find figures like a query given as vectors (a figure that is not in the collection).

        Args:
            visual: The query's visual vector, from this collection's visual encoder (``encoder("visual")``).
            text: The query's text vector, from this collection's text encoder (e.g. the normalised mean of
                its linked sentences' vectors); None leaves the text channel out, with a note.
            settings: Channel, fusion rule, k, filters, weights (default :class:`SearchSettings`).
            query_patent: The patent the query figure belongs to, for ``filters.exclude_patent=True``.
            user: When given, the search is written to the audit log under this name.
            query: What the audit log records as the query.

        Returns:
            The ranked hits, ranked and fused exactly as :meth:`search` ranks them.
        """
        settings = settings or SearchSettings()
        if visual is None and text is None:
            raise BadInputError("query", "give a visual or a text vector to search with")
        query_vectors = {
            ch: np.asarray(v, dtype=np.float32).reshape(-1)
            for ch, v in (("visual", visual), ("text", text))
            if v is not None
        }
        result = SearchResult()
        self._rank(result, query_vectors, settings, query_patent=query_patent, exclude_figures=set())
        if user is not None and self.collection.read_only:
            result.notes.append("this search is not in the audit log: the collection is read-only")
        elif user is not None:
            self._log(result, user=user, query_id="", query=query or {}, settings=settings)
        return result

    def _rank(
        self,
        result: SearchResult,
        query_vectors: dict[str, np.ndarray],
        settings: SearchSettings,
        *,
        query_patent: str | None,
        exclude_figures: set[str],
    ) -> None:
        """Search each wanted channel with its query vector, fuse, and put the hits (and notes) in ``result``."""
        from patimg.fusion import fuse

        channel, k, filters = settings.channel, settings.k, settings.filters
        wanted = list(INDEXED_CHANNELS) if channel == "fused" else [channel]
        for ch in wanted:
            if ch not in query_vectors:
                result.notes.append(f"the {ch} channel was not used: the query gives it nothing to compare")
        channels = [ch for ch in wanted if ch in query_vectors and ch in self.indexes]
        patent_mask = self.figures.patent_mask(filters, query_patent=query_patent)
        kinds = filters.kinds if filters is not None else ()

        def search_channels() -> dict[str, list[tuple[str, float]]]:
            rows = {ch: self._allowed_rows(ch, patent_mask, exclude_figures, kinds) for ch in channels}
            return {ch: self._search_channel(ch, query_vectors[ch], k=k, rows=rows[ch]) for ch in channels}

        per_channel = search_channels()
        found = [fid for hits in per_channel.values() for fid, _ in hits]
        summaries = self.collection.figure_summaries(found)
        if not self.figures.loaded and len(summaries) < len(set(found)):
            # The index holds figures the collection no longer has (built before they were replaced or
            # removed): read which rows are still there, and search those.
            self.figures.load()
            per_channel = search_channels()
            summaries = self.collection.figure_summaries(
                [fid for hits in per_channel.values() for fid, _ in hits]
            )
        result.channels_used = channels
        result.query_vectors = {ch: query_vectors[ch] for ch in channels}
        fused = fuse(
            per_channel, rule=settings.fusion if len(channels) > 1 else "max", weights=settings.weights, k=k
        )
        for rank, item in enumerate(fused, start=1):
            patent_id, caption, figure_kind = summaries.get(item.id, ("", "", ""))
            result.hits.append(
                Hit(
                    figure_id=item.id,
                    patent_id=patent_id,
                    caption=caption,
                    score=float(item.score),
                    scores={ch: item.scores.get(ch) for ch in INDEXED_CHANNELS},
                    ranks={ch: item.ranks.get(ch) for ch in INDEXED_CHANNELS},
                    rank=rank,
                    figure_kind=figure_kind,
                )
            )

    def _log(
        self,
        result: SearchResult,
        *,
        user: str,
        query_id: str,
        query: dict[str, Any],
        settings: SearchSettings,
    ) -> None:
        """Append a search to the collection's audit log (``judgments.sqlite``), as examiners' offices keep."""
        if self.audit_store is None:
            from patimg.evaluation.store import JudgmentStore

            self.audit_store = JudgmentStore(self.collection.path / "judgments.sqlite")
        result.audit_id = self.audit_store.log_search(
            user=user,
            query_id=query_id,
            query=query,
            settings={**settings.to_dict(), "channels_used": result.channels_used},
            hits=[{"figure_id": h.figure_id, "score": h.score} for h in result.hits],
        )

    def _figure(self, figure_id: str):
        try:
            return self.collection.figure(figure_id)
        except KeyError as error:
            raise BadInputError(figure_id, f"no such figure in collection {self.collection.path}") from error

    def _search_channel(self, channel: str, vector: np.ndarray, *, k: int, rows: np.ndarray | None):
        from patimg.indexes import search_index

        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, ids = search_index(self.indexes[channel], query, k=k, allowed_rows=rows)
        return [
            (fid, float(s)) for fid, s in zip(ids[0], scores[0], strict=True) if fid is not None and fid != ""
        ]

    def _encode_query_text(self, text: str) -> np.ndarray | None:
        if "text" not in self.indexes:
            return None
        return np.asarray(self.encoder("text").encode([text])[0], dtype=np.float32)

    def _clip_text_vector(self, text: str) -> np.ndarray | None:
        if "visual" not in self.indexes:
            return None
        encoder = self.encoder("visual")
        if not hasattr(encoder, "encode_text"):
            return None
        return np.asarray(encoder.encode_text([text])[0], dtype=np.float32)

    def _encode_image(self, image) -> tuple[np.ndarray | None, list[Label]]:
        """Visual vector and numerals of a query image, computed once per distinct image."""
        key = _pixels_sha256(image)
        with self._image_cache_lock:
            cached = self._image_cache.get(key)
        if cached is None:
            vector = self.encoder("visual").encode([image])[0] if "visual" in self.indexes else None
            cached = (vector, self.read_query_numerals(image))
            with self._image_cache_lock:
                while len(self._image_cache) >= 8:
                    self._image_cache.pop(next(iter(self._image_cache)))
                self._image_cache[key] = cached
        vector, labels = cached
        return vector, list(labels)

    def read_query_numerals(self, image) -> list[Label]:
        """Text read on an uploaded query drawing (its reference signs are shown to the examiner)."""
        from patimg.ocr import get_ocr, read_drawing

        return list(read_drawing(image, ocr=get_ocr(self.ocr_name)).labels)


def _pixels_sha256(image) -> str:
    import hashlib

    return hashlib.sha256(f"{image.mode}{image.size}".encode() + image.tobytes()).hexdigest()


def _normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
