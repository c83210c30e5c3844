"""The searcher's filters reach the results: office, date range, class prefix, the query's own patent.

Runs on the demo collection (the session's ``demo_collection`` fixture): its publications differ in
date and classes, and each has several figures, so every filter has something to keep and something to drop.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def searcher(demo_collection):
    from patimg.search import Searcher

    return Searcher(demo_collection)


@pytest.fixture(scope="module")
def patents(searcher):
    return {p.patent_id: p for p in searcher.collection.patent_records()}


@pytest.fixture(scope="module")
def figure_id(searcher) -> str:
    """A query figure whose patent has other figures too, so excluding its patent removes real hits."""
    by_patent: dict[str, list[str]] = {}
    for figure in searcher.collection.figure_records():
        by_patent.setdefault(figure.patent_id, []).append(figure.figure_id)
    return next(ids[0] for ids in by_patent.values() if len(ids) > 1)


def _search(searcher, query: str, filters=None, **options):
    return searcher.search(figure_id=query, channel="fused", k=200, filters=filters, **options).hits


def test_unfiltered_search_returns_the_whole_collection_but_the_query(searcher, figure_id) -> None:
    hits = _search(searcher, figure_id)
    every = {f.figure_id for f in searcher.collection.figure_records()}
    assert {h.figure_id for h in hits} == every - {figure_id}
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_exclude_patent_drops_every_figure_of_the_query_patent(searcher, figure_id) -> None:
    from patimg.search import SearchFilters

    own = searcher.collection.figure(figure_id).patent_id
    unfiltered = _search(searcher, figure_id)
    assert any(h.patent_id == own for h in unfiltered)
    hits = _search(searcher, figure_id, SearchFilters(exclude_patent=True))
    assert hits and all(h.patent_id != own for h in hits)
    assert [h.figure_id for h in hits] == [h.figure_id for h in unfiltered if h.patent_id != own]
    other = next(h.patent_id for h in unfiltered if h.patent_id != own)  # or a patent named by id
    named = _search(searcher, figure_id, SearchFilters(exclude_patent=other))
    assert all(h.patent_id != other for h in named) and any(h.patent_id == own for h in named)


def test_date_range_keeps_only_publications_inside_it(searcher, patents, figure_id) -> None:
    from patimg.search import SearchFilters

    dates = sorted({p.date for p in patents.values()})
    assert len(dates) >= 3, dates
    low, high = dates[1], dates[-2]
    hits = _search(searcher, figure_id, SearchFilters(date_from=low, date_to=high))
    kept = {patents[h.patent_id].date for h in hits}
    assert kept and all(low <= d <= high for d in kept)
    rows = searcher.collection.figure_filter_rows()
    expected = {r["figure_id"] for r in rows if low <= r["date"] <= high} - {figure_id}
    assert {h.figure_id for h in hits} == expected


def test_class_prefix_matches_ipc_or_cpc_ignoring_spaces_and_case(searcher, patents, figure_id) -> None:
    from patimg.search import SearchFilters

    def squeeze(text: str) -> str:
        return "".join(text.split()).upper()

    classes = sorted({c for p in patents.values() for c in p.ipc + p.cpc})
    prefix = squeeze(classes[0])[:6]  # subclass and main group, e.g. "F04D29" for "F04D 29/38"
    having = {pid for pid, p in patents.items() if any(squeeze(c).startswith(prefix) for c in p.ipc + p.cpc)}
    assert having and having != set(patents), "the demo should have patents in and out of the class"
    hits = _search(searcher, figure_id, SearchFilters(class_prefix=f"{prefix[:4].lower()} {prefix[4:]}"))
    # The query patent has other figures, so every patent in the class keeps at least one hit.
    assert {h.patent_id for h in hits} == having


def test_office_filter(searcher, figure_id) -> None:
    from patimg.search import SearchFilters

    assert len(_search(searcher, figure_id, SearchFilters(office="us"))) == len(_search(searcher, figure_id))
    assert _search(searcher, figure_id, SearchFilters(office="EP")) == []  # the demo is US only


def test_a_malformed_date_is_a_clear_error(searcher, figure_id) -> None:
    from patimg.errors import BadInputError
    from patimg.search import SearchFilters

    with pytest.raises(BadInputError, match="not a date"):
        _search(searcher, figure_id, SearchFilters(date_from="01/02/2020"))
