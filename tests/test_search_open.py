"""A searcher opens without reading a row a figure, and its searches are still exact over what filters allow.

A small collection is fabricated in a temp folder (:mod:`tests.fabricated`), so every result can be checked
against a brute-force search.
"""

from __future__ import annotations

import numpy as np
import pytest

from patimg.collection import Collection
from patimg.search import Searcher, SearchFilters
from patimg.vectors import IdRows, VectorStore
from tests.fabricated import exact_hits, fabricated_collection


@pytest.fixture()
def collection(tmp_path) -> Collection:
    """The fabricated collection (:func:`tests.fabricated.fabricated_collection`)."""
    return fabricated_collection(tmp_path / "c")


def test_opening_reads_no_row_a_figure_and_only_a_filter_reads_them_once(collection, monkeypatch):
    calls: list[str] = []
    names = ("figure_publications", "figure_filter_rows", "publication_filter_rows", "publication_classes")
    for name in (*names, "figure_records"):  # every read of a row a figure or a publication
        original = getattr(Collection, name)
        monkeypatch.setattr(
            Collection,
            name,
            lambda self, *a, _n=name, _f=original, **kw: calls.append(_n) or _f(self, *a, **kw),
        )
    original_load = VectorStore.load
    monkeypatch.setattr(VectorStore, "load", lambda self: calls.append("vectors") or original_load(self))
    searcher = Searcher(collection.path)
    assert calls == []
    query = "US101B1-D00002-f1"
    searcher.search(figure_id=query, channel="fused", k=5)
    assert sorted(calls) == ["vectors", "vectors"]  # the query's stored vectors; no figure table unfiltered
    searcher.search(figure_id=query, channel="fused", k=5, filters=SearchFilters(office="US"))
    searcher.search(figure_id="EP100B1-D00001-f1", channel="visual", k=5)
    assert sorted(calls) == ["figure_publications", "publication_filter_rows", "vectors", "vectors"]
    searcher.search(figure_id=query, channel="visual", k=5, filters=SearchFilters(class_prefix="B64"))
    searcher.search(figure_id=query, channel="visual", k=5, filters=SearchFilters(class_prefix="A61"))
    assert calls.count("publication_classes") == 1 and len(calls) == 5


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (None, lambda p: True),
        (SearchFilters(office="ep"), lambda p: p.office == "EP"),
        (
            SearchFilters(date_from="2004-01-01", date_to="2009-06-01"),
            lambda p: "2004" <= p.date <= "2009-06-01",
        ),
        (
            SearchFilters(class_prefix="b64c 25"),
            lambda p: any(c.startswith("B64C 25") for c in p.ipc + p.cpc),
        ),
        (SearchFilters(exclude_patent=True), lambda p: p.patent_id != "US101B1"),
        (
            SearchFilters(exclude_patent="US104B1", office="US"),
            lambda p: p.patent_id not in ("US104B1",) and p.office == "US",
        ),
    ],
)
def test_figure_queries_are_exact_over_the_figures_the_filters_allow(collection, filters, keep):
    searcher = Searcher(collection.path)
    query = "US101B1-D00002-f1"  # it has a text vector too
    for channel in ("visual", "text"):
        hits = searcher.search(figure_id=query, channel=channel, k=7, filters=filters or SearchFilters()).hits
        assert [h.figure_id for h in hits] == exact_hits(collection, channel, query, 7, keep)
        for hit in hits:
            figure = collection.figure(hit.figure_id)
            assert (hit.patent_id, hit.caption) == (figure.patent_id, figure.caption)
    allowed = searcher.allowed_figures(filters, query_patent="US101B1")
    if filters is None:
        assert allowed is None
    else:
        passing = {f.figure_id for f in collection.figure_records() if keep(collection.patent(f.patent_id))}
        assert allowed == passing


def test_figures_gone_since_the_index_was_built_are_never_returned(collection):
    collection.remove_publication("US101B1")
    collection.remove_publication("EP103B1")
    searcher = Searcher(collection.path)
    hits = searcher.search(figure_id="US102B1-D00001-f1", channel="visual", k=60).hits
    assert [h.figure_id for h in hits] == exact_hits(
        collection, "visual", "US102B1-D00001-f1", 60, lambda p: True
    )
    assert len(hits) == 40 - 1  # 10 publications of 4 figures are left, less the query
    with pytest.raises(Exception, match="no such figure"):
        searcher.search(figure_id="US101B1-D00001-f1", channel="visual", k=3)


def test_stored_vectors_are_looked_up_by_id_without_a_dict(collection):
    searcher = Searcher(collection.path)
    ids, vectors, _ = VectorStore.of(collection, "text").load()
    text = searcher.vectors["text"]
    assert len(text) == len(ids) and list(text) == ids
    np.testing.assert_array_equal(text[ids[5]], vectors[5])
    assert ids[5] in text and "US100B1-D00001-f1" not in text and text.get("nothing") is None
    rows = IdRows(["a", "b", "a", "c"])
    assert [rows.row(x) for x in ("a", "b", "c", "d")] == [0, 1, 3, None]
