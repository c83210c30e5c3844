"""The search history: the audit log's searches, newest first, and re-opening one (issue 12, item 6).

Every search with a user is in the collection's audit log (:meth:`patimg.evaluation.store.JudgmentStore.log_search`:
time, user, query, settings, the ranked figure ids with their scores). A document or sheet search writes one entry
per query figure, all with the same ``search`` id; :func:`past_searches` shows them as one search.

:func:`reopen` rebuilds a past search's results from the log: the same figures in the same order with the same
scores (per-channel scores are not logged), under the same settings. The query's image is not in the log (only its
name or its hash), so a re-opened search can be marked, refined from its marks and reported, but not searched again
as it was; figures removed from the collection since are left out, and its notes say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patimg.evaluation.store import JudgmentStore, SearchLogEntry
from patimg.search_records import SearchFilters, SearchResult, SearchSettings
from patimg.types import Figure, Hit

#: Log entries read per search listed (a publication's search has an entry per figure).
_ENTRIES_PER_SEARCH = 12


@dataclass
class PastSearch:
    """One search of the audit log: its entries, one per query figure, oldest first."""

    entries: list[SearchLogEntry]

    @property
    def entry_ids(self) -> list[int]:
        return [entry.entry_id for entry in self.entries]

    @property
    def time(self) -> str:
        return self.entries[0].time

    @property
    def user(self) -> str:
        return self.entries[0].user

    @property
    def is_document(self) -> bool:
        """Whether it was searched figure by figure (a publication, a sheet's figures, or its refinement)."""
        return any("figure" in entry.query for entry in self.entries)

    def describe(self) -> str:
        """What was searched, in a few words (``US12448249-D00002.TIF, 2 figures``, ``text "fan blades"``)."""
        query = self.entries[0].query
        figures = f", {len(self.entries)} figures" if len(self.entries) > 1 else ""
        if "refines" in query:
            marked = sum(len(query.get(mark) or []) for mark in ("relevant", "not relevant"))
            return f"more like {marked} marked results{figures}"
        if query.get("document"):
            return f"{Path(str(query['document'])).name}{figures}"
        parts = []
        if query.get("figure_id"):
            parts.append(f"figure {query['figure_id']}")
        if query.get("image"):
            parts.append(f"image {query['image']}")
        if query.get("text"):
            parts.append(f'text "{query["text"]}"')
        return " + ".join(parts) or "query"

    def settings(self) -> SearchSettings:
        """The search's settings as logged (a document search's own-patent filter as the patent it left out)."""
        logged = dict(self.entries[0].settings)
        filters = {
            k: v for k, v in (logged.get("filters") or {}).items() if k in SearchFilters.__dataclass_fields__
        }
        return SearchSettings(
            channel=logged.get("channel", "fused"),
            fusion=logged.get("fusion", "avg"),
            k=int(logged.get("k", 50)),
            filters=SearchFilters(**filters),
            weights=logged.get("weights"),
        )


def past_searches(store: JudgmentStore, *, user: str | None = None, limit: int = 20) -> list[PastSearch]:
    """The newest ``limit`` searches of the audit log (of ``user`` only, when given), newest first."""
    grouped: dict[Any, list[SearchLogEntry]] = {}
    for entry in store.search_log(user=user, limit=limit * _ENTRIES_PER_SEARCH):
        key = entry.query.get("search") or entry.entry_id
        grouped.setdefault(key, []).append(entry)
    searches = [PastSearch(sorted(entries, key=lambda e: e.entry_id)) for entries in grouped.values()]
    searches.sort(key=lambda s: -s.entry_ids[-1])
    return searches[:limit]


def reopen(collection, past: PastSearch):
    """A past search's results as they were logged.

    Returns:
        A :class:`patimg.document_query.DocumentResult` for a search figure by figure, else a
        :class:`patimg.search.SearchResult`.
    """
    from patimg.document_query import DocumentResult, QueryFigure
    from patimg.multi_query import aggregate_by_patent

    rows = {row["figure_id"]: row for row in collection.figure_filter_rows()}
    results = [_logged_result(entry, rows) for entry in past.entries]
    if not past.is_document:
        return results[0]
    out = DocumentResult()
    ids = ", ".join(f"#{i}" for i in past.entry_ids)
    out.notes.append(f"re-opened from the audit log (entries {ids} of {past.time[:19]} by {past.user})")
    for entry, result in zip(past.entries, results, strict=True):
        name = str(entry.query.get("figure") or f"entry-{entry.entry_id}")
        patent_id = (
            str(entry.settings.get("filters", {}).get("exclude_patent") or "") or name.rsplit("-", 1)[0]
        )
        out.query_figures.append(QueryFigure(Figure(name, patent_id), patent_id, [], [], result))
        if patent_id not in out.query_patents:
            out.query_patents.append(patent_id)
    out.patents = aggregate_by_patent(out.query_figures)
    return out


def _logged_result(entry: SearchLogEntry, rows: dict[str, dict[str, Any]]) -> SearchResult:
    result = SearchResult(
        audit_id=entry.entry_id, channels_used=list(entry.settings.get("channels_used") or [])
    )
    result.notes.append(
        f"re-opened from the audit log (entry #{entry.entry_id} of {entry.time[:19]} by {entry.user})"
    )
    gone = 0
    for logged in entry.hits:
        figure_id = logged.get("figure_id") if isinstance(logged, dict) else str(logged)
        row = rows.get(figure_id)
        if row is None:
            gone += 1
            continue
        score = float(logged.get("score", 0.0)) if isinstance(logged, dict) else 0.0
        hit = Hit(
            figure_id,
            row["patent_id"],
            row.get("caption") or "",
            score,
            rank=len(result.hits) + 1,
            figure_kind=row.get("figure_kind") or "",
        )
        result.hits.append(hit)
    if gone:
        result.notes.append(f"{gone} of its results are no longer in the collection")
    return result
