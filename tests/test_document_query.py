"""A publication as the query (issue 12, items 1 and 8): `patimg search --document`, results per figure and
per patent, the document's signs linked to its own description, nothing added to the collection."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from patimg.cli import main
from patimg.collection import Collection
from tests.realdata import shared_data_path
from tests.test_report import assert_self_contained

QUERY_FIGURE_KEYS = {"figure", "caption", "signs", "linked_signs", "hits"}
HIT_KEYS = {"figure_id", "patent", "caption", "figure_kind", "score", "scores", "ranks", "rank"}


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def search_document(capsys, collection: Path, document: Path, *extra: str) -> dict:
    code, out, err = run_cli(
        capsys,
        "search",
        "--collection",
        collection,
        "--document",
        document,
        "-k",
        "10",
        "--json",
        "-q",
        *extra,
    )
    assert code == 0, err
    return json.loads(out)


def assert_shape(payload: dict) -> None:
    assert payload["query_figures"] and payload["patents"]
    for query in payload["query_figures"]:
        assert QUERY_FIGURE_KEYS <= set(query)
        assert set(query["linked_signs"]) <= set(query["signs"])
        for hit in query["hits"]:
            assert set(hit) == HIT_KEYS
        assert [h["rank"] for h in query["hits"]] == list(range(1, len(query["hits"]) + 1))
    scores = [p["score"] for p in payload["patents"]]
    assert scores == sorted(scores, reverse=True)
    for patent in payload["patents"]:
        assert set(patent) >= {"patent", "score", "figures"} and patent["figures"]
        assert patent["score"] == pytest.approx(max(f["score"] for f in patent["figures"]))
        assert all(f["figure_id"].startswith(patent["patent"]) for f in patent["figures"])


def collection_state(collection: Path) -> tuple[list[str], list[str]]:
    store = Collection.open(collection)
    return sorted(p.patent_id for p in store.patent_records()), sorted(
        p.name for p in (collection / "figures").iterdir()
    )


def mentioned_in(sign: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(sign)}(?!\w)", text) is not None


def pasted_description(xml: Path) -> str:
    """A publication's description as a user pastes it: headings and paragraphs, one blank line apart."""
    import xml.etree.ElementTree as ElementTree

    blocks: list[str] = []

    def walk(element) -> None:
        for child in element:
            if child.tag in {"heading", "p"}:
                blocks.append(" ".join("".join(child.itertext()).split()))
            else:
                walk(child)

    walk(ElementTree.parse(xml).getroot().find(".//description"))
    return "\n\n".join(block for block in blocks if block)


@pytest.fixture(scope="module")
def demo_document(tmp_path_factory) -> Path:
    """The demo collection's first publication, written again as a USPTO folder outside the collection."""
    from patimg.demo import write_demo_publications

    return write_demo_publications(tmp_path_factory.mktemp("document"), n_patents=1)[0]


@pytest.mark.slow
def test_document_in_the_collection_finds_its_own_patent_first(
    demo_collection, demo_document, capsys, tmp_path
):
    before = collection_state(demo_collection)
    report = tmp_path / "report.html"
    payload = search_document(
        capsys, demo_collection, demo_document, "--report", report, "--examiner", "Ann <b>"
    )
    assert_shape(payload)
    own = payload["query_patents"][0]
    assert own in before[0]
    assert payload["patents"][0]["patent"] == own
    assert collection_state(demo_collection) == before  # nothing of the query was stored
    page = assert_self_contained(report.read_text(encoding="utf-8"))
    hits_shown = sum(min(len(q["hits"]), 10) for q in payload["query_figures"])
    assert len(page.all("img")) == len(payload["query_figures"]) + hits_shown
    assert "Ann <b>" in "".join(page.text)

    text = next(demo_document.glob("*.XML")).read_text(encoding="utf-8")
    with_signs = [q for q in payload["query_figures"] if q["signs"]]
    assert with_signs
    for query in with_signs:
        assert query["linked_signs"], query
        assert all(mentioned_in(sign, text) for sign in query["linked_signs"])
        assert query["channels_used"] == ["visual", "text"]

    excluded = search_document(capsys, demo_collection, demo_document, "--exclude-patent")
    assert excluded["patents"]
    assert own not in {p["patent"] for p in excluded["patents"]}
    assert all(h["patent"] != own for q in excluded["query_figures"] for h in q["hits"])


@pytest.mark.slow
def test_shipped_grant_zip_as_the_query(demo_collection, capsys):
    """A USPTO grant ZIP as shipped: its drawings are text-only flowcharts (no reference signs, says the
    ground truth), so each figure's text is its own brief-description sentence and the title, and says so."""
    document = shared_data_path("patents", "us-grants", "US12448730-20251021.ZIP")
    before = collection_state(demo_collection)
    payload = search_document(capsys, demo_collection, document)
    assert_shape(payload)
    assert payload["query_patents"] == ["US12448730B2"]
    assert [q["caption"] for q in payload["query_figures"]] == ["FIG. 1", "FIG. 2"]
    for number, query in enumerate(payload["query_figures"], start=1):
        assert query["linked_signs"] == []
        assert query["channels_used"] == ["visual", "text"]
        assert query["text_sentences"][-1] == "Preparation of cellulose fibers"  # the title
        assert query["text_sentences"][0].startswith(f"FIG. {number} illustrates")
        assert any("its text is its brief description and the title" in note for note in query["notes"])
    assert collection_state(demo_collection) == before


@pytest.mark.slow
def test_grant_zip_signs_link_to_its_own_description(demo_collection, capsys, tmp_path):
    """>= 80% of the figures of a real utility grant that carry reference signs have them linked (at least
    half of each figure's signs) to sentences of its own description."""
    folder = shared_data_path("patents", "us-grants", "US12448527-20251021")
    document = tmp_path / f"{folder.name}.ZIP"  # the grant as USPTO ships it: one folder in one ZIP
    with zipfile.ZipFile(document, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    payload = search_document(capsys, demo_collection, document)
    assert_shape(payload)
    assert payload["query_patents"] == ["US12448527B2"]
    text = (folder / f"{folder.name}.XML").read_text(encoding="utf-8")
    with_signs = [q for q in payload["query_figures"] if q["signs"]]
    assert len(with_signs) >= 3
    linked = [q for q in with_signs if len(q["linked_signs"]) * 2 >= len(q["signs"])]
    assert len(linked) / len(with_signs) >= 0.8, [(q["signs"], q["linked_signs"]) for q in with_signs]
    for query in linked:
        assert all(mentioned_in(sign, text) for sign in query["linked_signs"])
        assert query["channels_used"] == ["visual", "text"]


def test_bad_document_is_one_message_naming_it(demo_collection, capsys, tmp_path):
    corrupt = tmp_path / "US1-broken.ZIP"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a ZIP archive")
    missing = tmp_path / "no-such-publication.ZIP"
    for document in (corrupt, missing):
        code, out, err = run_cli(
            capsys, "search", "--collection", demo_collection, "--document", document, "--json", "-q"
        )
        assert code == 2
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(document) in lines[0], err


def test_document_excludes_other_queries():
    with pytest.raises(SystemExit):
        main(["search", "--collection", "x", "--document", "a.ZIP", "--figure", "f"])


@pytest.mark.slow
def test_a_drawing_alone_then_with_its_description(demo_collection, demo_document, capsys, tmp_path):
    """Issue 12, item 2: one sheet without text is searched on its drawing alone and says so; with its
    description pasted (a text file), the signs read on it link to that text and its own patent comes first."""
    from patimg.document_query import search_drawing
    from patimg.documents import parse_publication
    from patimg.figures import load_drawing
    from patimg.search import Searcher

    xml = next(demo_document.glob("*.XML"))
    own = parse_publication(xml).patent.patent_id
    sheet = sorted(p for p in demo_document.glob("*.TIF") if not p.stem.endswith("D00000"))[0]
    alone = search_drawing(Searcher(demo_collection), load_drawing(sheet), name=sheet.name)
    assert alone.query_patents == [f"QUERY-{sheet.stem}.png"]
    assert any("no description" in note for note in alone.notes)
    assert any(q.signs for q in alone.query_figures)
    for query in alone.query_figures:
        assert query.linked_signs == [] and query.result.channels_used == ["visual"]
        assert any("searched visually" in note for note in query.result.notes)

    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    for bad in (binary, tmp_path / "missing.txt"):
        code, out, err = run_cli(
            capsys, "search", "--collection", demo_collection, "--document", sheet, "--description", bad, "-q"
        )
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and str(bad) in err, err

    description = tmp_path / "description.txt"
    description.write_text(pasted_description(xml), encoding="utf-8")
    payload = search_document(capsys, demo_collection, sheet, "--description", description)
    assert_shape(payload)
    assert payload["patents"][0]["patent"] == own
    text = description.read_text(encoding="utf-8")
    with_signs = [q for q in payload["query_figures"] if q["signs"]]
    assert with_signs
    for query in with_signs:
        assert query["linked_signs"] and all(mentioned_in(sign, text) for sign in query["linked_signs"])
        assert query["channels_used"] == ["visual", "text"]
        assert set(query["text_sentences"]) <= set(text_sentences_of(text))


def text_sentences_of(text: str) -> list[str]:
    from patimg.documents.plain import parse_description
    from patimg.types import Patent

    return [s.text for s in parse_description(text, patent=Patent("QUERY-x")).sentences]


@pytest.mark.slow
def test_real_grant_sheet_with_its_pasted_description(demo_collection, capsys, tmp_path):
    """A real utility grant's sheet and its description pasted as text: >= 80% of the figures on it that carry
    reference signs have them linked (at least half of each figure's signs) to that text's sentences."""
    folder = shared_data_path("patents", "us-grants", "US12448527-20251021")
    description = tmp_path / "description.txt"
    description.write_text(pasted_description(folder / f"{folder.name}.XML"), encoding="utf-8")
    sheet = folder / f"{folder.name}-D00001.TIF"
    payload = search_document(capsys, demo_collection, sheet, "--description", description)
    assert_shape(payload)
    text = description.read_text(encoding="utf-8")
    with_signs = [q for q in payload["query_figures"] if q["signs"]]
    assert with_signs
    linked = [q for q in with_signs if len(q["linked_signs"]) * 2 >= len(q["signs"])]
    assert len(linked) / len(with_signs) >= 0.8, [(q["signs"], q["linked_signs"]) for q in with_signs]
    assert all(mentioned_in(sign, text) for q in linked for sign in q["linked_signs"])


def test_plain_description_paragraphs_headings_and_figure_sentences():
    from patimg.documents.plain import parse_description
    from patimg.errors import BadInputError
    from patimg.types import Patent

    text = (
        "BRIEF DESCRIPTION OF THE DRAWINGS\n"
        "FIG. 1 is a perspective view of a chair; FIG. 2 is a side view thereof.\n\n"
        "Detailed Description\n"
        "[0012] The chair 100 has a seat 102 carried by\nfront legs 106a. The backrest 104 rises from it.\n"
        "[0013] A stretcher 108 joins the legs.\n"
    )
    document = parse_description(text, patent=Patent("QUERY-chair"))
    assert [(s.section, s.text) for s in document.sentences] == [
        ("drawings", "FIG. 1 is a perspective view of a chair"),
        ("drawings", "FIG. 2 is a side view thereof."),
        ("description", "The chair 100 has a seat 102 carried by front legs 106a."),
        ("description", "The backrest 104 rises from it."),
        ("description", "A stretcher 108 joins the legs."),
    ]
    assert document.figure_descriptions == {
        "1": "FIG. 1 is a perspective view of a chair",
        "2": "FIG. 2 is a side view thereof.",
    }
    no_heading = parse_description("FIG. 3 shows the hub. The hub 14 turns.", patent=Patent("Q"))
    assert no_heading.figure_descriptions == {"3": "FIG. 3 shows the hub."}
    for bad, problem in (("  \n\n ", "empty"), ("a\x00b", "NUL")):
        with pytest.raises(BadInputError, match=problem):
            parse_description(bad, patent=Patent("Q"), source="pasted.txt")


def test_options_that_do_not_go_together_are_one_message(capsys, tmp_path):
    cases = [
        (["--image", "x.png", "--description", "d.txt"], "--description goes with --document"),
        (["--queries", "q.txt", "--report", tmp_path / "r.html"], "--report writes one search"),
        (["--document", "x.ZIP", "--examiner", " "], "--examiner"),
    ]
    for extra, message in cases:
        code, out, err = run_cli(capsys, "search", "--collection", tmp_path, "--json", "-q", *extra)
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], err
