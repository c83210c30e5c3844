"""Judged queries: creating one, what a query id asks (a stored query, or a figure of the collection as
hand-written and same-patent qrels use), and the automatic same-patent judgments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patimg.errors import BadInputError


@dataclass(frozen=True)
class QuerySpec:
    """What a judged query asks: a figure of the collection, an image file, and/or text."""

    figure_id: str | None = None
    image_path: str | None = None
    text: str | None = None


def create_query(
    store,
    *,
    figure_id: str | None = None,
    image_bytes: bytes | None = None,
    text: str | None = None,
    collection=None,
) -> str:
    """Register a judged query in ``store`` and return its id (the same content always gives the same id).

    Args:
        store: The collection's :class:`patimg.evaluation.store.JudgmentStore`.
        figure_id: A figure of the collection used as the query.
        image_bytes: An uploaded drawing; the store keeps a copy next to its database.
        text: Optional text, alone or with the figure/image.
        collection: When given, ``figure_id`` must be one of its figures.

    ``image_bytes`` must be a readable drawing: it is opened now, so a bad upload is refused before anything
    is stored.

    Raises:
        BadInputError: No figure, image or text; a figure and an image together; an unknown figure; an
            unreadable image.
    """
    figure_id = (figure_id or "").strip()
    if collection is not None and figure_id:
        try:
            collection.figure(figure_id)
        except KeyError:
            raise BadInputError(figure_id, f"no such figure in collection {collection.path}") from None
    if image_bytes is not None:
        from patimg.figures import load_drawing

        load_drawing(image_bytes, name="uploaded query drawing")  # raises BadInputError when unreadable
    return store.add_query(figure_id=figure_id, image=image_bytes, text=text or "")


def query_spec(store, query_id: str, *, figure_ids: set[str] | None = None) -> QuerySpec:
    """What query ``query_id`` asks, for the searcher.

    Args:
        store: The judgment store (``None``: the collection has none yet).
        query_id: A query of the store, or (qrels written by hand or by ``same_patent_qrels``) a figure id.
        figure_ids: The collection's figure ids, to accept a figure id as a query id.

    Raises:
        BadInputError: The id is neither a query of the store nor a figure of the collection.
    """
    stored = store.get_query(query_id) if store is not None else None
    if stored is not None:
        # The store keeps "" for absent parts; the searcher wants None (an empty figure id is no query).
        return QuerySpec(
            figure_id=stored.figure_id or None,
            image_path=stored.image_path or None,
            text=stored.text or None,
        )
    if figure_ids is not None and query_id in figure_ids:
        return QuerySpec(figure_id=query_id)
    raise BadInputError(query_id, "query id is neither a judged query nor a figure of the collection")


def describe_query(spec: QuerySpec) -> str:
    """One line naming what a query asks (``figure US..-D00001-1 + "propeller"``)."""
    parts = []
    if spec.figure_id:
        parts.append(f"figure {spec.figure_id}")
    if spec.image_path:
        parts.append(f"uploaded drawing {Path(spec.image_path).name[:12]}")
    if spec.text:
        parts.append(f'"{spec.text}"')
    return " + ".join(parts) or "(empty query)"


def same_patent_qrels(collection) -> dict[str, dict[str, int]]:
    """Automatic judgments (DeepPatent's rule): each figure is a query; the other figures of its patent are relevant.

    (Ingest leaves out USPTO front-page drawings, which repeat a sheet and would be trivially relevant.)

    Returns:
        Qrels: query figure id -> figure id -> 1 for every other figure of the same patent.
    """
    by_patent: dict[str, list[str]] = {}
    for figure in collection.figure_records():
        by_patent.setdefault(figure.patent_id, []).append(figure.figure_id)
    qrels: dict[str, dict[str, int]] = {}
    for figures in by_patent.values():
        for query in figures:
            relevant = {other: 1 for other in figures if other != query}
            if relevant:
                qrels[query] = relevant
    return qrels
