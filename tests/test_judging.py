"""The Judge/Evaluate page logic (``patimg.evaluation``): blind pools from a real searcher, progress, changes,
the Table-1 evaluation, qrels import.

The collection-backed tests share one demo collection (``patimg.demo``: made-up publications drawn by PatImg,
ingested and indexed by the ordinary pipeline) and write judgments to their own store in ``tmp_path``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from patimg.errors import BadInputError
from patimg.evaluation import (
    NOT_RELEVANT,
    RELEVANT,
    JudgmentStore,
    QuerySpec,
    build_pool,
    create_query,
    evaluate_collection,
    import_qrels_bytes,
    judging_progress,
    method_runs,
    next_unjudged,
    pool_grades,
    qrels_text,
    query_spec,
    run_text,
)
from patimg.vocabulary import METHODS, method

# ------------------------------------------------------------------------------ without a collection


def test_next_unjudged_walks_the_pool_per_annotator(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    pool = ["f1", "f2", "f3", "f4"]
    assert next_unjudged(store, "q1", pool, annotator="ann") == "f1"
    store.judge("q1", "f1", RELEVANT, annotator="ann")
    store.judge("q1", "f3", NOT_RELEVANT, annotator="ann")
    store.judge("q1", "f2", RELEVANT, annotator="bob")  # someone else's judgment does not count for ann
    assert next_unjudged(store, "q1", pool, annotator="ann") == "f2"
    # Skipping f2 moves on past it (f3 is judged), and wraps round.
    assert next_unjudged(store, "q1", pool, annotator="ann", after="f2") == "f4"
    assert next_unjudged(store, "q1", pool, annotator="ann", after="f4") == "f2"
    assert judging_progress(store, "q1", pool, annotator="ann") == (2, 4)
    assert judging_progress(store, "q1", pool, annotator="bob") == (1, 4)
    # Judgments of figures outside the pool (or of another query) are not progress on this pool.
    store.judge("q1", "elsewhere", RELEVANT, annotator="ann")
    store.judge("q2", "f4", RELEVANT, annotator="ann")
    assert judging_progress(store, "q1", pool, annotator="ann") == (2, 4)
    store.judge_many([("q1", "f2", 0), ("q1", "f4", 1)], annotator="ann")
    assert next_unjudged(store, "q1", pool, annotator="ann") is None
    assert judging_progress(store, "q1", pool, annotator="ann") == (4, 4)


def test_a_changed_judgment_replaces_the_grade_and_keeps_the_history(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    store.judge("q1", "f1", RELEVANT, annotator="ann")
    store.judge("q1", "f1", NOT_RELEVANT, annotator="ann")
    assert pool_grades(store, "q1", ["f1", "f2"], annotator="ann") == {"f1": NOT_RELEVANT, "f2": None}
    assert [h.grade for h in store.history("q1", "f1")] == [RELEVANT, NOT_RELEVANT]
    assert judging_progress(store, "q1", ["f1", "f2"], annotator="ann") == (1, 2)


def test_create_query_refuses_nothing_and_unreadable_images(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    with pytest.raises(BadInputError):
        create_query(store)
    with pytest.raises(BadInputError, match="uploaded query drawing"):
        create_query(store, image_bytes=b"not an image")
    assert store.list_queries() == []
    query_id = create_query(store, text="propeller with swept blades")
    assert query_id == create_query(store, text="  propeller with swept blades ")
    assert query_spec(store, query_id) == QuerySpec(text="propeller with swept blades")
    with pytest.raises(BadInputError, match="neither a judged query"):
        query_spec(store, "q-unknown", figure_ids={"f1"})
    assert query_spec(store, "f1", figure_ids={"f1"}) == QuerySpec(figure_id="f1")


def test_qrels_import_names_the_uploaded_file_and_line(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    good = b"q1 0 f1 1\nq1 0 f2 0\n\nq2 0 f1 1\n"
    assert import_qrels_bytes(store, good, annotator="imported", name="mine.qrels") == 3
    assert store.qrels() == {"q1": {"f1": 1, "f2": 0}, "q2": {"f1": 1}}
    with pytest.raises(BadInputError) as error:
        import_qrels_bytes(store, b"q1 0 f1 1\nq1 f2 1\n", annotator="imported", name="bad.qrels")
    assert str(error.value).startswith("bad.qrels:2:")
    with pytest.raises(BadInputError, match=r"bad\.qrels:1: .*not an integer"):
        import_qrels_bytes(store, b"q1 0 f1 yes\n", annotator="imported", name="bad.qrels")
    with pytest.raises(BadInputError, match="bin.qrels"):
        import_qrels_bytes(store, b"\xff\xfe\x00garbage", annotator="imported", name="bin.qrels")
    with pytest.raises(BadInputError, match="no qrels lines"):
        import_qrels_bytes(store, b"\n\n", annotator="imported", name="empty.qrels")
    # Nothing of a refused file was stored.
    assert store.qrels() == {"q1": {"f1": 1, "f2": 0}, "q2": {"f1": 1}}


def test_trec_texts_round_trip(tmp_path: Path) -> None:
    from patimg.evaluation import read_qrels, read_run

    qrels = {"q1": {"f2": 0, "f1": 1}}
    (tmp_path / "q.txt").write_text(qrels_text(qrels), encoding="utf-8")
    assert read_qrels(tmp_path / "q.txt") == qrels
    run = {"q1": [("f1", 0.9), ("f2", 0.5)]}
    (tmp_path / "r.txt").write_text(run_text(run, name="visual"), encoding="utf-8")
    assert read_run(tmp_path / "r.txt") == ("visual", run)


# ------------------------------------------------------------------------------ on a demo collection


@pytest.fixture(scope="module")
def demo(demo_collection):
    """``(collection, searcher)`` of the session's demo collection."""
    from patimg.collection import Collection
    from patimg.search import Searcher

    return Collection.open(demo_collection), Searcher(demo_collection)


def _query_figure(collection) -> str:
    """A figure with linked sentences (so the text channel answers too)."""
    for figure in collection.figure_records():
        if any(link.sentence_indexes for link in collection.links(figure.figure_id)):
            return figure.figure_id
    raise AssertionError("the demo collection has no figure with linked sentences")


@pytest.mark.slow
def test_pool_is_the_union_of_every_methods_top_results_in_a_blind_order(demo, tmp_path: Path) -> None:
    collection, searcher = demo
    store = JudgmentStore(tmp_path)
    searcher = copy.copy(searcher)
    searcher.audit_store = store  # the session's demo collection stays as it is
    figure_id = _query_figure(collection)
    query_id = create_query(store, figure_id=figure_id, collection=collection)
    spec = query_spec(store, query_id)
    depth = 5
    runs = method_runs(searcher, {query_id: spec}, k=depth)
    tops = {name: [doc for doc, _ in run[query_id]] for name, run in runs.items()}
    assert all(tops.values()), f"a method returned nothing: {tops}"

    pool = build_pool(searcher, spec, depth=depth, user="ann", query_id=query_id)
    union = {doc for docs in tops.values() for doc in docs}
    assert sorted(pool) == sorted(union)
    assert len(pool) == len(set(pool))
    assert figure_id not in pool  # the query is never its own result
    assert len(pool) > depth  # the methods disagree, so the pool is more than one method's list

    # Blind: the same pool whatever order the methods come in; the order belongs to the query id.
    reversed_methods = tuple(reversed(METHODS))
    assert build_pool(searcher, spec, depth=depth, methods=reversed_methods, query_id=query_id) == pool
    assert not any(pool[: len(docs)] == docs for docs in tops.values())
    other_order = build_pool(searcher, spec, depth=depth, query_id="q-another-id")
    assert sorted(other_order) == sorted(pool) and other_order != pool

    # Every search was logged under the annotator.
    log = store.search_log(query_id=query_id)
    assert sorted(entry.settings["method"] for entry in log) == sorted(m.name for m in METHODS)
    assert {entry.user for entry in log} == {"ann"}
    visual = next(entry for entry in log if entry.settings["method"] == "visual")
    assert [hit["figure_id"] for hit in visual.hits] == tops["visual"]


@pytest.mark.slow
def test_evaluation_table_agrees_with_evaluate_on_the_same_judgments(demo, tmp_path: Path) -> None:
    from patimg import evaluation
    from patimg.vocabulary import RUN_LABELS, TABLE_ROWS

    collection, searcher = demo
    store = JudgmentStore(tmp_path)
    figures = collection.figure_records()
    query_figure = _query_figure(collection)
    query_patent = collection.figure(query_figure).patent_id
    query_id = create_query(store, figure_id=query_figure, collection=collection)
    pool = build_pool(searcher, query_spec(store, query_id), depth=50, query_id=query_id)
    # Judge part of the pool: figures of the query's own patent relevant, others not; leave the rest.
    by_id = {f.figure_id: f for f in figures}
    judged_part = pool[: max(3, len(pool) // 2)]
    store.judge_many(
        [(query_id, fid, int(by_id[fid].patent_id == query_patent)) for fid in judged_part], annotator="ann"
    )
    # A second query given by figure id, as same-patent or hand-written qrels do.
    second = next(f.figure_id for f in figures if f.patent_id != query_patent)
    store.judge_many(
        [(second, f.figure_id, 1) for f in figures[:3] if f.figure_id != second], annotator="bob"
    )
    if not any(g for g in store.qrels()[query_id].values()):
        store.judge(query_id, judged_part[0], RELEVANT, annotator="ann")

    result = evaluate_collection(collection, searcher=searcher, store=store, depth=50)
    table, per_query, meta = result
    qrels = store.qrels()
    runs = method_runs(
        searcher, {query_id: query_spec(store, query_id), second: QuerySpec(figure_id=second)}, k=50
    )
    expected = evaluation.evaluate(qrels, runs, depth=50)

    assert list(table.index) == list(TABLE_ROWS)  # the paper's rows first, in its order
    for name, scores in expected.methods.items():
        label = RUN_LABELS[name]
        assert table.loc[label, "mAP (AP@50)"] == pytest.approx(scores.ap)
        for qid, ap in scores.per_query_ap.items():
            assert per_query.loc[qid, label] == pytest.approx(ap)
        assert meta["unjudged_per_method"][label] == scores.unjudged
    assert table.loc["re-ranking avg", "paper (mAP)"] == pytest.approx(0.715)
    assert table["paper (mAP)"].isna()["re-ranking rrf"]  # not in the paper
    assert meta["queries"] == 2 and meta["judged_queries"] == 2
    assert meta["unjudged_not_relevant"] == sum(s.unjudged for s in expected.methods.values()) > 0
    assert meta["judged_pool_depth"] == min(s.judged_depth for s in expected.methods.values())
    assert sorted(result.runs) == sorted(m.name for m in METHODS)

    # Judging more changes the numbers: mark every pool result relevant.
    store.judge_many([(query_id, fid, RELEVANT) for fid in pool], annotator="ann")
    after = evaluate_collection(collection, searcher=searcher, store=store, depth=50)
    assert after.meta["unjudged_not_relevant"] < meta["unjudged_not_relevant"]
    assert after.per_query.loc[query_id].tolist() != per_query.loc[query_id].tolist()


@pytest.mark.slow
def test_an_uploaded_drawing_is_a_query_with_a_pool(demo, tmp_path: Path) -> None:
    collection, searcher = demo
    store = JudgmentStore(tmp_path)
    some_figure = collection.figure_records()[0].figure_id
    image_bytes = collection.figure_image_path(some_figure).read_bytes()
    query_id = create_query(store, image_bytes=image_bytes, text="rotor blade", collection=collection)
    assert query_id == create_query(store, image_bytes=image_bytes, text="rotor blade")
    spec = query_spec(store, query_id)
    assert spec.figure_id is None and spec.text == "rotor blade"
    assert Path(spec.image_path).read_bytes() == image_bytes
    runs = method_runs(searcher, {query_id: spec}, k=5, methods=[method("visual")])
    # The upload is the collection figure itself, so the visual channel finds it first.
    assert runs["visual"][query_id][0][0] == some_figure
    # The drawing's numerals are read once for all methods, not once per method (OCR is the slow part).
    counting = copy.copy(searcher)
    counting._image_cache = {}  # the run above already cached this image; start cold
    reads = []
    counting.read_query_numerals = lambda image: reads.append(image) or searcher.read_query_numerals(image)
    two = [method(name) for name in ("visual", "fused-avg")]
    pool = build_pool(counting, spec, depth=5, methods=two, query_id=query_id)
    assert some_figure in pool and len(pool) >= 5
    assert len(reads) == 1
