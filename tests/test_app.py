"""The Streamlit pages driven headless with ``streamlit.testing`` against the demo collection.

The Search page keeps an uploaded drawing in ``st.session_state["query_upload"]`` as ``(file name, bytes)``;
these tests put a pair there directly, ``test_app_search.py`` uploads through the widget, and the browser test
(``test_browser.py``) drops a file for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

streamlit_testing = pytest.importorskip("streamlit.testing.v1")
AppTest = streamlit_testing.AppTest

TIMEOUT = 600  # seconds; the first search loads the encoders
REPO = Path(__file__).resolve().parents[1]


def _page(name: str) -> AppTest:
    return AppTest.from_file(str(REPO / "app_pages" / f"{name}.py"), default_timeout=TIMEOUT)


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def test_without_a_collection_the_app_offers_the_demo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATIMG_COLLECTION", str(tmp_path / "none-yet"))
    at = _page("search").run()
    assert not at.exception
    assert any(b.label == "Build demo collection" for b in at.button)
    assert any("patimg ingest" in c.value for c in at.code)


def test_the_app_navigation_lists_the_pages(with_collection: Path) -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Search figures"


def test_search_by_a_collection_figure_finds_its_family(with_collection: Path) -> None:
    from patimg.collection import Collection

    collection = Collection.open(with_collection)
    fan_patents = [
        p.patent_id
        for p in collection.patent_records()
        if "fan" in p.title.lower() or p.ipc[0].startswith("F04D")
    ]
    at = _page("search").run()
    at.radio(key="query_source").set_value("A figure of the collection").run()
    at.selectbox(key="query_patent").set_value(fan_patents[0]).run()
    at.button(key="search_button").click().run()
    assert not at.exception
    assert not at.error, _texts(at.error)
    shown = at.session_state["search"]
    hits = shown.result.hits
    assert hits, "a figure query returned nothing"
    assert all(h.patent_id != fan_patents[0] for h in hits)  # own patent excluded by default
    assert hits[0].patent_id in fan_patents[1:]  # the other fan patent comes first
    assert any(s.value.endswith("results") for s in at.subheader)
    assert at.download_button(key="export_csv")

    # Zooming on a result shows it beside the query, each sign a hover region, its sentences highlighted.
    at.button(key=f"zoom-{hits[0].figure_id}").click().run()
    assert not at.exception
    figures = [h.value for h in at.html if "patimg-figure" in h.value]
    assert len(figures) == 2, "query and result figures side by side"
    assert all('data-sign="' in f and 'title="' in f for f in figures)
    assert at.selectbox(key="zoom_sign").options
    assert any("orange-background" in m.value for m in at.markdown)


def test_a_bad_upload_shows_a_message_not_a_traceback(with_collection: Path) -> None:
    at = _page("search")
    at.session_state["query_upload"] = ("drawing.png", b"this is not an image at all")
    at.run()
    assert not at.exception
    assert at.error and "drawing.png" in at.error[0].value
    assert "not an image" in at.error[0].value and "BytesIO" not in at.error[0].value


def test_browse_shows_signs_and_linked_sentences(with_collection: Path) -> None:
    at = _page("browse").run()
    assert not at.exception
    signs = at.radio(key="browse_sign")
    assert signs.options
    linked = [o for o in signs.options if "unlinked" not in o]
    assert linked
    assert any("orange-background" in m.value for m in at.markdown)  # the numeral highlighted in a sentence
    # The figure: every sign read is a hover region whose tooltip names its term and quotes a sentence.
    figure = next(h.value for h in at.html if "patimg-figure" in h.value)
    regions = [r.split("</span>", 1)[0] for r in figure.split('data-sign="')[1:]]
    assert len(regions) >= len(signs.options)  # a sign drawn twice has two regions
    assert any('title="' in r and "•" in r for r in regions)


def test_browse_marks_unlinked_signs(with_collection: Path) -> None:
    from patimg.collection import Collection

    collection = Collection.open(with_collection)
    unlinked = [
        (fid, link.sign)
        for fid, links in collection.all_links().items()
        for link in links
        if not link.sentence_indexes
    ]
    assert unlinked, "the demo leaves one part unlinked in every other publication"
    figure_id, sign = unlinked[0]
    at = _page("browse").run()
    at.selectbox(key="browse_patent").set_value(collection.figure(figure_id).patent_id).run()
    at.selectbox(key="browse_figure").set_value(figure_id).run()
    at.radio(key="browse_sign").set_value(sign).run()
    assert not at.exception
    assert any("no sentence" in w.value for w in at.warning)


def test_collection_page_counts_and_reports_bad_imports(demo_copy: Path, tmp_path: Path, monkeypatch) -> None:
    from patimg.collection import Collection

    monkeypatch.setenv("PATIMG_IMPORT_ROOTS", str(tmp_path))
    stats = Collection.open(demo_copy).stats()
    at = _page("collection").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patents"] == str(stats["patents"]) and stats["patents"] == 6
    assert int(metrics["Figures"]) >= 12

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.xml").write_text("<us-patent-grant><not closed", encoding="utf-8")
    at.text_input(key="import_folder").set_value(str(bad)).run()
    at.button(key="import_from_folder").click().run()
    assert not at.exception
    assert at.error  # the failed input is reported
    assert any("broken.xml" in str(df.value.to_csv()) for df in at.dataframe)
    assert [e["source"] for e in Collection.open(demo_copy).ingest_errors()] == [str(bad / "broken.xml")]


def test_folder_import_is_off_by_default_and_stays_under_its_roots(
    demo_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    from patimg.collection import Collection

    monkeypatch.delenv("PATIMG_IMPORT_ROOTS", raising=False)
    at = _page("collection").run()
    assert not at.exception
    assert any("Importing from folders on the server is off" in i.value for i in at.info)
    assert at.button(key="import_from_folder").disabled

    root = tmp_path / "imports"
    (root / "scans").mkdir(parents=True)
    monkeypatch.setenv("PATIMG_IMPORT_ROOTS", str(root))
    before = Collection.open(demo_copy).stats()
    for outside in ("/etc/passwd", "/etc/no-such-file", "../../etc", str(tmp_path)):
        at = _page("collection").run()
        at.text_input(key="import_folder").set_value(outside).run()
        at.button(key="import_from_folder").click().run()
        assert not at.exception
        messages = [e.value for e in at.error]
        assert messages == [f"{outside}: no file or folder of that name under the import folders (imports)"]
    assert Collection.open(demo_copy).stats() == before
    assert Collection.open(demo_copy).ingest_errors() == []


def test_results_never_stay_under_another_query(with_collection: Path) -> None:
    at = _page("search").run()
    at.radio(key="query_source").set_value("A figure of the collection").run()
    at.button(key="search_button").click().run()
    assert at.session_state["search"].result.hits
    assert any(s.value.endswith("results") for s in at.subheader)

    at.selectbox(key="fusion").set_value("max").run()  # another rule: the old list must go
    assert not at.exception
    assert "search" not in at.session_state
    assert any("changed since the results" in i.value for i in at.info)
    assert not any(s.value.endswith("results") for s in at.subheader)

    at.radio(key="query_source").set_value("Upload a drawing").run()
    at.session_state["query_upload"] = ("scan.png", b"not an image")
    at.run()
    assert not at.exception
    assert at.button(key="search_button").disabled  # nothing readable to search with
    assert not any("give an image, a figure id" in e.value for e in at.error)  # no CLI wording
    assert any("scan.png" in e.value for e in at.error)


def test_a_publication_is_removed_and_a_new_collection_made_in_the_app(
    demo_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    from patimg.collection import Collection
    from patimg.search import Searcher

    collection = Collection.open(demo_copy)
    doomed = collection.patent_records()[0].patent_id
    at = _page("collection").run()
    at.selectbox(key="remove_patent").set_value(doomed).run()
    assert at.button(key="remove_publication").disabled  # not without the tick
    at.checkbox(key="remove_sure_0").check().run()
    at.button(key="remove_publication").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(f"Removed {doomed} and 3 figures" in s.value for s in at.success)
    assert doomed not in {p.patent_id for p in collection.patent_records()}
    assert not list((demo_copy / "figures").glob(f"{doomed}-*"))
    hits = Searcher(demo_copy).search(text="fan blades", channel="text", k=50).hits
    assert hits and all(h.patent_id != doomed for h in hits)
    assert all(
        doomed not in fid for fid in json.loads((collection.index_dir() / "visual" / "ids.json").read_text())
    )

    # A new, empty collection: only where the app is not pinned to one collection.
    monkeypatch.delenv("PATIMG_COLLECTION")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "collections").mkdir()
    Collection.create(tmp_path / "collections" / "first")
    at = _page("collection").run()
    at.sidebar.text_input(key="new_collection_name").set_value("bad name!").run()
    at.sidebar.button(key="create_collection").click().run()
    assert any("use letters, digits" in e.value for e in at.sidebar.error)
    at.sidebar.text_input(key="new_collection_name").set_value("examiner-2").run()
    at.sidebar.button(key="create_collection").click().run()
    assert not at.exception
    assert Collection.is_collection(tmp_path / "collections" / "examiner-2")
    assert at.sidebar.selectbox(key="collection_choice").value == "collections/examiner-2"
