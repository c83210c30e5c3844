"""Graded judging: nDCG@50, graded AP@50, P@10, judged@50, paired tests, agreement; the CLI contract of issue 13.

Reference numbers come from the maintained libraries directly: ir_measures (trec_eval) for the measures,
scikit-learn for Cohen's kappa, scipy for the paired t-test and the randomisation test, krippendorff for alpha.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from patimg.collection import Collection
from patimg.evaluation import JudgmentStore, evaluate
from patimg.evaluation.agreement import agreement, disagreements
from patimg.evaluation.significance import paired_p_value
from patimg.evaluation.store import ADJUDICATOR
from patimg.types import Figure, Patent


def _graded_case(seed: int = 7, queries: int = 12):
    rng = random.Random(seed)
    docs = [f"d{i:03d}" for i in range(80)]
    qrels = {f"q{q}": {d: rng.choice([0, 0, 1, 2, 3]) for d in rng.sample(docs, 30)} for q in range(queries)}
    runs = {
        name: {
            q: [(d, rng.random() + bias * (qrels[q].get(d, 0))) for d in rng.sample(docs, 60)] for q in qrels
        }
        for name, bias in (("text", 0.05), ("visual", 0.3), ("fused-avg", 0.6))
    }
    return qrels, runs


@pytest.mark.parametrize("relevance", [1, 2])
def test_graded_measures_equal_trec_eval(relevance: int) -> None:
    import ir_measures
    from ir_measures import AP, P, nDCG

    qrels, runs = _graded_case()
    table = evaluate(qrels, runs, depth=50, relevance=relevance)
    measures = {
        "ap": AP(rel=relevance) @ 50,
        "ndcg": nDCG @ 50,
        "p10": P(rel=relevance) @ 10,
    }
    for name, run in runs.items():
        # The same order PatImg scores (score descending, then id), as rank scores trec_eval cannot reorder.
        ranked = {q: sorted(r, key=lambda x: (-x[1], x[0]))[:50] for q, r in run.items()}
        scored = {q: {d: float(50 - i) for i, (d, _) in enumerate(r)} for q, r in ranked.items()}
        queries = [q for q in qrels if any(g >= relevance for g in qrels[q].values())]
        expected = {m: {} for m in measures}
        for metric in ir_measures.iter_calc(list(measures.values()), {q: qrels[q] for q in queries}, scored):
            key = next(k for k, m in measures.items() if m == metric.measure)
            expected[key][metric.query_id] = metric.value
        scores = table.methods[name]
        assert scores.per_query_ndcg == pytest.approx(expected["ndcg"])
        assert scores.per_query_ap == pytest.approx(expected["ap"])
        assert scores.ndcg == pytest.approx(sum(expected["ndcg"].values()) / len(queries))
        assert scores.p_at_10 == pytest.approx(sum(expected["p10"].values()) / len(queries))
        judged = [sum(d in qrels[q] for d, _ in ranked[q]) / 50 for q in queries]
        assert scores.judged == pytest.approx(sum(judged) / len(queries))
    assert table.methods["fused-avg"].ndcg > table.methods["text"].ndcg  # the grades reach the ranking


def test_paired_tests_equal_scipy() -> None:
    import numpy as np
    from scipy import stats

    qrels, runs = _graded_case()
    table = evaluate(qrels, runs, depth=50)
    comparisons = {(c.a, c.b): c for c in table.comparisons()}
    a = [table.methods["text"].per_query_ap[q] for q in table.queries]
    b = [table.methods["fused-avg"].per_query_ap[q] for q in table.queries]
    assert comparisons[("text", "fused-avg")].p_value == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert comparisons[("text", "fused-avg")].queries == len(table.queries) == 12
    reference = stats.permutation_test(
        (np.array(a), np.array(b)), lambda u, v: np.mean(u - v), permutation_type="samples", n_resamples=20000
    ).pvalue
    assert paired_p_value(a, b, test="randomization") == pytest.approx(reference, abs=0.01)
    assert paired_p_value(a, a) is None  # identical lists: nothing to test
    payload = table.to_dict(test="randomization")
    assert {c["test"] for c in payload["comparisons"]} == {"randomization"}
    assert len(payload["comparisons"]) == 3 and "nDCG@50" in payload["runs"]["text"]


def _store_with_two_annotators(tmp_path: Path) -> JudgmentStore:
    store = JudgmentStore(tmp_path)
    rng = random.Random(3)
    items = [(f"q{q}", f"f{f}") for q in range(4) for f in range(10)]
    ann = {item: rng.choice([0, 1, 2, 3]) for item in items}
    bob = {item: grade if rng.random() < 0.7 else rng.choice([0, 1, 2, 3]) for item, grade in ann.items()}
    store.judge_many([(q, f, g) for (q, f), g in ann.items()], annotator="ann")
    store.judge_many([(q, f, g) for (q, f), g in list(bob.items())[:30]], annotator="bob")  # bob judged 30
    store.judge_many([("q0", "f0", 2), ("q0", "f1", 2)], annotator="cy")
    return store


def test_agreement_equals_scikit_learn_and_krippendorff(tmp_path: Path) -> None:
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    store = _store_with_two_annotators(tmp_path)
    grades = {}
    for j in store.judgments():
        grades.setdefault(j.annotator, {})[(j.query_id, j.figure_id)] = j.grade
    result = agreement(store)
    pair = next(p for p in result.pairs if (p["a"], p["b"]) == ("ann", "bob"))
    shared = sorted(grades["ann"].keys() & grades["bob"].keys())
    assert pair["n"] == 30
    expected = cohen_kappa_score([grades["ann"][k] for k in shared], [grades["bob"][k] for k in shared])
    assert pair["cohen_kappa"] == pytest.approx(expected)
    items = sorted({k for g in grades.values() for k in g})
    data = np.array([[grades[a].get(k, np.nan) for k in items] for a in sorted(grades)], dtype=float)
    data = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    alpha = krippendorff.alpha(
        reliability_data=data, level_of_measurement="ordinal", value_domain=[0, 1, 2, 3]
    )
    assert result.krippendorff_alpha == pytest.approx(alpha)

    # Adjudication: a final grade settles a disagreement, and the adjudicated qrels use it.
    item = disagreements(store)[0]
    store.judge(item["query_id"], item["figure_id"], 3, annotator=ADJUDICATOR)
    assert (
        next(
            d
            for d in disagreements(store)
            if d["figure_id"] == item["figure_id"] and d["query_id"] == item["query_id"]
        )["final"]
        == 3
    )
    assert store.qrels(aggregate="adjudicated")[item["query_id"]][item["figure_id"]] == 3
    assert agreement(store).annotators == ["ann", "bob", "cy"]  # the adjudicator is not an annotator


def _collection_with_figures(path: Path) -> Collection:
    collection = Collection.create(path)
    figures = [
        Figure(figure_id=f"f{i}", patent_id="US1B2", caption=f"FIG. {i}", image=f"figures/f{i}.png")
        for i in range(10)
    ]
    collection.write_publication(
        source_key="k1",
        source="test",
        source_kind="uspto",
        patent=Patent(patent_id="US1B2", office="US"),
        sentences=[],
        figure_descriptions={},
        figures=figures,
        labels={},
        links=[],
    )
    return collection


def test_cli_judgments_import_export_and_agreement(tmp_path: Path, capsys) -> None:
    from patimg.cli import main

    collection = _collection_with_figures(tmp_path / "c")
    qrels = tmp_path / "ann.qrels"
    qrels.write_text("f0 0 f1 3\nf0 0 f2 0\nf0 0 f3 2\nf1 0 f2 1\n", encoding="utf-8")
    c = ["--collection", str(collection.path)]
    assert main(["judgments", "import", str(qrels), "--annotator", "ann", *c, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 4, "annotator": "ann"}
    (tmp_path / "bob.qrels").write_text("f0 0 f1 3\nf0 0 f2 1\nf0 0 f3 2\n", encoding="utf-8")
    assert main(["judgments", "import", str(tmp_path / "bob.qrels"), "--annotator", "bob", *c]) == 0
    capsys.readouterr()
    assert main(["judgments", "export", "--annotator", "ann", *c]) == 0
    assert capsys.readouterr().out == qrels.read_text(encoding="utf-8")  # round trip, in the same order
    assert main(["agreement", *c, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["pairs"] == [
        {"a": "ann", "b": "bob", "n": 3, "cohen_kappa": pytest.approx(result["pairs"][0]["cohen_kappa"])}
    ]
    assert set(result) >= {"pairs", "krippendorff_alpha"}
    # A grade out of range, or an unknown figure, is one message naming the line; nothing is stored.
    (tmp_path / "bad.qrels").write_text("f0 0 f9 1\nf0 0 nope 1\n", encoding="utf-8")
    assert main(["judgments", "import", str(tmp_path / "bad.qrels"), "--annotator", "cy", *c]) == 2
    assert "bad.qrels:2" in capsys.readouterr().err
    assert "cy" not in {j.annotator for j in JudgmentStore(collection.path / "judgments.sqlite").judgments()}


def test_cli_eval_of_trec_files_has_ndcg_and_comparisons(tmp_path: Path, capsys) -> None:
    from patimg.cli import main
    from patimg.evaluation import write_qrels, write_run

    qrels, runs = _graded_case()
    write_qrels(qrels, tmp_path / "q.txt")
    for name, run in runs.items():
        write_run(run, tmp_path / f"{name}.run", name=name)
    argv = [
        "eval",
        "--qrels",
        str(tmp_path / "q.txt"),
        "--run",
        *[str(tmp_path / f"{n}.run") for n in runs],
        "--json",
    ]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["runs"]["visual"]) >= {"AP@50", "nDCG@50", "P@10", "judged@50"}
    assert {(c["a"], c["b"]) for c in payload["comparisons"]} == {
        ("text", "visual"),
        ("text", "fused-avg"),
        ("visual", "fused-avg"),
    }
    assert all(
        set(c) >= {"a", "b", "measure", "test", "p_value"} and c["test"] == "paired t-test"
        for c in payload["comparisons"]
    )
