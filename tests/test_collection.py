"""The on-disk collection store: round trip, replacement, errors, resumability markers."""

from __future__ import annotations

import json

import pytest

from patimg.collection import Collection
from patimg.errors import BadInputError
from patimg.types import Figure, Label, Patent, Sentence, SignLink


def _store_one(collection: Collection, *, figures: int = 2, title: str = "Rotor") -> None:
    patent = Patent(
        patent_id="US1B2",
        office="US",
        number="1",
        kind="B2",
        date="2020-01-02",
        title=title,
        ipc=("B64C 11/00",),
        cpc=("B64C 11/02",),
        applicants=("ACME",),
    )
    sentences = [
        Sentence(patent_id="US1B2", index=0, text="The hub 14 carries blades 16."),
        Sentence(patent_id="US1B2", index=1, text="FIG. 1 is a side view.", section="drawings"),
    ]
    figs = [
        Figure(
            figure_id=f"US1B2-D00001-f{k}",
            patent_id="US1B2",
            caption=f"FIG. {k}",
            figure_num=str(k),
            sheet="D00001.TIF",
            box=(0, 0, 10, 10),
            image=f"figures/US1B2-D00001-f{k}.png",
            split="caption",
        )
        for k in range(1, figures + 1)
    ]
    labels = {
        f.figure_id: [Label(text="14", kind="reference", box=(1, 2, 3, 4), confidence=0.9)] for f in figs
    }
    links = [SignLink(figure_id=f.figure_id, sign="14", term="hub", sentence_indexes=(0,)) for f in figs]
    links.append(SignLink(figure_id=figs[0].figure_id, sign="99", term=""))
    for f in figs:
        (collection.path / f.image).parent.mkdir(parents=True, exist_ok=True)
        (collection.path / f.image).write_bytes(b"png")
    collection.write_publication(
        source_key=f"key-{figures}",
        source="src",
        source_kind="uspto",
        patent=patent,
        sentences=sentences,
        figure_descriptions={"1": "FIG. 1 is a side view."},
        figures=figs,
        labels=labels,
        links=links,
    )


def test_round_trip_keeps_every_field(tmp_path):
    collection = Collection.create(tmp_path / "c")
    _store_one(collection)
    patent = collection.patent("US1B2")
    assert patent.ipc == ("B64C 11/00",) and patent.applicants == ("ACME",) and patent.date == "2020-01-02"
    figure = collection.figure("US1B2-D00001-f2")
    assert figure.box == (0, 0, 10, 10) and figure.caption == "FIG. 2" and figure.split == "caption"
    assert collection.labels(figure.figure_id)[0].box == (1, 2, 3, 4)
    links = {link.sign: link for link in collection.links("US1B2-D00001-f1")}
    assert links["14"].sentence_indexes == (0,) and links["14"].term == "hub"
    assert links["99"].sentence_indexes == ()  # an unlinked sign is kept, not dropped
    assert collection.figure_descriptions("US1B2") == {"1": "FIG. 1 is a side view."}
    stats = collection.stats()
    assert stats == {
        "patents": 1,
        "figures": 2,
        "signs": 3,
        "linked_signs": 2,
        "links": 2,
        "sentences": 2,
        "sources": 1,
        "errors": 0,
    }
    assert collection.has_source("key-2") and not collection.has_source("other")
    frame = collection.figures()
    assert list(frame["n_signs"]) == [2, 1] and list(frame["n_linked"]) == [1, 1]


def test_reingesting_a_patent_replaces_it_and_removes_stale_figures(tmp_path):
    collection = Collection.create(tmp_path / "c")
    _store_one(collection, figures=2)
    _store_one(collection, figures=1, title="Rotor v2")
    assert collection.patent("US1B2").title == "Rotor v2"
    assert [f.figure_id for f in collection.figure_records()] == ["US1B2-D00001-f1"]
    assert not (collection.path / "figures" / "US1B2-D00001-f2.png").exists()
    assert collection.stats()["signs"] == 2


def test_open_refuses_what_is_not_a_collection(tmp_path):
    with pytest.raises(BadInputError, match="no such collection folder"):
        Collection.open(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(BadInputError, match="not a PatImg collection"):
        Collection.open(tmp_path / "plain")
    (tmp_path / "plain" / "collection.json").write_text("{not json")
    with pytest.raises(BadInputError, match="unreadable"):
        Collection.open(tmp_path / "plain")


def test_errors_are_recorded_with_their_source(tmp_path):
    collection = Collection.create(tmp_path / "c")
    collection.record_error(source="bad.zip", problem="member ../x escapes the folder")
    assert collection.ingest_errors()[0]["source"] == "bad.zip"
    assert collection.stats()["errors"] == 1


def test_meta_updates_are_atomic_json(tmp_path):
    collection = Collection.create(tmp_path / "c", name="Demo")
    collection.update_meta(encoders={"visual": {"name": "x"}})
    meta = json.loads((tmp_path / "c" / "collection.json").read_text())
    assert meta["name"] == "Demo" and meta["encoders"]["visual"]["name"] == "x"
    assert not list((tmp_path / "c").glob(".*.tmp"))
