"""A figure's text (issue 12, item 7): its linked sentences, else its own brief description and the title; an
index built under the old rule is rebuilt by `patimg index`, never mixed with query vectors of the new one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patimg.collection import Collection
from patimg.figure_text import CURRENT_RULE, LEGACY_RULE, figure_text_sentences, publication_title
from patimg.indexing import build_indexes, stored_vectors
from patimg.search import Searcher
from patimg.types import Figure, Patent, Sentence, SignLink
from tests.drawings import random_line_drawing
from tests.realdata import shared_data_path

CHAIR_VIEW = "FIG. 2 is a side view of the chair."


def test_linked_sentences_win_and_the_rest_is_the_fallback():
    linked = ["The seat 102 rests on legs 106a."]
    both = {"descriptions": [CHAIR_VIEW], "title": "Chair"}
    assert figure_text_sentences(linked=linked, **both) == linked  # the paper's rule where signs link
    assert figure_text_sentences(linked=[], **both) == [CHAIR_VIEW, "Chair"]
    assert figure_text_sentences(linked=[" ", ""], descriptions=["Chair", "Chair"], title="Chair") == [
        "Chair"
    ]
    assert figure_text_sentences(linked=[], **both, rule=LEGACY_RULE) == []
    assert figure_text_sentences(linked=[]) == []
    assert publication_title(Patent("FOLDER-chairs", title="chairs")) == ""  # a folder's name is no title
    assert publication_title(Patent("USD1S1", office="US", title="Chair")) == "Chair"


def _add(
    collection: Collection, pid: str, title: str, caption: str, description: str, *, linked: bool
) -> None:
    """A publication of one figure; its sign ``104`` links to its one sentence when ``linked``."""
    figure_id = f"{pid}-D00001-f1"
    (collection.path / "figures").mkdir(exist_ok=True)
    random_line_drawing(len(pid) + sum(map(ord, pid))).save(collection.path / f"figures/{figure_id}.png")
    number = caption.removeprefix("FIG. ")
    collection.write_publication(
        source_key=pid,
        source="test",
        source_kind="uspto",
        patent=Patent(patent_id=pid, office="US", title=title),
        sentences=[Sentence(pid, 0, f"The blade 104 of the {title.lower()} turns.")] if linked else [],
        figure_descriptions={number: description},
        figures=[
            Figure(figure_id, pid, caption=caption, figure_num=number, image=f"figures/{figure_id}.png")
        ],
        labels={},
        links=[SignLink(figure_id, "104", sentence_indexes=(0,) if linked else ())],
    )


def _chair_collection(path: Path) -> Collection:
    """A chair design (no linked sign) and a utility fan whose one figure's sign links."""
    collection = Collection.create(path)
    _add(collection, "USD1S1", "Chair", "FIG. 2", CHAIR_VIEW, linked=False)
    _add(collection, "US2B2", "Ceiling fan", "FIG. 1", "FIG. 1 shows the fan.", linked=True)
    return collection


def _text_index_info(collection: Collection) -> dict:
    return json.loads((collection.index_dir() / "text" / "index_infos.json").read_text())


def test_an_index_of_the_old_rule_is_rebuilt_under_the_new_one(tmp_path, monkeypatch):
    from patimg import indexing
    from patimg.encoders import get_text_encoder

    collection = _chair_collection(tmp_path / "c")
    # The index as PatImg built it before the rule: linked figures only, no rule recorded.
    real_figure_texts = indexing.figure_texts
    monkeypatch.setattr(indexing, "channel_info", lambda channel, encoder: encoder.info())
    monkeypatch.setattr(
        indexing,
        "figure_texts",
        lambda store: {
            fid: texts for fid, texts in real_figure_texts(store).items() if fid.startswith("US2")
        },
    )
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    assert sorted(stored_vectors(collection, "text")) == ["US2B2-D00001-f1"]
    old = Searcher(collection.path)
    assert "figure_text" not in _text_index_info(collection)["encoder"]
    monkeypatch.undo()

    infos = build_indexes(
        collection.path
    )  # no --rebuild needed: sentence vectors are reused, figures re-derived
    assert infos["text"]["count"] == 2 and infos["visual"]["count"] == 2
    assert infos["text"]["encoder"]["figure_text"] == CURRENT_RULE
    assert CURRENT_RULE in infos["text"]["note"] and LEGACY_RULE in infos["text"]["note"]
    assert Collection.open(collection.path).meta["encoders"]["text"]["figure_text"] == CURRENT_RULE
    chair = stored_vectors(collection, "text")["USD1S1-D00001-f1"]
    expected = get_text_encoder("minilm").encode([CHAIR_VIEW, "Chair"]).mean(axis=0)
    assert chair == pytest.approx(expected / (expected**2).sum() ** 0.5, abs=1e-5)
    fan = stored_vectors(collection, "text")["US2B2-D00001-f1"]  # linked: its sentence alone, as before
    sentence = "The blade 104 of the ceiling fan turns."
    assert fan == pytest.approx(get_text_encoder("minilm").encode([sentence])[0], abs=1e-5)

    hits = Searcher(collection.path).search(text="chair", channel="text", k=2).hits
    assert hits[0].figure_id == "USD1S1-D00001-f1"
    assert (
        old.search(text="chair", channel="text", k=2).hits[0].figure_id == "US2B2-D00001-f1"
    )  # the old index

    # Under the same rule a new publication grows the text index (a rebuild would sort US1B2 first).
    before = json.loads((collection.index_dir() / "text" / "ids.json").read_text())
    _add(collection, "US1B2", "Desk fan", "FIG. 1", "FIG. 1 shows the desk fan.", linked=True)
    build_indexes(collection.path)
    assert json.loads((collection.index_dir() / "text" / "ids.json").read_text()) == [
        *before,
        "US1B2-D00001-f1",
    ]


def _design(number: str) -> Path:
    return next(shared_data_path("patents", "us-design").glob(f"USD0{number}-*"))


@pytest.mark.slow
def test_design_patents_get_text_and_a_free_text_word_finds_them(tmp_path, monkeypatch):
    """Three real design patents (no numerals): their title and brief descriptions give every figure a text
    vector, a word of a title finds that patent's figures, and a design drawing searched as a document uses it.
    Before `patimg index` re-derives an old collection's text vectors, a document query says why it is visual."""
    from patimg import indexing
    from patimg.document_query import search_document
    from patimg.ingest import ingest

    folders = {"wheel": _design("929296"), "bat": _design("930094"), "spoon": _design("909824")}
    collection = tmp_path / "designs"
    report = ingest(list(folders.values()), collection=collection)
    assert not report.errors and len(report.added) == 3
    store = Collection.open(collection)
    patent_of = {
        word: next(p.patent_id for p in store.patent_records() if word in p.title.lower()) for word in folders
    }

    monkeypatch.setattr(indexing, "channel_info", lambda channel, encoder: encoder.info())
    monkeypatch.setattr(indexing, "figure_texts", lambda store: {})  # the old rule: no sign, no text
    build_indexes(collection, text="minilm")
    old = search_document(Searcher(collection), folders["bat"])  # the publication: its XML gives it text
    assert all(q.result.channels_used == ["visual"] for q in old.query_figures)
    assert all(any("run `patimg index`" in note for note in q.result.notes) for q in old.query_figures)
    monkeypatch.undo()

    infos = build_indexes(collection)
    figures = store.figure_records()
    assert infos["text"]["count"] == len(figures)  # every design figure has text now
    captioned = [f for f in figures if f.figure_num in store.figure_descriptions(f.patent_id)]
    assert len(captioned) >= len(figures) // 2  # most figures' captions were read and name their description

    searcher = Searcher(collection)
    for word, patent_id in patent_of.items():
        own = sum(f.patent_id == patent_id for f in figures)
        hits = searcher.search(text=word, channel="text", k=own).hits
        assert {h.patent_id for h in hits} == {patent_id}, (word, [h.figure_id for h in hits])

    new = search_document(searcher, folders["bat"])
    for query in new.query_figures:
        assert query.result.channels_used == ["visual", "text"]
        assert "Bat" in query.text_sentences
        assert any("its text is" in note for note in query.result.notes)
    assert new.patents[0].patent_id == patent_of["bat"]
