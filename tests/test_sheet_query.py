"""The examiner's search on an uploaded sheet (issue 12, items 3, 5, 6): choosing figures and a region, several
query figures fused into one ranking, "more like these" (Rocchio), marks kept as judgments, the search history."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from patimg.errors import BadInputError
from patimg.evaluation.store import JudgmentStore
from patimg.feedback import MARK_GRADES, MarkedQuery, record_mark, rocchio_vector
from patimg.figures.splitting import FigureRegion
from patimg.multi_query import MAX_QUERY_FIGURES, fuse_query_hits, hits_by_patent
from patimg.search import SearchResult
from patimg.search_history import past_searches
from patimg.sheet_query import SheetFigures, boxed_sheet, crop_region, query_figures, search_sheet
from patimg.types import Hit, Label
from tests.realdata import shared_data_path

MULTI_FIGURE_SHEET = ("patents", "us-grants", "US12448249-20251021", "US12448249-20251021-D00002.TIF")


def hit(figure_id: str, score: float, rank: int) -> Hit:
    return Hit(figure_id, figure_id.split("-")[0], "", score, rank=rank)


def test_several_query_figures_fuse_by_their_best_score():
    first = SearchResult(hits=[hit("A-f1", 0.9, 1), hit("B-f1", 0.5, 2), hit("C-f1", 0.4, 3)])
    second = SearchResult(hits=[hit("B-f1", 0.7, 1), hit("C-f1", 0.4, 2), hit("D-f1", 0.3, 3)])
    fused = fuse_query_hits([first, second])
    assert [(h.figure_id, h.score, h.rank) for h in fused] == [
        ("A-f1", 0.9, 1),
        ("B-f1", 0.7, 2),  # its better score, from the second query figure
        ("C-f1", 0.4, 3),
        ("D-f1", 0.3, 4),
    ]
    tie = fuse_query_hits([SearchResult(hits=[hit("X-f1", 0.5, 1)]), first, second], k=2)
    assert [h.figure_id for h in tie] == ["A-f1", "B-f1"]
    equal = fuse_query_hits([SearchResult(hits=[hit("Y-f1", 0.4, 1)]), first, second])
    assert [h.figure_id for h in equal][2:4] == ["C-f1", "Y-f1"]  # C found by two query figures
    groups = hits_by_patent([hit("A-f1", 0.9, 1), hit("B-f1", 0.8, 2), hit("A-f2", 0.7, 3)])
    assert [(p, [h.figure_id for h in hs]) for p, hs in groups] == [("A", ["A-f1", "A-f2"]), ("B", ["B-f1"])]


def test_rocchio_moves_the_query_towards_the_relevant_and_away_from_the_rest():
    query, good, bad = np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0])
    moved = rocchio_vector(query, [good], [bad])
    assert np.linalg.norm(moved) == pytest.approx(1.0)
    expected = np.array([1.0, 0.75, -0.15])
    assert moved == pytest.approx(expected / np.linalg.norm(expected))
    assert rocchio_vector(None, [good]) == pytest.approx(good)  # a channel the query had no vector for
    assert rocchio_vector(None, [], [bad]) is None
    assert rocchio_vector(query, [], []) == pytest.approx(query)


def test_marks_are_judgments_of_the_queries_that_found_them(tmp_path: Path):
    store = JudgmentStore(tmp_path / "judgments.sqlite")
    queries = [
        MarkedQuery(image=b"first figure png", found=frozenset({"A-f1", "B-f1"})),
        MarkedQuery(image=b"second figure png", found=frozenset({"B-f1"})),
    ]
    assert record_mark(store, queries, "B-f1", "relevant", examiner="ann") == 2
    assert record_mark(store, queries, "A-f1", "not relevant", examiner="ann") == 1
    grades = {(j.query_id, j.figure_id): j.grade for j in store.judgments(annotator="ann")}
    assert sorted(grades.values()) == [MARK_GRADES["not relevant"], 2, 2] and MARK_GRADES["relevant"] == 2
    assert len({query for query, _ in grades}) == 2
    assert record_mark(store, queries, "B-f1", None, examiner="ann") == 2  # taken back
    assert [j.figure_id for j in store.judgments(annotator="ann")] == ["A-f1"]
    with pytest.raises(BadInputError, match="annotator"):
        record_mark(store, queries, "A-f1", "relevant", examiner="Ann Smith")


def test_the_history_shows_a_search_of_several_figures_as_one(tmp_path: Path):
    store = JudgmentStore(tmp_path / "judgments.sqlite")
    settings = {"channel": "fused", "fusion": "max", "k": 10, "filters": {"exclude_patent": "QUERY-x"}}
    store.log_search(user="ann", query={"text": "fan"}, settings=settings, hits=[])
    for figure in ("QUERY-x-f1", "QUERY-x-f2"):
        query = {"document": "/tmp/up/sheet.tif", "figure": figure, "search": "s1"}
        store.log_search(
            user="ann", query=query, settings=settings, hits=[{"figure_id": "A-f1", "score": 0.5}]
        )
    store.log_search(user="bob", query={"figure_id": "A-f1"}, settings=settings, hits=[])
    searches = past_searches(store)
    assert [s.describe() for s in searches] == ["figure A-f1", "sheet.tif, 2 figures", 'text "fan"']
    assert searches[1].entry_ids == [2, 3] and searches[1].is_document
    assert searches[1].settings().fusion == "max" and searches[1].settings().k == 10
    assert [s.user for s in past_searches(store, user="ann")] == ["ann", "ann"]


def synthetic_sheet() -> SheetFigures:
    image = Image.new("L", (1000, 800), 255)
    fig1 = Label("FIG. 1", "figure", (100, 350, 200, 380), 0.9)
    sign = Label("14", "reference", (300, 200, 330, 220), 0.9)
    fig2 = Label("FIG. 2", "figure", (700, 350, 800, 380), 0.9)
    regions = (
        FigureRegion("FIG. 1", "1", (50, 50, 450, 400), (fig1, sign), "caption", ("FIG. 1",)),
        FigureRegion("FIG. 2", "2", (550, 50, 950, 400), (fig2,), "caption", ("FIG. 2",)),
    )
    return SheetFigures("my sheet.tif", image, regions, (fig1, sign, fig2))


def test_a_region_cut_by_hand_takes_the_signs_read_inside_it():
    sheet = synthetic_sheet()
    assert sheet.patent_id == "QUERY-my_sheet"
    region = crop_region(sheet, 0.0, 0.0, 0.5, 0.5)
    assert region.box == (0, 0, 500, 400) and region.caption == "FIG. 1" and region.figure_num == "1"
    assert {lab.text for lab in region.labels} == {"FIG. 1", "14"}
    for bad in ((0.2, 0.2, 0.21, 0.9), (-0.1, 0, 0.5, 0.5), (0, 0, 1.5, 0.5)):
        with pytest.raises(BadInputError, match="crop"):
            crop_region(sheet, *bad)
    (figure, image, labels), (second, _, _) = query_figures(sheet, [region, sheet.figure_regions()[1]])
    assert figure.figure_id == "QUERY-my_sheet-crop1" and second.figure_id == "QUERY-my_sheet-f2"
    assert image.size == (512, 412)  # the box and a margin of paper, clipped to the sheet
    assert next(lab for lab in labels if lab.text == "14").box == (300, 200, 330, 220)
    boxed = boxed_sheet(sheet, crop=region, max_side=500)
    assert boxed.size == (500, 400) and boxed.getpixel((25, 25)) != (255, 255, 255)
    with pytest.raises(BadInputError, match="at most 7"):
        search_sheet(None, sheet, [region] * (MAX_QUERY_FIGURES + 1))
    with pytest.raises(BadInputError, match="choose at least one"):
        search_sheet(None, sheet, [])


@pytest.mark.slow
def test_a_real_sheet_two_figures_and_a_region_then_more_like_these(demo_collection: Path, tmp_path: Path):
    """A real grant sheet holding FIG. 3 to 6: its figures are found, two of them and a hand-cut region are
    searched at once, marks refine the search and are kept as judgments, and the history re-opens it."""
    from patimg.feedback import marked_queries, more_like_these
    from patimg.figures import load_drawing
    from patimg.ocr import get_ocr
    from patimg.search import Searcher, SearchSettings
    from patimg.search_history import reopen
    from patimg.sheet_query import read_sheet_figures

    collection = tmp_path / "demo"
    shutil.copytree(demo_collection, collection, ignore=shutil.ignore_patterns("judgments.sqlite*"))
    path = shared_data_path(*MULTI_FIGURE_SHEET)
    sheet = read_sheet_figures(load_drawing(path), ocr=get_ocr("rapidocr"), name=path.name)
    assert [r.figure_num for r in sheet.regions] == ["3", "4", "5", "6"]
    regions = [*sheet.figure_regions()[:2], crop_region(sheet, 0.5, 0.45, 0.9, 0.75)]
    assert regions[2].figure_num == "5" and "16" in {lab.text for lab in regions[2].labels}

    searcher, settings = Searcher(collection), SearchSettings(k=10)
    result = search_sheet(searcher, sheet, regions, settings=settings, user="ann")
    assert [q.figure.figure_id for q in result.query_figures] == [
        f"QUERY-US12448249-20251021-D00002-{name}" for name in ("f1", "f2", "crop1")
    ]
    assert any("no description" in note for note in result.notes)
    assert all(q.result.channels_used == ["visual"] and q.result.hits for q in result.query_figures)
    fused = fuse_query_hits([q.result for q in result.query_figures], k=10)
    for fused_hit in fused:  # each figure's best score over the query figures
        scores = [
            h.score for q in result.query_figures for h in q.result.hits if h.figure_id == fused_hit.figure_id
        ]
        assert fused_hit.score == max(scores)
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)

    marks = {fused[0].figure_id: "relevant", fused[1].figure_id: "not relevant"}
    refined = more_like_these(searcher, result, marks, settings=settings, user="ann")
    for query in refined.query_figures:
        assert query.result.channels_used == ["visual", "text"]  # the relevant figure brought its text in
        assert query.result.hits[0].figure_id == fused[0].figure_id
    store = JudgmentStore(collection / "judgments.sqlite")
    for figure_id, mark in marks.items():
        assert record_mark(store, marked_queries(result), figure_id, mark, examiner="ann") >= 1
    assert {j.figure_id for j in store.judgments(annotator="ann")} == set(marks)

    history = past_searches(store, user="ann")
    assert [s.describe() for s in history] == [
        "more like 2 marked results, 3 figures",
        f"{path.name}, 3 figures",
    ]
    reopened = reopen(searcher.collection, history[1])
    assert [[h.figure_id for h in q.result.hits] for q in reopened.query_figures] == [
        [h.figure_id for h in q.result.hits] for q in result.query_figures
    ]
