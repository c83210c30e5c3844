"""The search report (issue 12, item 6): one self-contained HTML file that opens offline with every image shown,
in which hostile captions, sentences, titles and notes stay text; and the links out to the patent offices."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from patimg.collection import Collection
from patimg.document_query import DocumentResult, QueryFigure, aggregate_by_patent
from patimg.errors import BadInputError
from patimg.figures.rendering import thumbnail_png
from patimg.indexing import build_indexes
from patimg.publication_links import publication_links
from patimg.report import render_report, write_report
from patimg.search import Searcher, SearchSettings
from patimg.types import Figure, Patent, Sentence, SignLink
from tests.drawings import random_line_drawing

HOSTILE = "<script>alert(1)</script><img src=https://evil.example/x.png onerror=alert(2)>"
LINK_HOSTS = (
    "https://worldwide.espacenet.com/",
    "https://patents.google.com/",
    "https://image-ppubs.uspto.gov/",
)


class Page(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def assert_self_contained(html: str) -> Page:
    """No script, no resource loaded from anywhere: every image a PNG data URI that decodes, links only out."""
    page = Page(html)
    names = {name for name, _ in page.tags}
    assert not names & {
        "script",
        "iframe",
        "object",
        "embed",
        "link",
        "base",
        "form",
        "frame",
        "audio",
        "video",
    }
    for name, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (name, attrs)  # no event handler
        assert "style" not in attrs and "srcset" not in attrs
        if name != "img":
            assert "src" not in attrs
    for attrs in page.all("img"):
        assert attrs["src"].startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(attrs["src"].split(",", 1)[1]))) as image:
            assert image.width > 0 and image.height > 0
    for attrs in page.all("a"):
        assert attrs["href"].startswith(LINK_HOSTS), attrs
    assert any("Content-Security-Policy" in attrs.get("http-equiv", "") for attrs in page.all("meta"))
    return page


def _add(collection: Collection, pid: str, title: str, sentence: str, caption: str, seed: int) -> None:
    figure_id = f"{pid}-D00001-f1"
    (collection.path / "figures").mkdir(exist_ok=True)
    random_line_drawing(seed).save(collection.path / f"figures/{figure_id}.png")
    collection.write_publication(
        source_key=pid,
        source="test",
        source_kind="uspto",
        patent=Patent(patent_id=pid, office=pid[:2], title=title),
        sentences=[Sentence(pid, 0, sentence)],
        figure_descriptions={},
        figures=[Figure(figure_id, pid, caption=caption, figure_num="1", image=f"figures/{figure_id}.png")],
        labels={},
        links=[SignLink(figure_id, "14", term="hub", sentence_indexes=(0,))],
    )


@pytest.fixture(scope="module")
def hostile_collection(tmp_path_factory) -> Path:
    """Three publications whose caption, title and sentence are markup meant to run."""
    collection = Collection.create(tmp_path_factory.mktemp("report") / "c")
    _add(collection, "US12448402B2", "Rotor", "The hub 14 carries the blades.", "FIG. 1", 1)
    _add(collection, "EP1667425A1", HOSTILE, f"The hub 14 {HOSTILE} turns.", HOSTILE, 2)
    _add(collection, "USD907293S1", "Cartridge", "The hub 14 of the cartridge.", "FIG. 1", 3)
    build_indexes(collection.path, visual="rootsift-vlad", text="minilm")
    return collection.path


def test_links_out_to_the_offices():
    assert [(link.site, link.url) for link in publication_links("EP1667425A1")] == [
        ("Espacenet", "https://worldwide.espacenet.com/patent/search?q=pn%3DEP1667425"),
        ("Google Patents", "https://patents.google.com/patent/EP1667425A1"),
    ]
    us = {link.site: link.url for link in publication_links("US12448402B2")}
    assert us["Google Patents"] == "https://patents.google.com/patent/US12448402B2"
    assert us["USPTO"].endswith("/downloadPdf/12448402")
    assert publication_links("USD907293S1")[1].url == "https://patents.google.com/patent/USD907293S1"
    for not_a_publication in ("FOLDER-scans", "QUERY-drawing.png", HOSTILE, ""):
        assert publication_links(not_a_publication) == []


def test_single_search_report_is_self_contained_and_escapes_everything(hostile_collection, tmp_path):
    searcher = Searcher(hostile_collection)
    settings = SearchSettings(k=5)
    result = searcher.search(figure_id="US12448402B2-D00001-f1", settings=settings, user="examiner")
    assert result.audit_id is not None and len(result.hits) == 2
    marks = {"EP1667425A1-D00001-f1": "relevant", "USD907293S1-D00001-f1": "not relevant"}
    path = write_report(
        tmp_path / "report.html",
        hostile_collection,
        result,
        settings=settings,
        examiner=f"A. Examiner {HOSTILE}",
        marks=marks,
        notes=f"Searched rotors.\n{HOSTILE}",
        query="US12448402B2-D00001-f1",
        query_image=Collection.open(hostile_collection).figure_image_path("US12448402B2-D00001-f1"),
    )
    html = path.read_text(encoding="utf-8")
    page = assert_self_contained(html)
    assert len(page.all("img")) == 1 + 2 + 2  # the query, its two results, the two marked results
    text = "".join(page.text)
    assert HOSTILE in text  # shown, as text
    assert (
        html.count("&lt;script&gt;") >= 4
    )  # examiner, notes, caption, title, sentence: escaped, never markup
    assert "The hub 14 carries the blades." in text  # the query's linked sentence
    assert f"audit log entry #{result.audit_id}" in text
    assert "relevant" in text and "not relevant" in text
    cards = {attrs.get("class") for attrs in page.all("div")}
    assert {"card relevant", "card not-relevant"} <= cards
    hrefs = [attrs["href"] for attrs in page.all("a")]
    assert "https://patents.google.com/patent/EP1667425A1" in hrefs

    with pytest.raises(BadInputError, match="relevant"):
        render_report(hostile_collection, result, settings=settings, examiner="x", marks={"f": "maybe"})
    with pytest.raises(BadInputError, match="examiner"):
        render_report(hostile_collection, result, settings=settings, examiner=" ")
    with pytest.raises(BadInputError, match="folder"):
        write_report(tmp_path, hostile_collection, result, settings=settings, examiner="x")


def test_document_report_shows_each_query_figure_with_its_sentences(hostile_collection, tmp_path):
    """A document query's result (made here from a figure's stored vectors, so no OCR runs)."""
    searcher = Searcher(hostile_collection)
    settings = SearchSettings(k=3)
    figure = Figure("QUERY-x-f1", "QUERY-x", caption=HOSTILE, figure_num="1")
    sentence = f"The hub 14 of the query {HOSTILE}."
    image = Image.open(Collection.open(hostile_collection).figure_image_path("USD907293S1-D00001-f1"))
    result = searcher.search_vectors(
        visual=searcher.vectors["visual"]["USD907293S1-D00001-f1"],
        text=searcher.vectors["text"]["USD907293S1-D00001-f1"],
        settings=settings,
        user="examiner",
        query={"document": "x"},
    )
    query = QueryFigure(
        figure, "QUERY-x", ["14", "99"], [SignLink(figure.figure_id, "14", "hub", (0,))], result, {0: sentence},
        [sentence], thumbnail_png(image),
    )  # fmt: skip
    document = DocumentResult(query_patents=["QUERY-x"], query_figures=[query], notes=[HOSTILE])
    document.patents = aggregate_by_patent(document.query_figures)
    html = render_report(
        hostile_collection, document, settings=settings, examiner="A. Examiner", query=HOSTILE
    )
    page = assert_self_contained(html)
    assert len(page.all("img")) == 1 + len(result.hits)
    text = "".join(page.text)
    assert sentence in text and "Patents found" in text
    assert [p.patent_id for p in document.patents][0] in text
    unlinked = [attrs for attrs in page.all("span") if attrs.get("class") == "sign unlinked"]
    assert len(unlinked) == 1  # sign 99 links to no sentence


@pytest.mark.browser
def test_the_report_opens_offline_with_every_image_shown(hostile_collection, tmp_path):
    """Headless Chromium, every request that is not the file itself refused: each image has decoded pixels."""
    from tests.appserver import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    searcher = Searcher(hostile_collection)
    settings = SearchSettings(k=5)
    result = searcher.search(figure_id="EP1667425A1-D00001-f1", settings=settings, user="examiner")
    path = write_report(
        tmp_path / "report.html",
        hostile_collection,
        result,
        settings=settings,
        examiner="A. Examiner",
        marks={"US12448402B2-D00001-f1": "relevant"},
        query_image=Collection.open(hostile_collection).figure_image_path("EP1667425A1-D00001-f1"),
    )
    requested: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()

            def refuse_the_network(route) -> None:
                requested.append(route.request.url)
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", refuse_the_network)
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images, i => [i.complete, i.naturalWidth])")
            scripts = page.evaluate("document.scripts.length")
        finally:
            browser.close()
    assert len(images) == 1 + 2 + 1
    assert all(complete and width > 0 for complete, width in images), images
    assert scripts == 0 and dialogs == []  # the hostile caption and title ran nothing
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []


@pytest.mark.slow
def test_image_search_report_from_the_command_line(demo_copy, capsys, tmp_path):
    """`patimg search --image X --report R --examiner NAME`: the JSON is the plain hit list, the report shows the
    query drawing with the numerals read on it beside its results, and the audit log has the search by NAME."""
    import json

    from patimg.cli import main
    from patimg.evaluation.store import JudgmentStore

    store = Collection.open(demo_copy)
    figure = next(f for f in store.figure_records() if store.links(f.figure_id))
    report = tmp_path / "image-report.html"
    argv = ["search", "--collection", str(demo_copy), "--image", str(demo_copy / figure.image), "-k", "4"]
    code = main([*argv, "--report", str(report), "--examiner", "Ann Examiner", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    hits = json.loads(captured.out)
    assert isinstance(hits, list) and len(hits) == 4 and hits[0]["figure_id"] == figure.figure_id
    assert f"report written to {report}" in captured.err

    page = assert_self_contained(report.read_text(encoding="utf-8"))
    assert len(page.all("img")) == 1 + 4
    signs = [attrs for attrs in page.all("span") if attrs.get("class", "").startswith("sign")]
    assert signs  # the numerals read on the query drawing and on its results
    text = "".join(page.text)
    assert "Ann Examiner" in text and str(demo_copy / figure.image) in text
    logged = JudgmentStore(demo_copy / "judgments.sqlite").search_log(user="Ann Examiner")
    assert len(logged) == 1 and f"audit log entry #{logged[0].entry_id}" in text
