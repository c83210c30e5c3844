"""Is one method really better than another? A paired test on per-query AP@50, with scipy's code.

With 20 queries, as in the paper, 0.703 against 0.715 is very likely chance: each pair of methods is tested on
the per-query AP of the same queries, by scipy's paired t-test (``scipy.stats.ttest_rel``) or a paired
randomisation test (``scipy.stats.permutation_test``, signs of the per-query differences flipped, 10,000
resamples, seeded). A pair whose per-query scores are all equal has no p-value (``None``): the test has nothing
to say about identical lists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from patimg.evaluation.metrics import EvaluationTable

Test = Literal["paired t-test", "randomization"]
TESTS: tuple[str, ...] = get_args(Test)
#: Resamples of the randomisation test (its p-value is exact to about +-0.005 at p = 0.05).
RESAMPLES = 10_000


@dataclass(frozen=True)
class Comparison:
    """Method ``a`` against method ``b`` on one measure.

    Attributes:
        a, b: Run names.
        measure: ``"AP@50"``.
        test: ``"paired t-test"`` or ``"randomization"``.
        p_value: Two-sided p-value, or ``None`` when the per-query scores are identical.
        difference: Mean of ``a`` minus mean of ``b``.
        queries: Number of paired queries.
    """

    a: str
    b: str
    measure: str
    test: str
    p_value: float | None
    difference: float
    queries: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_p_value(a: list[float], b: list[float], *, test: Test = "paired t-test") -> float | None:
    """Two-sided p-value of the paired difference between ``a`` and ``b`` (same queries, same order)."""
    import numpy as np
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, got {test!r}")
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or np.allclose(x, y):
        return None
    if test == "paired t-test":
        p = float(stats.ttest_rel(x, y).pvalue)
    else:
        result = stats.permutation_test(
            (x, y),
            lambda u, v: np.mean(u - v),
            permutation_type="samples",
            n_resamples=RESAMPLES,
            alternative="two-sided",
            rng=np.random.default_rng(0),
        )
        p = float(result.pvalue)
    return None if np.isnan(p) else p


def compare_methods(table: EvaluationTable, *, test: Test = "paired t-test") -> list[Comparison]:
    """Every pair of the table's methods, on per-query AP@depth over the table's evaluated queries."""
    out = []
    for (name_a, a), (name_b, b) in combinations(table.methods.items(), 2):
        x = [a.per_query_ap[q] for q in table.queries]
        y = [b.per_query_ap[q] for q in table.queries]
        out.append(
            Comparison(
                a=name_a,
                b=name_b,
                measure=table.measure,
                test=test,
                p_value=paired_p_value(x, y, test=test),
                difference=a.ap - b.ap,
                queries=len(table.queries),
            )
        )
    return out
