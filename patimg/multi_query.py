"""Several query figures, one answer: their results fused into one ranking of figures, and ranked per patent.

An examiner searches with several figures at once: every figure of a publication (:func:`patimg.search_document`),
or the figures and regions chosen on an uploaded sheet (:mod:`patimg.sheet_query`, at most
:data:`MAX_QUERY_FIGURES`). Each query figure is searched on its own (its own visual and text vectors, the fusion
rule of the settings between the channels); these rules then combine their result lists.

Figures (:func:`fuse_query_hits`), the documented rule: a figure's score is the **maximum of its scores over the
query figures** that found it (the "MQ-max" rule of Arandjelović and Zisserman, *Multiple queries for large scale
specific object retrieval*, BMVC 2012: a result need only be like one of the views the examiner gave, and a view
that does not show it cannot pull it down). Ties go to the figure more query figures found, then the better
rank, then the figure id. Its per-channel scores and ranks are those of the query figure that gave the maximum.

Patents (:func:`aggregate_by_patent`): a patent's score is the maximum, over the query figures, of the fused score
of its best-ranked figure in that query figure's results; ties go to the patent more query figures found, then
the patent id. Each patent lists its matching figures, each with its best score and the query figure that gave
it, best first.

Scores of query figures with and without a text vector are compared as they come (a visual-only query's score is
its visual cosine), which favours neither: both are cosines in [-1, 1].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from patimg.types import Hit

if TYPE_CHECKING:
    from patimg.document_query import QueryFigure
    from patimg.search_records import SearchResult

#: Most query figures one search takes: the issue's "several query images at once (up to 7)".
MAX_QUERY_FIGURES = 7


@dataclass
class PatentMatch:
    """One patent of the collection, ranked by :func:`aggregate_by_patent`.

    Attributes:
        patent_id: The patent.
        score: Max over query figures of the fused score of the patent's best figure.
        figures: ``{"figure_id", "caption", "score", "query_figure"}`` for each of its matching figures, best
            first.
    """

    patent_id: str
    score: float
    figures: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"patent": self.patent_id, "score": self.score, "figures": self.figures}


def fuse_query_hits(results: Sequence[SearchResult], *, k: int | None = None) -> list[Hit]:
    """One ranking of the figures found by several query figures (the max rule of the module docstring).

    Args:
        results: Each query figure's search result.
        k: Keep the best ``k`` (default all).

    Returns:
        Hits ranked 1, 2, ... with each figure's best score.
    """
    best: dict[str, Hit] = {}
    found_by: dict[str, int] = {}
    for result in results:
        for hit in result.hits:
            found_by[hit.figure_id] = found_by.get(hit.figure_id, 0) + 1
            kept = best.get(hit.figure_id)
            if kept is None or (hit.score, -hit.rank) > (kept.score, -kept.rank):
                best[hit.figure_id] = hit
    ranked = sorted(best.values(), key=lambda h: (-h.score, -found_by[h.figure_id], h.rank, h.figure_id))
    return [dataclasses.replace(hit, rank=rank) for rank, hit in enumerate(ranked[:k], start=1)]


def hits_by_patent(hits: Sequence[Hit]) -> list[tuple[str, list[Hit]]]:
    """The hits grouped by patent, patents in the order of their best hit, each patent's hits in list order."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.patent_id, []).append(hit)
    return list(groups.items())


def aggregate_by_patent(query_figures: Sequence[QueryFigure]) -> list[PatentMatch]:
    """Rank the patents found by the query figures (the rule is in this module's docstring)."""
    best: dict[str, dict[str, dict[str, Any]]] = {}  # patent -> figure -> best entry
    found_by: dict[str, set[str]] = {}
    for query in query_figures:
        for hit in query.result.hits:
            found_by.setdefault(hit.patent_id, set()).add(query.figure.figure_id)
            entries = best.setdefault(hit.patent_id, {})
            entry = entries.get(hit.figure_id)
            if entry is None or hit.score > entry["score"]:
                entries[hit.figure_id] = {
                    "figure_id": hit.figure_id,
                    "caption": hit.caption,
                    "score": hit.score,
                    "query_figure": query.figure.figure_id,
                }
    matches = []
    for patent_id, entries in best.items():
        figures = sorted(entries.values(), key=lambda e: (-e["score"], e["figure_id"]))
        matches.append(PatentMatch(patent_id, figures[0]["score"], figures))
    matches.sort(key=lambda m: (-m.score, -len(found_by[m.patent_id]), m.patent_id))
    return matches
