"""A searcher opens without reading a row a figure, and its searches are still exact over what filters allow.

A small collection is fabricated in a temp folder (publications and figures in SQLite, random stored vectors,
exact indexes; no drawing, no encoder), so every result can be checked against a brute-force search.
"""

from __future__ import annotations

import numpy as np
import pytest

from patimg.collection import Collection
from patimg.indexes import build_index
from patimg.indexes.generations import new_generation, publish
from patimg.search import Searcher, SearchFilters
from patimg.types import Figure, Patent
from patimg.vectors import IdRows, VectorStore

DIMS = {"visual": 16, "text": 8}
CLASSES = ("B64C 25/00", "A61B 5/00", "F04D 29/38", "B62K 11/02")


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture()
def collection(tmp_path) -> Collection:
    """12 publications (US and EP, 2001-2012, one or two classes) of 4 figures each; every figure has a visual
    vector, two in three a text vector; both indexes exact."""
    collection = Collection.create(tmp_path / "c")
    for p in range(12):
        office = "US" if p % 3 else "EP"
        patent = Patent(
            patent_id=f"{office}{100 + p}B1",
            office=office,
            date=f"{2001 + p}-06-01",
            ipc=(CLASSES[p % 4],),
            cpc=(CLASSES[(p + 1) % 4],) if p % 2 else (),
        )
        figures = [
            Figure(
                figure_id=f"{patent.patent_id}-D{k:05d}-f1", patent_id=patent.patent_id, caption=f"FIG. {k}"
            )
            for k in range(1, 5)
        ]
        collection.write_publication(
            source_key=patent.patent_id,
            source="fabricated",
            source_kind="uspto",
            patent=patent,
            sentences=[],
            figure_descriptions={},
            figures=figures,
            labels={},
            links=[],
        )
    ids = [f.figure_id for f in collection.figure_records()]
    generation = new_generation(collection.path / "indexes")
    for seed, channel in enumerate(DIMS):
        channel_ids = ids if channel == "visual" else [f for i, f in enumerate(ids) if i % 3]
        vectors = unit_rows(len(channel_ids), DIMS[channel], seed)
        info = {"name": f"test-{channel}", "dim": DIMS[channel]}
        VectorStore.of(collection, channel).save(channel_ids, vectors, info)
        build_index(
            vectors,
            channel_ids,
            out_dir=generation / channel,
            channel=channel,
            encoder_info=info,
            kind="flat",
        )
    publish(collection.path / "indexes", generation)
    return collection


def exact_hits(collection: Collection, channel: str, query: str, k: int, keep_patent) -> list[str]:
    """Brute force: the top ``k`` figures of ``channel`` whose publication passes ``keep_patent``, query left out."""
    ids, vectors, _ = VectorStore.of(collection, channel).load()
    patent_of = {f.figure_id: f.patent_id for f in collection.figure_records()}
    patents = {p.patent_id: p for p in collection.patent_records()}
    scores = vectors @ vectors[ids.index(query)]
    order = np.argsort(-scores, kind="stable")
    allowed = [
        ids[r]
        for r in order
        if ids[r] != query and ids[r] in patent_of and keep_patent(patents[patent_of[ids[r]]])
    ]
    return allowed[:k]


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
