"""Late fusion of per-channel result lists into one ranking.

Rules (``rule=``):
  * ``"avg"``: mean of the channel scores (the paper's "average").
  * ``"max"``: the best channel score (the paper's "max").
  * ``"weighted"``: ``sum_c w_c * s_c / sum_c w_c`` (weights need not sum to 1; equal weights = ``avg``).
  * ``"rrf"``: reciprocal-rank fusion, ``sum_c 1 / (rrf_k + rank_c)`` with ``rrf_k = 60`` (Cormack et al.
    2009); it ignores score scales altogether.

A figure found by some channels only (each channel returns its top k, so a figure can be missing from one
list): for ``avg``, ``max`` and ``weighted``, a channel that did not return it contributes that channel's
*lowest returned score* (its floor) -- the figure ranked below everything the channel returned, so its
true score is at most the floor. This is an optimistic bound, never a silent 0 (a cosine of 0 would mean
"orthogonal", which the channel never said). For ``rrf`` a missing channel contributes nothing (rank =
infinity), the rule's standard definition. A channel whose list is empty gave no evidence at all and is
left out of the fusion; the per-channel ``scores`` / ``ranks`` of every hit say ``None`` where a channel did
not find it, so the UI can show it.

Scales: the visual and text channels both give cosine similarities, but with different spreads (sentence
models' cosines cluster high, CLIP's image cosines cluster in a narrow band). ``normalise="minmax"``
(per channel, over its returned list, to [0, 1]) or ``"zscore"`` puts them on one scale before
``avg``/``max``/``weighted``; the default ``"none"`` keeps the paper's raw scores. Which is better on
patents is an evaluation question (AP@50 per rule), not decided here.

Ties are broken by id (ascending), so the same inputs always give the same ranking.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from patimg.errors import BadInputError
from patimg.vocabulary import FUSION_RULES, NORMALISATIONS

RRF_K = 60


@dataclass(frozen=True)
class FusedHit:
    """One fused result.

    Attributes:
        id: Figure id.
        score: Fused score (higher is better).
        scores: Raw per-channel score, ``None`` where the channel did not return the figure.
        ranks: 1-based per-channel rank, ``None`` where not returned.
    """

    id: str
    score: float
    scores: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)


def _ranked(hits: Sequence[tuple[str, float]], channel: str) -> list[tuple[str, float]]:
    """Best score per id, sorted by score descending then id; validates the scores."""
    best: dict[str, float] = {}
    for item_id, score in hits:
        score = float(score)
        if not math.isfinite(score):
            raise BadInputError(f"{channel} results", f"score of {item_id!r} is not finite ({score})")
        if item_id not in best or score > best[item_id]:
            best[item_id] = score
    return sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))


def _normalised(ranked: list[tuple[str, float]], how: str) -> dict[str, float]:
    scores = [s for _, s in ranked]
    if how == "none":
        return dict(ranked)
    if how == "minmax":
        low, high = min(scores), max(scores)
        span = high - low
        # One distinct score: every hit is the channel's best (1.0).
        return {i: (s - low) / span if span > 0 else 1.0 for i, s in ranked}
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    return {i: (s - mean) / std if std > 0 else 0.0 for i, s in ranked}


def _weights(rule: str, weights: Mapping[str, float] | None, channels: list[str]) -> dict[str, float]:
    if rule != "weighted" or weights is None:
        return dict.fromkeys(channels, 1.0)
    missing = [c for c in channels if c not in weights]
    if missing:
        raise BadInputError("weights", f"no weight for channel(s) {', '.join(missing)}")
    chosen = {c: float(weights[c]) for c in channels}
    if any(w < 0 or not math.isfinite(w) for w in chosen.values()) or sum(chosen.values()) <= 0:
        raise BadInputError("weights", f"weights must be non-negative with a positive sum, got {chosen}")
    return chosen


def fuse(
    channel_results: Mapping[str, Sequence[tuple[str, float]]],
    *,
    rule: str = "avg",
    weights: Mapping[str, float] | None = None,
    k: int = 50,
    normalise: str = "none",
    rrf_k: int = RRF_K,
) -> list[FusedHit]:
    """Fuse per-channel ``(id, score)`` lists into the top ``k`` figures.

    Args:
        channel_results: Channel name to its hits (any order; scores higher = better).
        rule: ``"avg"``, ``"max"``, ``"rrf"`` or ``"weighted"``.
        weights: Per-channel weights for ``"weighted"`` (default equal).
        k: Number of fused hits returned.
        normalise: ``"none"``, ``"minmax"`` or ``"zscore"`` per channel before score rules.
        rrf_k: The RRF constant.

    Returns:
        Up to ``k`` hits, best first, ties broken by id.
    """
    if rule not in FUSION_RULES:
        raise BadInputError("fusion rule", f"{rule!r} is not one of {', '.join(FUSION_RULES)}")
    if normalise not in NORMALISATIONS:
        raise BadInputError("normalise", f"{normalise!r} is not one of {', '.join(NORMALISATIONS)}")
    if k < 1:
        raise BadInputError("k", f"must be positive, got {k}")
    ranked = {c: _ranked(hits, c) for c, hits in channel_results.items()}
    channels = sorted(c for c, hits in ranked.items() if hits)
    if not channels:
        return []
    channel_weights = _weights(rule, weights, channels)
    ranks = {c: {item_id: r for r, (item_id, _) in enumerate(ranked[c], start=1)} for c in channels}
    raw = {c: dict(ranked[c]) for c in channels}
    scaled = {c: _normalised(ranked[c], normalise) for c in channels}
    floors = {c: min(scaled[c].values()) for c in channels}
    all_ids = sorted({item_id for c in channels for item_id in raw[c]})
    fused: list[FusedHit] = []
    for item_id in all_ids:
        if rule == "rrf":
            score = sum(1.0 / (rrf_k + ranks[c][item_id]) for c in channels if item_id in ranks[c])
        else:
            values = {c: scaled[c].get(item_id, floors[c]) for c in channels}
            if rule == "max":
                score = max(values.values())
            else:
                total = sum(channel_weights.values())
                score = sum(channel_weights[c] * values[c] for c in channels) / total
        fused.append(
            FusedHit(
                id=item_id,
                score=float(score),
                scores={c: raw.get(c, {}).get(item_id) for c in channel_results},
                ranks={c: ranks[c].get(item_id) if c in ranks else None for c in channel_results},
            )
        )
    fused.sort(key=lambda hit: (-hit.score, hit.id))
    return fused[:k]
