"""Fusion rules, checked against arithmetic worked by hand."""

from __future__ import annotations

import pytest

from patimg.errors import BadInputError
from patimg.fusion import fuse

# Two channels; "c" only visual, "d" only text.
VISUAL = [("a", 0.9), ("b", 0.7), ("c", 0.5)]
TEXT = [("b", 0.8), ("a", 0.6), ("d", 0.4)]
BOTH = {"visual": VISUAL, "text": TEXT}


def scores(hits):
    return {h.id: round(h.score, 10) for h in hits}


def test_avg_uses_each_channels_floor_for_a_missing_figure():
    hits = fuse(BOTH, rule="avg")
    # floors: visual 0.5, text 0.4
    # a: (0.9 + 0.6) / 2 = 0.75;  b: (0.7 + 0.8) / 2 = 0.75
    # c: (0.5 + text floor 0.4) / 2 = 0.45;  d: (visual floor 0.5 + 0.4) / 2 = 0.45
    assert scores(hits) == {"a": 0.75, "b": 0.75, "c": 0.45, "d": 0.45}
    assert [h.id for h in hits] == ["a", "b", "c", "d"]  # ties broken by id
    c = next(h for h in hits if h.id == "c")
    assert c.scores == {"visual": 0.5, "text": None} and c.ranks == {"visual": 3, "text": None}


def test_max_takes_the_best_channel():
    hits = fuse(BOTH, rule="max")
    # a: max(0.9, 0.6) = 0.9; b: max(0.7, 0.8) = 0.8; c: max(0.5, 0.4) = 0.5; d: max(0.5 floor, 0.4) = 0.5
    assert scores(hits) == {"a": 0.9, "b": 0.8, "c": 0.5, "d": 0.5}
    assert [h.id for h in hits] == ["a", "b", "c", "d"]


def test_rrf_with_k60_and_no_contribution_from_a_missing_channel():
    hits = fuse(BOTH, rule="rrf")
    # a: 1/61 + 1/62 = 0.0163934426 + 0.0161290323 = 0.0325224749
    # b: 1/62 + 1/61 = same as a -> tie, "a" first by id
    # c: 1/63 = 0.0158730159 ; d: 1/63 likewise
    assert hits[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert [h.id for h in hits] == ["a", "b", "c", "d"]
    assert hits[2].score == pytest.approx(1 / 63) and hits[3].score == pytest.approx(1 / 63)


def test_weighted_sum_divides_by_the_weight_total():
    hits = fuse(BOTH, rule="weighted", weights={"visual": 3.0, "text": 1.0})
    # a: (3*0.9 + 1*0.6) / 4 = (2.7 + 0.6) / 4 = 0.825
    # b: (3*0.7 + 0.8) / 4 = 2.9 / 4 = 0.725
    # c: (3*0.5 + 0.4 floor) / 4 = 1.9 / 4 = 0.475
    # d: (3*0.5 floor + 0.4) / 4 = 0.475
    assert scores(hits) == {"a": 0.825, "b": 0.725, "c": 0.475, "d": 0.475}


def test_minmax_normalisation_before_avg():
    hits = fuse(BOTH, rule="avg", normalise="minmax")
    # visual (0.9, 0.7, 0.5) -> a 1.0, b 0.5, c 0.0; text (0.8, 0.6, 0.4) -> b 1.0, a 0.5, d 0.0
    # a: (1 + 0.5)/2 = 0.75; b: (0.5 + 1)/2 = 0.75; c: (0 + floor 0)/2 = 0; d: 0
    assert scores(hits) == {"a": 0.75, "b": 0.75, "c": 0.0, "d": 0.0}
    # raw scores are still reported
    assert hits[0].scores == {"visual": 0.9, "text": 0.6}


def test_single_channel_and_empty_channel():
    # An empty channel gave no evidence: it is left out, not a zero that halves every score.
    hits = fuse({"visual": VISUAL, "text": []}, rule="avg")
    assert scores(hits) == {"a": 0.9, "b": 0.7, "c": 0.5}
    assert hits[0].ranks == {"visual": 1, "text": None}
    assert fuse({"visual": [], "text": []}, rule="avg") == []


def test_k_truncates_and_duplicates_keep_their_best_score():
    hits = fuse({"visual": [("a", 0.2), ("a", 0.9), ("b", 0.5)]}, rule="max", k=1)
    assert [(h.id, h.score) for h in hits] == [("a", 0.9)]


def test_bad_options_are_refused():
    with pytest.raises(BadInputError):
        fuse(BOTH, rule="median")
    with pytest.raises(BadInputError):
        fuse(BOTH, rule="weighted", weights={"visual": 1.0})
    with pytest.raises(BadInputError):
        fuse(BOTH, rule="weighted", weights={"visual": -1.0, "text": 1.0})
    with pytest.raises(BadInputError):
        fuse({"visual": [("a", float("nan"))]}, rule="avg")
