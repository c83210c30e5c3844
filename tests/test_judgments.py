"""The judgment store: concurrent annotators, history, qrels aggregation, TREC import/export, audit log."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from patimg.errors import BadInputError
from patimg.evaluation import read_qrels
from patimg.evaluation.store import JudgmentStore
from patimg.types import Hit

N_PER_WRITER = 40
REPO = Path(__file__).resolve().parents[1]


def _write_judgments(folder: str, annotator: str, count: int) -> None:
    store = JudgmentStore(folder)
    for i in range(count):
        # One short transaction per judgment, as the Judge page does it: maximal lock contention. Graded, with
        # tags and a note, as annotators judge now.
        tags = ("visual", "part") if i % 2 else ()
        store.judge(
            f"q{i % 5}", f"{annotator}-fig{i}", i % 4, annotator=annotator, tags=tags, note=f"note {i}"
        )


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    JudgmentStore(tmp_path)  # create the schema once, as opening a collection does
    # Separate interpreters, as separate app servers or scripts would be (multiprocessing's spawn would
    # re-import whatever __main__ an earlier test left behind).
    script = "import sys; from tests.test_judgments import _write_judgments as w; w(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), f"ann{k}", str(N_PER_WRITER)], cwd=REPO
        )
        for k in range(4)
    ]
    for process in writers:
        assert process.wait(timeout=300) == 0
    store = JudgmentStore(tmp_path)
    judgments = store.judgments()
    assert len(judgments) == 4 * N_PER_WRITER
    assert {(j.annotator, j.figure_id) for j in judgments} == {
        (f"ann{k}", f"ann{k}-fig{i}") for k in range(4) for i in range(N_PER_WRITER)
    }
    assert {(j.figure_id, j.grade, j.tags, j.note) for j in judgments} == {
        (f"ann{k}-fig{i}", i % 4, ("visual", "part") if i % 2 else (), f"note {i}")
        for k in range(4)
        for i in range(N_PER_WRITER)
    }
    with sqlite3.connect(tmp_path / "judgments.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT COUNT(*) FROM judgment_history").fetchone()[0] == 4 * N_PER_WRITER


def test_concurrent_threads_lose_nothing(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    errors: list[BaseException] = []

    def work(annotator: str) -> None:
        try:
            _write_judgments(str(tmp_path), annotator, N_PER_WRITER)
            store.log_search(user=annotator, query={"text": "rotor"}, settings={"k": 50}, hits=["a", "b"])
        except BaseException as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"t{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.judgments()) == 4 * N_PER_WRITER
    assert len(store.search_log()) == 4


def test_history_keeps_every_change(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    qid = store.add_query(figure_id="US12448249B2-D00001-f1")
    store.judge(qid, "EP1667425A1-imgf0001-f1", 1, annotator="alice")
    store.judge(qid, "EP1667425A1-imgf0001-f1", 0, annotator="alice")
    store.judge(qid, "EP1667425A1-imgf0001-f1", 2, annotator="bob")
    current = store.judgments(qid)
    assert [(j.annotator, j.grade) for j in current] == [("alice", 0), ("bob", 2)]
    history = store.history(qid, "EP1667425A1-imgf0001-f1")
    assert [(j.annotator, j.grade) for j in history] == [("alice", 1), ("alice", 0), ("bob", 2)]
    assert [j.time for j in history] == sorted(j.time for j in history)
    with sqlite3.connect(store.db_path) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE judgment_history SET grade = 5")
    with sqlite3.connect(store.db_path) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM judgment_history")


def test_qrels_aggregation(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    for annotator, grades in {"a": (1, 0, 1), "b": (0, 0, 1), "c": (1, 1, 0)}.items():
        for figure, grade in zip(("f1", "f2", "f3"), grades, strict=True):
            store.judge("q1", figure, grade, annotator=annotator)
    store.judge("q1", "f4", 1, annotator="a")
    store.judge("q1", "f4", 0, annotator="b")  # a 1:1 split is no majority for relevance
    assert store.qrels() == {"q1": {"f1": 1, "f2": 1, "f3": 1, "f4": 1}}
    assert store.qrels(aggregate="majority") == {"q1": {"f1": 1, "f2": 0, "f3": 1, "f4": 0}}
    assert store.qrels(annotator="b") == {"q1": {"f1": 0, "f2": 0, "f3": 1, "f4": 0}}
    with pytest.raises(BadInputError, match="aggregate"):
        store.qrels(aggregate="mean")


def test_import_and_export_qrels(tmp_path: Path) -> None:
    source = tmp_path / "external.qrels"
    source.write_text("101 0 EP1667425A1-imgf0001-f1 1\n101 0 EP1667425A1-imgf0002-f1 0\n\n102 0 X 2\n")
    store = JudgmentStore(tmp_path / "collection")
    assert store.import_qrels(source, annotator="trec") == 3
    assert store.qrels(annotator="trec") == read_qrels(source)
    assert store.get_query("101") is None  # imported qids need no query record
    exported = tmp_path / "out.qrels"
    assert store.export_qrels(exported) == 3
    assert read_qrels(exported) == read_qrels(source)


def test_import_bad_qrels_line_names_the_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.qrels"
    source.write_text("1 0 a 1\n1 0 b one\n")
    store = JudgmentStore(tmp_path)
    with pytest.raises(BadInputError) as error:
        store.import_qrels(source, annotator="x")
    assert error.value.source == f"{source}:2"
    assert store.judgments() == []  # nothing half-imported


def test_judge_validates_input(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path)
    for bad in (-1, 1.5, "1", True):
        with pytest.raises(BadInputError, match="grade"):
            store.judge("q1", "f1", bad, annotator="a")  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="whitespace"):
        store.judge("q 1", "f1", 1, annotator="a")
    with pytest.raises(BadInputError, match="annotator"):
        store.judge("q1", "f1", 1, annotator="")
    assert store.judgments() == []


def test_queries_get_stable_trec_ids(tmp_path: Path, shared_data: Path) -> None:
    store = JudgmentStore(tmp_path)
    image = next((shared_data / "patents" / "us-design").glob("*/*-D00001.TIF"))
    by_figure = store.add_query(figure_id="USD0907293S1-D00001-f1")
    by_image = store.add_query(image=image, text="chair")
    by_text = store.add_query(text="propeller hub with blades")
    ids = [by_figure, by_image, by_text]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"q[0-9a-f]{12}", qid) for qid in ids)
    assert store.add_query(figure_id="USD0907293S1-D00001-f1") == by_figure  # idempotent
    assert store.add_query(image=image.read_bytes(), text="chair") == by_image  # same bytes, same query
    assert JudgmentStore(tmp_path).add_query(text="propeller hub with blades") == by_text
    stored = store.get_query(by_image)
    assert stored is not None and stored.kind == "image" and stored.text == "chair"
    assert stored.image_sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
    assert Path(stored.image_path).read_bytes() == image.read_bytes()
    assert [q.kind for q in store.list_queries()] == ["figure", "image", "text"]
    with pytest.raises(BadInputError, match="needs"):
        store.add_query()
    with pytest.raises(BadInputError, match="not both"):
        store.add_query(figure_id="f", image=image)


def test_search_log_is_an_audit_trail(tmp_path: Path) -> None:
    store = JudgmentStore(tmp_path / "judgments.sqlite")
    hits = [Hit("F1", "P1", "FIG. 1", 0.9, {"visual": 0.9, "text": None}, {"visual": 1, "text": None}, 1)]
    first = store.log_search(
        user="alice", query={"figure_id": "F0"}, settings={"channel": "fused"}, hits=hits
    )
    second = store.log_search(user="bob", query={"text": "hub"}, settings={"k": 5}, hits=[], query_id="q1")
    assert second > first
    entries = store.search_log()
    assert [e.user for e in entries] == ["bob", "alice"]  # newest first
    assert entries[1].hits[0]["figure_id"] == "F1" and entries[1].hits[0]["scores"]["text"] is None
    assert entries[1].settings == {"channel": "fused"}
    assert [e.entry_id for e in store.search_log(query_id="q1")] == [second]
    assert len(store.search_log(user="alice", limit=1)) == 1
