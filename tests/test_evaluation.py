"""AP@50 (trec_eval map_cut.50), pooling and TREC files.

Reference numbers come from two sources independent of ``patimg.evaluation``'s code path: a direct
``pytrec_eval`` call (trec_eval's C code) on the raw scores, and ``reference_ap`` below, written from the
definition (precision at each relevant rank within the cutoff, divided by all relevant documents).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from patimg.errors import BadInputError
from patimg.evaluation import (
    evaluate,
    evaluate_trec_files,
    pool,
    ranked,
    read_qrels,
    read_run,
    write_qrels,
    write_run,
)


def reference_ap(ranking: list[str], relevant: set[str], depth: int = 50) -> float:
    """AP@depth from the definition: sum of precision at relevant ranks <= depth, over |relevant|."""
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranking[:depth], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def test_pin_relevant_at_ranks_1_and_3_of_4_relevant() -> None:
    run = [(f"d{i:02d}", 100.0 - i) for i in range(1, 51)]
    qrels = {"q1": {"d01": 1, "d03": 1, "x-missing-1": 1, "x-missing-2": 1, "d02": 0}}
    table = evaluate(qrels, {"m": {"q1": run}})
    assert table.methods["m"].per_query_ap["q1"] == pytest.approx((1 / 1 + 2 / 3) / 4)
    assert table.methods["m"].per_query_ap["q1"] == pytest.approx(0.41667, abs=1e-5)
    assert table.methods["m"].p_at_1 == 1.0
    # d02 judged, d01/d03 judged, the other 47 retrieved results are unjudged (counted not relevant).
    assert table.methods["m"].unjudged == 47
    assert table.methods["m"].judged_depth == 3


def test_relevant_after_rank_50_does_not_count() -> None:
    run = [(f"d{i:03d}", 1000.0 - i) for i in range(1, 101)]
    qrels = {"q": {"d001": 1, "d051": 1}}
    ap = evaluate(qrels, {"m": {"q": run}}).methods["m"].per_query_ap["q"]
    assert ap == pytest.approx(0.5)  # 1/1 at rank 1; rank 51 is past the cut; 2 relevant in all


def _random_case(seed: int, *, n_queries: int = 12, n_docs: int = 120) -> tuple[dict, dict]:
    rng = random.Random(seed)
    qrels, runs = {}, {"a": {}, "b": {}}
    for q in range(n_queries):
        qid = f"q{q:03d}"
        docs = [f"D{rng.randrange(10_000):05d}" for _ in range(n_docs)]
        docs = list(dict.fromkeys(docs))
        qrels[qid] = {doc: rng.choice([0, 0, 1, 2]) for doc in rng.sample(docs, 40)}
        qrels[qid]["never-retrieved"] = 1
        for name in runs:
            runs[name][qid] = [(doc, rng.random()) for doc in rng.sample(docs, 80)]
    return qrels, runs


def test_agrees_with_pytrec_eval_map_cut_50_and_definition() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    qrels, runs = _random_case(7)
    table = evaluate(qrels, runs)
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"map_cut.50"})
    for name, run in runs.items():
        direct = evaluator.evaluate({qid: dict(results) for qid, results in run.items()})
        for qid, results in run.items():
            relevant = {doc for doc, grade in qrels[qid].items() if grade >= 1}
            ranking = [doc for doc, _ in sorted(results, key=lambda item: -item[1])]
            ours = table.methods[name].per_query_ap[qid]
            assert ours == pytest.approx(direct[qid]["map_cut_50"], abs=1e-12)
            assert ours == pytest.approx(reference_ap(ranking, relevant), abs=1e-12)
        mean_direct = sum(direct[q]["map_cut_50"] for q in direct) / len(direct)
        assert table.methods[name].ap == pytest.approx(mean_direct, abs=1e-12)
        assert table.to_dict()["runs"][name]["AP@50"] == table.methods[name].ap


def test_ties_broken_by_score_then_document_id_ascending() -> None:
    # All scores equal: PatImg's order is d1 < d2 < d3 (trec_eval alone would read d3 first).
    run = {"q": [("d3", 0.5), ("d1", 0.5), ("d2", 0.5)]}
    qrels = {"q": {"d1": 1, "d3": 1}}
    ap = evaluate(qrels, {"m": run}).methods["m"].per_query_ap["q"]
    assert ap == pytest.approx(reference_ap(["d1", "d2", "d3"], {"d1", "d3"}))
    assert ap == pytest.approx((1 + 2 / 3) / 2)
    assert ranked([("b", 1.0), ("a", 1.0), ("c", 2.0)]) == [("c", 2.0), ("a", 1.0), ("b", 1.0)]


def test_query_coverage_rules() -> None:
    qrels = {"has-rel": {"x": 1}, "no-rel": {"y": 0}, "other": {"z": 1}}
    runs = {"m": {"has-rel": [("x", 1.0)], "no-rel": [("y", 1.0)], "not-in-qrels": [("x", 1.0)]}}
    table = evaluate(qrels, runs)
    scores = table.methods["m"]
    assert table.queries == ("has-rel", "other")
    assert table.queries_without_relevant == ("no-rel",)
    assert table.unjudged_run_queries == ("not-in-qrels",)
    assert scores.per_query_ap == {"has-rel": 1.0, "other": 0.0}  # a query the run missed scores 0
    assert scores.missing_queries == ("other",)
    assert scores.ap == pytest.approx(0.5)


def test_duplicate_document_in_a_run_is_refused() -> None:
    with pytest.raises(BadInputError, match="twice"):
        evaluate({"q": {"a": 1}}, {"m": {"q": [("a", 1.0), ("a", 0.5)]}})


def test_dataframe_has_the_papers_rows_in_order() -> None:
    qrels = {"q": {"a": 1}}
    runs = {name: {"q": [("a", 1.0)]} for name in ["fused-avg", "visual", "mine", "text", "fused-max"]}
    frame = evaluate(qrels, runs).to_dataframe()
    assert list(frame.index) == ["textual", "visual", "re-ranking max", "re-ranking avg", "mine"]
    assert "mAP (AP@50)" in frame.columns


# ------------------------------------------------------------------------------------------- pooling


def test_pool_is_union_of_top_depth() -> None:
    runs = {"text": ["a", "b", "c", "d"], "visual": ["c", "e", "f", "g"]}
    assert sorted(pool(runs, depth=2, seed="q1")) == ["a", "b", "c", "e"]
    assert sorted(pool(runs, depth=10, seed="q1")) == ["a", "b", "c", "d", "e", "f", "g"]
    with pytest.raises(ValueError):
        pool(runs, depth=0)


def test_pool_order_hides_methods_and_is_deterministic() -> None:
    text = [f"t{i}" for i in range(60)]
    visual = [f"v{i}" for i in range(60)]
    first = pool({"text": text, "visual": visual}, depth=50, seed="q0001")
    assert len(first) == 100
    assert pool({"visual": visual, "text": text}, depth=50, seed="q0001") == first
    assert pool({"a": text, "b": visual}, depth=50, seed="q0001") == first
    assert first != sorted(first)  # shuffled, not grouped by method
    assert pool({"text": text, "visual": visual}, depth=50, seed="q0002") != first


# ------------------------------------------------------------------------------------------ TREC I/O


def test_trec_round_trip(tmp_path: Path) -> None:
    qrels, runs = _random_case(3, n_queries=4)
    write_qrels(qrels, tmp_path / "qrels.txt")
    assert read_qrels(tmp_path / "qrels.txt") == qrels
    write_run(runs["a"], tmp_path / "a.run", name="runA")
    name, back = read_run(tmp_path / "a.run")
    assert name == "runA"
    assert back == {qid: ranked(results) for qid, results in runs["a"].items()}
    first = (tmp_path / "a.run").read_text().splitlines()[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5] == "runA"


def test_evaluate_trec_files_matches_in_memory(tmp_path: Path) -> None:
    qrels, runs = _random_case(11, n_queries=5)
    write_qrels(qrels, tmp_path / "qrels")
    write_run(runs["a"], tmp_path / "one.run", name="same")
    write_run(runs["b"], tmp_path / "two.run", name="same")
    payload = evaluate_trec_files(tmp_path / "qrels", [tmp_path / "one.run", tmp_path / "two.run"])
    expected = evaluate(qrels, runs).to_dict()["runs"]
    assert set(payload["runs"]) == {"same", "two"}  # second tag clash renamed by file stem
    assert payload["runs"]["same"]["per_query"] == pytest.approx(expected["a"]["per_query"])
    assert payload["runs"]["two"]["AP@50"] == pytest.approx(expected["b"]["AP@50"])
    assert payload["meta"]["trec_eval"] == "map_cut.50"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("q1 0 d1 1\nq1 0 d2\n", 2, "4 fields"),
        ("q1 0 d1 1\n\nq1 0 d2 yes\n", 3, "not an integer"),
        ("q1 0 d1 1\nq1 0 d1 0\n", 2, "line 1"),
    ],
)
def test_bad_qrels_line_names_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.qrels"
    path.write_text(text)
    with pytest.raises(BadInputError, match=problem) as error:
        read_qrels(path)
    assert error.value.source == f"{path}:{line}"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("q1 Q0 d1 1 0.5 r\nq1 Q0 d2 2 0.4\n", 2, "6 fields"),
        ("q1 Q0 d1 1 high r\n", 1, "not a number"),
        ("q1 Q0 d1 1 0.5 r\nq1 Q0 d1 2 0.4 r\n", 2, "twice"),
        ("q1 Q0 d1 1 0.5 r\nq1 Q0 d2 2 0.4 s\n", 2, "differs"),
        ("q1 Q0 d1 1 nan r\n", 1, "finite"),
    ],
)
def test_bad_run_line_names_file_and_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.run"
    path.write_text(text)
    with pytest.raises(BadInputError, match=problem) as error:
        read_run(path)
    assert error.value.source == f"{path}:{line}"


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        read_qrels(tmp_path / "absent.qrels")


def test_ids_with_whitespace_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="whitespace"):
        write_qrels({"q 1": {"d": 1}}, tmp_path / "q")
    with pytest.raises(BadInputError, match="whitespace"):
        write_run({"q": [("d", 1.0)]}, tmp_path / "r", name="my run")


# ------------------------------------------------------------------------------------------ real data


def _thumbnail(path: Path) -> list[float]:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("L").resize((24, 24), Image.Resampling.BOX)
        values = [255.0 - v for v in small.getdata()]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


def test_real_design_sheets_same_patent_rule(shared_data: Path) -> None:
    """Design patents: query = first sheet, relevant = the patent's other sheets (the DeepPatent rule);
    a thumbnail-cosine method is scored identically by PatImg, pytrec_eval and the definition."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    sheets = sorted(
        p for p in (shared_data / "patents" / "us-design").glob("*/*.TIF") if not p.stem.endswith("D00000")
    )
    assert len(sheets) > 100
    vectors = {p.stem: _thumbnail(p) for p in sheets}
    by_patent: dict[str, list[str]] = {}
    for stem in vectors:
        by_patent.setdefault(stem.rsplit("-", 1)[0], []).append(stem)
    qrels, run = {}, {}
    for docs in by_patent.values():
        query, others = docs[0], docs[1:]
        qrels[query] = dict.fromkeys(others, 1)
        scores = [
            (d, sum(a * b for a, b in zip(vectors[query], vectors[d], strict=True)))
            for d in vectors
            if d != query
        ]
        run[query] = scores
    table = evaluate(qrels, {"thumbnail": run})
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"map_cut.50"}).evaluate(
        {q: dict(results) for q, results in run.items()}
    )
    scores = table.methods["thumbnail"]
    single_sheet = sorted(docs[0] for docs in by_patent.values() if len(docs) == 1)
    assert single_sheet  # some designs have one sheet: no relevant document, so no AP
    assert table.queries_without_relevant == tuple(single_sheet)
    assert scores.queries == len(by_patent) - len(single_sheet)
    for qid, results in run.items():
        if qid in single_sheet:
            assert qid not in scores.per_query_ap
            continue
        ranking = [doc for doc, _ in ranked(results)]
        assert scores.per_query_ap[qid] == pytest.approx(reference_ap(ranking, set(qrels[qid])), abs=1e-12)
        assert scores.per_query_ap[qid] == pytest.approx(direct[qid]["map_cut_50"], abs=1e-12)
    # Views of one design look alike: the method must beat a random ranking's expected AP by far.
    random_ap = sum(len(qrels[q]) / len(vectors) for q in qrels) / len(qrels)
    assert scores.ap > 2 * random_ap
