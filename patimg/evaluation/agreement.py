"""How far annotators agree, on the results two (or more) of them both judged.

Cohen's kappa per pair of annotators (scikit-learn's ``cohen_kappa_score``, grades as categories) on the
(query, figure) pairs both judged; Krippendorff's alpha, ordinal, over every annotator and every judged pair
(the ``krippendorff`` package; missing judgments are allowed). Judgments made by adjudication
(:data:`patimg.evaluation.store.ADJUDICATOR`) are a decision, not an opinion, and are left out. A statistic
that cannot be computed (no shared item, or every grade the same, where chance agreement is total) is ``None``.
Disagreements list the pairs annotators graded differently, for the adjudication view.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from patimg.evaluation.store import ADJUDICATOR

#: The grade scale, for the ordinal alpha.
GRADES = (0, 1, 2, 3)


@dataclass(frozen=True)
class Agreement:
    """Pairs of annotators with their kappa, and alpha over all of them.

    Attributes:
        pairs: ``{"a", "b", "n", "cohen_kappa"}`` per pair of annotators (``n``: items both judged).
        krippendorff_alpha: Ordinal alpha over all annotators, or ``None``.
        annotators: Who judged.
    """

    pairs: list[dict[str, Any]]
    krippendorff_alpha: float | None
    annotators: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: ``{"pairs": [{"a", "b", "n", "cohen_kappa"}], "krippendorff_alpha": ...}``."""
        return {
            "pairs": self.pairs,
            "krippendorff_alpha": self.krippendorff_alpha,
            "annotators": self.annotators,
        }


def _grades_by_annotator(store) -> dict[str, dict[tuple[str, str], int]]:
    out: dict[str, dict[tuple[str, str], int]] = {}
    for judgment in store.judgments():
        if judgment.annotator != ADJUDICATOR:
            out.setdefault(judgment.annotator, {})[(judgment.query_id, judgment.figure_id)] = judgment.grade
    return out


def _finite(value: float) -> float | None:
    import math

    return None if value is None or math.isnan(value) else float(value)


def agreement(store) -> Agreement:
    """Kappa per pair and ordinal alpha over all annotators of a :class:`~patimg.evaluation.store.JudgmentStore`."""
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    grades = _grades_by_annotator(store)
    annotators = sorted(grades)
    pairs = []
    for a, b in combinations(annotators, 2):
        shared = sorted(grades[a].keys() & grades[b].keys())
        kappa = None
        if shared:
            x, y = [grades[a][k] for k in shared], [grades[b][k] for k in shared]
            if len(set(x) | set(y)) > 1:
                kappa = _finite(cohen_kappa_score(x, y))
        pairs.append({"a": a, "b": b, "n": len(shared), "cohen_kappa": kappa})
    items = sorted({k for judged in grades.values() for k in judged})
    alpha = None
    if len(annotators) >= 2 and items:
        data = np.array([[grades[a].get(k, np.nan) for k in items] for a in annotators], dtype=float)
        paired = (~np.isnan(data)).sum(axis=0) >= 2
        values = set(data[~np.isnan(data)].tolist())
        if paired.any() and len(values) > 1:
            import krippendorff

            alpha = _finite(
                krippendorff.alpha(
                    reliability_data=data[:, paired],
                    level_of_measurement="ordinal",
                    value_domain=list(GRADES),
                )
            )
    return Agreement(pairs=pairs, krippendorff_alpha=alpha, annotators=annotators)


def disagreements(store) -> list[dict[str, Any]]:
    """Every (query, figure) graded differently by two annotators: ``{"query_id", "figure_id", "grades": {who:
    grade}, "final": adjudicated grade or None}``, for the adjudication view."""
    grades = _grades_by_annotator(store)
    final = {(j.query_id, j.figure_id): j.grade for j in store.judgments(annotator=ADJUDICATOR)}
    by_item: dict[tuple[str, str], dict[str, int]] = {}
    for who, judged in grades.items():
        for item, grade in judged.items():
            by_item.setdefault(item, {})[who] = grade
    return [
        {"query_id": q, "figure_id": f, "grades": dict(sorted(g.items())), "final": final.get((q, f))}
        for (q, f), g in sorted(by_item.items())
        if len(set(g.values())) > 1
    ]
