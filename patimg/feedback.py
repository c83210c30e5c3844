"""More like these: the examiner's marks on results, turned into a refined search and into judgments (issue 12,
item 5).

Refining (:func:`more_like_these`) follows Rocchio's relevance feedback with the SMART weights (Manning, Raghavan
and Schütze, *Introduction to Information Retrieval*, 2008, section 9.1.1). On each channel::

    q' = alpha * q + beta * mean(relevant) - gamma * mean(not relevant),  normalised;  alpha 1, beta 0.75, gamma 0.15

* ``q`` is the query figure's vector on that channel (:attr:`patimg.search.SearchResult.query_vectors`). A channel
  the query has no vector for (a drawing searched without its description has no text vector) starts from zero,
  so its vector comes from the marked figures alone: marking results relevant can bring in the text channel.
* ``relevant`` and ``not relevant`` are the collection's stored vectors of the marked figures on that channel (a
  figure without a text vector counts on the visual channel only).
* A channel with neither a query vector nor a relevant figure's vector is not searched.

Each query figure of a document or sheet search is refined on its own with the same marks, and the refined results
are fused and aggregated per patent again (:mod:`patimg.multi_query`). Marked figures are not removed: the refined
search shows where they land.

Judgments (:func:`record_mark`): a mark is the examiner's grade in the collection's
:class:`~patimg.evaluation.store.JudgmentStore`, ``relevant`` as :data:`~patimg.evaluation.RELEVANT` (2) and ``not
relevant`` as :data:`~patimg.evaluation.NOT_RELEVANT` (0) (:data:`MARK_GRADES`), for each query whose results hold the marked figure
(:func:`marked_queries`: a query figure of an upload is judged by its image, a collection figure by its id, a text
by its text). Taking a mark back withdraws the judgment (the store's history keeps both).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from patimg.errors import BadInputError
from patimg.evaluation.store import GRADES
from patimg.vocabulary import INDEXED_CHANNELS, MARKS, Mark

if TYPE_CHECKING:
    from patimg.document_query import DocumentResult
    from patimg.evaluation.store import JudgmentStore
    from patimg.search import Searcher, SearchResult, SearchSettings


@dataclass(frozen=True)
class RocchioWeights:
    """How much the query (``alpha``), the relevant (``beta``) and the not relevant figures (``gamma``) weigh."""

    alpha: float = 1.0
    beta: float = 0.75
    gamma: float = 0.15


#: The SMART weights (see the module docstring).
ROCCHIO = RocchioWeights()


def rocchio_vector(
    query: np.ndarray | None,
    relevant: Sequence[np.ndarray],
    not_relevant: Sequence[np.ndarray] = (),
    *,
    weights: RocchioWeights = ROCCHIO,
) -> np.ndarray | None:
    """One channel's refined query vector (the rule of the module docstring), unit length.

    Returns:
        ``None`` when there is neither a query vector nor a relevant one, or when everything cancels out.
    """
    if query is None and not relevant:
        return None
    parts = [
        np.asarray(v, dtype=np.float32).reshape(-1)
        for v in (query, *relevant, *not_relevant)
        if v is not None
    ]
    moved = np.zeros_like(parts[0])
    if query is not None:
        moved += weights.alpha * np.asarray(query, dtype=np.float32).reshape(-1)
    if relevant:
        moved += weights.beta * np.mean(
            [np.asarray(v, dtype=np.float32).reshape(-1) for v in relevant], axis=0
        )
    if not_relevant:
        moved -= weights.gamma * np.mean(
            [np.asarray(v, dtype=np.float32).reshape(-1) for v in not_relevant], axis=0
        )
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm > 1e-9 else None


def more_like_these(
    searcher: Searcher,
    result: DocumentResult | SearchResult,
    marks: Mapping[str, Mark],
    *,
    settings: SearchSettings,
    query_patent: str | None = None,
    user: str | None = None,
    weights: RocchioWeights = ROCCHIO,
) -> DocumentResult | SearchResult:
    """The search again, each query moved towards the figures marked relevant and away from those marked not.

    Args:
        searcher: The collection's searcher (its stored vectors are the marked figures').
        result: The search the marks were made on: a document or sheet search, or a single one.
        marks: ``{figure_id: "relevant" | "not relevant"}``; figures no longer in the collection are ignored.
        settings: The settings of the search (``filters.exclude_patent=True`` leaves out each query's own patent).
        query_patent: A single search's own patent (a collection figure's), for ``exclude_patent``.
        user: When given, each refined search is written to the audit log, naming the search it refines.
        weights: Rocchio's weights.

    Returns:
        A result of the same kind, with the refined hits (a document result is fused per patent again).

    Raises:
        BadInputError: No mark, or a mark that is not one of :data:`patimg.vocabulary.MARKS`.
    """
    from patimg.document_query import DocumentResult
    from patimg.multi_query import aggregate_by_patent

    for figure_id, mark in marks.items():
        if mark not in MARKS:
            raise BadInputError("marks", f"{figure_id}: {mark!r} is not one of {', '.join(MARKS)}")
    if not marks:
        raise BadInputError("marks", "mark at least one result relevant or not relevant first")
    examples = {mark: [fid for fid, m in marks.items() if m == mark] for mark in MARKS}
    search_id = uuid.uuid4().hex[:12]

    def refine(single: SearchResult, own_patent: str | None, query_figure: str) -> SearchResult:
        vectors = {}
        for channel in INDEXED_CHANNELS:
            if channel not in searcher.indexes:
                continue
            stored = searcher.vectors.get(channel, {})
            vector = rocchio_vector(
                single.query_vectors.get(channel),
                [stored[f] for f in examples["relevant"] if f in stored],
                [stored[f] for f in examples["not relevant"] if f in stored],
                weights=weights,
            )
            if vector is not None:
                vectors[channel] = vector
        logged = {"refines": single.audit_id, "search": search_id, **examples}
        if query_figure:
            logged["figure"] = query_figure
        if not vectors:
            return dataclasses.replace(single, notes=[*single.notes, "no vector to refine the search with"])
        refined = searcher.search_vectors(
            visual=vectors.get("visual"),
            text=vectors.get("text"),
            settings=settings,
            query_patent=own_patent,
            user=user,
            query=logged,
        )
        counts = ", ".join(f"{len(figures)} {mark}" for mark, figures in examples.items() if figures)
        refined.notes.insert(0, f"refined with the results marked {counts} (Rocchio)")
        return refined

    if isinstance(result, DocumentResult):
        figures = [
            dataclasses.replace(q, result=refine(q.result, q.patent_id, q.figure.figure_id))
            for q in result.query_figures
        ]
        return dataclasses.replace(result, query_figures=figures, patents=aggregate_by_patent(figures))
    return refine(result, query_patent, "")


#: The grade each mark is recorded as: the store's grade of that name.
MARK_GRADES: dict[str, int] = {name: grade for grade, name in GRADES.items() if name in MARKS}


@dataclass(frozen=True)
class MarkedQuery:
    """A query the examiner's marks are judgments for, and the figures its results hold.

    Attributes:
        figure_id: A collection figure used as the query.
        image: The query's image (PNG bytes), for an upload.
        text: The query's text.
        found: Figure ids in its results.
    """

    figure_id: str = ""
    image: bytes | None = None
    text: str = ""
    found: frozenset[str] = frozenset()


def marked_queries(
    result: DocumentResult | SearchResult, *, figure_id: str = "", image: bytes | None = None, text: str = ""
) -> list[MarkedQuery]:
    """The queries of a search that marks are recorded for: each query figure of a document or sheet search
    (judged by its image), or the single search's figure, image or text (as given)."""
    from patimg.document_query import DocumentResult

    if isinstance(result, DocumentResult):
        return [
            MarkedQuery(image=q.thumbnail, found=frozenset(h.figure_id for h in q.result.hits))
            for q in result.query_figures
            if q.thumbnail
        ]
    if not (figure_id or image or (text or "").strip()):
        return []
    found = frozenset(h.figure_id for h in result.hits)
    return [MarkedQuery(figure_id=figure_id, image=image, text=(text or "").strip(), found=found)]


def record_mark(
    store: JudgmentStore, queries: Sequence[MarkedQuery], figure_id: str, mark: Mark | None, *, examiner: str
) -> int:
    """Record the examiner's mark on a result as a judgment for each query that found it (``None``: take it back).

    Returns:
        How many queries the judgment was recorded (or withdrawn) for.

    Raises:
        BadInputError: An unknown mark, or an examiner name the store refuses (empty, or with spaces).
    """
    if mark is not None and mark not in MARKS:
        raise BadInputError("mark", f"{mark!r} is not one of {', '.join(MARKS)}")
    done = 0
    for query in queries:
        if figure_id not in query.found:
            continue
        query_id = store.add_query(figure_id=query.figure_id, image=query.image, text=query.text)
        if mark is not None:
            store.judge(
                query_id, figure_id, MARK_GRADES[mark], annotator=examiner, note="marked on the Search page"
            )
            done += 1
        elif any(j.figure_id == figure_id for j in store.judgments(query_id, annotator=examiner)):
            store.withdraw(query_id, figure_id, annotator=examiner)
            done += 1
    return done
