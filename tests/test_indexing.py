"""Indexing a collection: only new figures are encoded, text vectors follow the links, encoders are checked."""

from __future__ import annotations

import numpy as np
import pytest

from patimg.collection import Collection
from patimg.errors import BackendMismatchError
from patimg.indexing import build_indexes, stored_vectors
from patimg.search import Searcher
from patimg.types import Figure, Patent, Sentence, SignLink
from tests.drawings import random_line_drawing


def _add_patent(collection: Collection, number: int, *, figures: int = 2) -> None:
    pid = f"US{number}B2"
    sentences = [
        Sentence(patent_id=pid, index=0, text=f"The rotor {number}0 carries blades."),
        Sentence(patent_id=pid, index=1, text="A frame holds the motor."),
    ]
    figs, links = [], []
    for k in range(1, figures + 1):
        fid = f"{pid}-D00001-f{k}"
        image = f"figures/{fid}.png"
        (collection.path / "figures").mkdir(exist_ok=True)
        random_line_drawing(number * 10 + k).save(collection.path / image)
        figs.append(Figure(figure_id=fid, patent_id=pid, caption=f"FIG. {k}", image=image))
        # The first figure's sign links to a sentence; the second's sign is unlinked (no text vector).
        links.append(SignLink(figure_id=fid, sign=f"{number}0", sentence_indexes=(0,) if k == 1 else ()))
    collection.write_publication(
        source_key=f"k{number}",
        source="test",
        source_kind="uspto",
        patent=Patent(patent_id=pid, office="US"),
        sentences=sentences,
        figure_descriptions={},
        figures=figs,
        labels={},
        links=links,
    )


class CountingEncoder:
    """Wraps a real encoder and counts the images it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner, self.encoded = inner, 0
        self.name, self.dim = inner.name, inner.dim

    def info(self) -> dict:
        return self.inner.info()

    def encode(self, images, **options):
        self.encoded += len(images)
        return self.inner.encode(images, **options)


@pytest.fixture()
def counting(monkeypatch):
    from patimg.encoders import registry

    real = registry.get_visual_encoder
    made: list[CountingEncoder] = []

    def get_visual_encoder(spec, **options):
        made.append(CountingEncoder(real(spec, **options)))
        return made[-1]

    monkeypatch.setattr(registry, "get_visual_encoder", get_visual_encoder)
    return made


def test_adding_publications_encodes_only_new_figures(tmp_path, counting):
    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 1)
    infos = build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    assert counting[-1].encoded == 2 and infos["visual"]["count"] == 2
    before = stored_vectors(collection, "visual")

    _add_patent(collection, 2)
    infos = build_indexes(collection.path)  # the collection's own encoders are reused
    assert counting[-1].encoded == 2 and infos["visual"]["count"] == 4
    after = stored_vectors(collection, "visual")
    for fid, vector in before.items():
        np.testing.assert_array_equal(after[fid], vector)
    # Only figures with a linked sentence have a text vector; the unlinked ones are absent, not zero.
    assert sorted(stored_vectors(collection, "text")) == ["US1B2-D00001-f1", "US2B2-D00001-f1"]
    assert infos["text"]["count"] == 2

    hits = Searcher(collection.path).search(figure_id="US1B2-D00001-f1", channel="visual", k=3).hits
    assert len(hits) == 3 and "US1B2-D00001-f1" not in {h.figure_id for h in hits}


def test_switching_encoders_is_refused_unless_rebuilt(tmp_path, monkeypatch):
    from patimg.encoders import registry
    from patimg.encoders.drawing import DrawingDescriptorEncoder

    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 1)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")

    class OtherCodebook(DrawingDescriptorEncoder):
        """The same descriptor with another codebook: vectors that must not be mixed with the stored ones."""

        def info(self) -> dict:
            return {**super().info(), "weights": "sha256:another-codebook"}

    monkeypatch.setattr(registry, "get_visual_encoder", lambda spec, **options: OtherCodebook())
    with pytest.raises(BackendMismatchError, match="--rebuild"):
        build_indexes(collection.path)
    infos = build_indexes(collection.path, rebuild=True)
    assert infos["visual"]["encoder"]["weights"] == "sha256:another-codebook"
    # A query encoded with the shipped codebook would not match the rebuilt index: an explicit error.
    monkeypatch.undo()
    with pytest.raises(BackendMismatchError):
        Searcher(collection.path).search(image=random_line_drawing(5), channel="visual", k=1)


def test_interrupted_encoding_resumes_where_it_stopped(tmp_path, monkeypatch):
    from patimg import indexing
    from patimg.encoders.drawing import DrawingDescriptorEncoder

    collection = Collection.create(tmp_path / "c")
    for number in (1, 2):
        _add_patent(collection, number)  # 4 figures
    monkeypatch.setattr(indexing, "CHECKPOINT_SECONDS", 0.0)  # checkpoint after every batch

    class StopsAfterTwo(CountingEncoder):
        """Encodes two figures, then the run is interrupted (Ctrl-C)."""

        def encode(self, images, **options):
            if self.encoded >= 2:
                raise KeyboardInterrupt
            return super().encode(images, **options)

    with pytest.raises(KeyboardInterrupt):
        indexing.encode_visual(collection, encoder=StopsAfterTwo(DrawingDescriptorEncoder()), batch_size=1)
    assert len(stored_vectors(collection, "visual")) == 2  # the work done survived

    resumed = CountingEncoder(DrawingDescriptorEncoder())
    ids, vectors = indexing.encode_visual(collection, encoder=resumed, batch_size=1)
    assert resumed.encoded == 2  # only what was missing
    assert ids == [f.figure_id for f in collection.figure_records()]
    fresh = Collection.create(tmp_path / "fresh")
    for number in (1, 2):
        _add_patent(fresh, number)
    _, expected = indexing.encode_visual(fresh, encoder=DrawingDescriptorEncoder())
    np.testing.assert_allclose(vectors, expected, rtol=1e-5, atol=1e-6)


def _index_ids(collection: Collection, channel: str) -> list[str]:
    import json

    return json.loads((collection.index_dir() / channel / "ids.json").read_text())


def test_new_figures_are_added_to_the_index_and_gone_figures_rebuild_it(tmp_path):
    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 2)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm", index_kind="hnsw")
    first = _index_ids(collection, "visual")
    assert sorted(first) == ["US2B2-D00001-f1", "US2B2-D00001-f2"]

    _add_patent(collection, 1)  # sorts before patent 2: a rebuild would put its figures first
    infos = build_indexes(collection.path)
    grown = _index_ids(collection, "visual")
    assert grown[:2] == first and sorted(grown[2:]) == ["US1B2-D00001-f1", "US1B2-D00001-f2"]
    assert infos["visual"]["count"] == 4 and infos["visual"]["index_type"] == "hnsw"

    _add_patent(collection, 1, figures=1)  # the publication comes again with one figure: f2 is gone
    build_indexes(collection.path)
    assert "US1B2-D00001-f2" not in _index_ids(collection, "visual")
    hits = Searcher(collection.path).search(figure_id="US2B2-D00001-f1", channel="visual", k=10).hits
    assert {h.figure_id for h in hits} == {"US2B2-D00001-f2", "US1B2-D00001-f1"}


def test_a_figure_whose_text_was_reingested_gets_a_new_text_vector(tmp_path):
    from patimg.encoders import get_text_encoder

    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 1)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    before = stored_vectors(collection, "text")["US1B2-D00001-f1"]

    # The full text comes again (no drawings): the figures stay, their signs link to the new sentences.
    new_text = "The propeller 10 turns in a duct."
    collection.write_publication(
        source_key="k1-text",
        source="test",
        source_kind="uspto",
        patent=Patent(patent_id="US1B2", office="US"),
        sentences=[Sentence(patent_id="US1B2", index=0, text=new_text)],
        figure_descriptions={},
        figures=None,
        labels={},
        links=[SignLink(figure_id="US1B2-D00001-f1", sign="10", sentence_indexes=(0,))],
    )
    build_indexes(collection.path)
    after = stored_vectors(collection, "text")["US1B2-D00001-f1"]
    expected = get_text_encoder("minilm").encode([new_text])[0]
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, expected, atol=1e-5)
    hits = Searcher(collection.path).search(text=new_text, channel="text", k=1).hits
    assert hits[0].figure_id == "US1B2-D00001-f1" and hits[0].score == pytest.approx(1.0, abs=1e-4)


def test_a_search_never_mixes_two_generations_of_indexes(tmp_path, monkeypatch):
    from patimg import indexing

    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 1)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    old = {ch: sorted(_index_ids(collection, ch)) for ch in ("visual", "text")}
    _add_patent(collection, 2)

    # A searcher opened while the build is between its visual and its text index sees the old ones only.
    seen = {}
    real_encode_text = indexing.encode_text

    def encode_text_during_a_search(store, **options):
        searcher = Searcher(collection.path)
        seen.update({ch: sorted(index.ids) for ch, index in searcher.indexes.items()})
        return real_encode_text(store, **options)

    monkeypatch.setattr(indexing, "encode_text", encode_text_during_a_search)
    build_indexes(collection.path)
    assert seen == old
    after = {ch: sorted(index.ids) for ch, index in Searcher(collection.path).indexes.items()}
    assert after["visual"] == sorted([*old["visual"], "US2B2-D00001-f1", "US2B2-D00001-f2"])
    assert after["text"] == sorted([*old["text"], "US2B2-D00001-f1"])

    # An interrupted build leaves the current generation as it was, and no half-built one.
    _add_patent(collection, 3)
    current = collection.index_dir()

    def interrupted(store, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(indexing, "encode_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_indexes(collection.path)
    assert collection.index_dir() == current
    generations = [p for p in (collection.path / "indexes").iterdir() if p.is_dir()]
    assert current in generations and len(generations) <= 2  # the current one and the one it replaced
    assert {ch: sorted(index.ids) for ch, index in Searcher(collection.path).indexes.items()} == after


def test_patimg_remove_takes_a_publication_out_and_its_figures_never_come_back(tmp_path, capsys):
    import json

    from patimg.cli import main

    collection = Collection.create(tmp_path / "c")
    _add_patent(collection, 1)
    _add_patent(collection, 2)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    assert main(["remove", "US1B2", "--collection", str(collection.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"id": "US1B2", "figures": 2}]
    assert [p.patent_id for p in collection.patent_records()] == ["US2B2"]
    assert not list((collection.path / "figures").glob("US1B2-*"))
    # Before the indexes are rebuilt, searches already leave the removed figures out; after, they are gone.
    hits = Searcher(collection.path).search(figure_id="US2B2-D00001-f1", channel="visual", k=10).hits
    assert [h.figure_id for h in hits] == ["US2B2-D00001-f2"]
    build_indexes(collection.path)
    assert sorted(_index_ids(collection, "visual")) == ["US2B2-D00001-f1", "US2B2-D00001-f2"]
    assert main(["remove", "US1B2", "--collection", str(collection.path)]) == 2
    assert "US1B2: no such publication" in capsys.readouterr().err
