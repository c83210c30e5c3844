"""The Search page as an examiner uses it (issue 12), driven headless with ``streamlit.testing``: a real grant's
sheet uploaded, its figures chosen and a region cut, results marked and refined, the marks kept as judgments, the
report offered, the history re-opening a search; a drawing with its pasted description; a publication uploaded;
settings and results surviving another page; the figure type filter; the Collection page's counters after an
import.

Uploads go through the real upload widget (``AppTest`` uploads files since Streamlit 1.67).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import shared_data_path
from tests.test_app import TIMEOUT, _page, _texts

pytestmark = pytest.mark.slow

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
REPO = Path(__file__).resolve().parents[1]
GRANT = ("patents", "us-grants", "US12448249-20251021")


def sheet_path() -> Path:
    """A real US grant sheet holding FIG. 3, 4, 5 and 6."""
    folder = shared_data_path(*GRANT)
    return folder / f"{folder.name}-D00002.TIF"


def upload_sheet(at, sheet: Path):
    at.file_uploader(key="query_file").set_value((sheet.name, sheet.read_bytes(), "image/tiff"))
    return at.run()


def test_the_examiners_search_on_a_real_sheet(demo_copy: Path) -> None:
    from patimg.evaluation.store import JudgmentStore
    from patimg.multi_query import fuse_query_hits

    at = _page("search").run()
    at.sidebar.text_input(key="annotator").set_value("ann").run()
    upload_sheet(at, sheet_path())
    assert not at.exception and not at.error, _texts(at.error)
    figures = at.multiselect(key="sheet_figures")
    assert figures.options == ["1 · FIG. 3", "2 · FIG. 4", "3 · FIG. 5", "4 · FIG. 6"]
    assert figures.value == ["f1", "f2", "f3", "f4"]  # every figure found, until the examiner chooses
    assert any("No description" in c.value for c in at.caption)  # item 2: without a description, said so

    figures.set_value(["f1"]).run()
    at.checkbox(key="crop_on").check().run()
    at.slider(key="crop_x").set_value((55, 90)).run()
    at.slider(key="crop_y").set_value((45, 75)).run()
    assert len(at.image) == 2  # the sheet with its boxes, and the region cut
    at.button(key="search_button").click().run()
    assert not at.exception and not at.error, _texts(at.error)

    shown = at.session_state["search"]
    queries = shown.result.query_figures
    assert [q.figure.caption for q in queries] == ["FIG. 3", "FIG. 5"]  # the region holds FIG. 5
    assert at.radio(key="results_of").options == ["All query figures, fused", "FIG. 3 (f1)", "FIG. 5 (crop1)"]
    fused = fuse_query_hits([q.result for q in queries], k=shown.settings.k)
    assert at.subheader[0].value == f"{len(fused)} results"
    cards = [m.value for m in at.markdown if "Espacenet" in m.value]
    assert len(cards) == len(fused) and all("Google Patents" in c and "USPTO" in c for c in cards)

    at.button_group(key=f"mark-{fused[0].figure_id}").set_value("relevant").run()
    at.button_group(key=f"mark-{fused[1].figure_id}").set_value("not relevant").run()
    assert at.session_state["marks"] == {fused[0].figure_id: "relevant", fused[1].figure_id: "not relevant"}
    store = JudgmentStore(demo_copy / "judgments.sqlite")
    judged = {(j.figure_id, j.grade) for j in store.judgments(annotator="ann")}
    assert judged == {(fused[0].figure_id, 2), (fused[1].figure_id, 0)}

    at.button(key="more_like_these").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    refined = at.session_state["search"]
    assert refined.refinements == 1
    assert all(q.result.channels_used == ["visual", "text"] for q in refined.result.query_figures)
    assert at.button_group(key=f"mark-{fused[0].figure_id}").value == "relevant"  # marks stay on the cards

    # The report: made on a click, with the marks and the notes just typed (escaped: they are text).
    at.text_area(key="examiner_notes").set_value("FIG. 5 <b>anticipates</b> claim 1.").run()
    at.button(key="make_report").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    page = at.session_state["report"][1].decode("utf-8")
    assert "FIG. 5 &lt;b&gt;anticipates&lt;/b&gt; claim 1." in page and "<td>ann</td>" in page
    assert page.count("class='card relevant'") >= 1 and page.count("class='card not-relevant'") >= 1
    assert at.download_button(key="report_download")
    at.button_group(key=f"mark-{fused[2].figure_id}").set_value("relevant").run()
    assert not at.get("download_button") or all(d.key != "report_download" for d in at.download_button)
    assert any("make it again" in c.value for c in at.caption)

    at.toggle(key="group_by_patent").set_value(True).run()
    assert not at.exception
    assert len([m for m in at.markdown if "Espacenet" in m.value]) >= 2

    # The history lists both searches; re-opening the first shows its results again, as logged.
    history = [b for b in at.sidebar.button if str(b.key).startswith("reopen-")]
    assert len(history) == 2 and "more like 2 marked results" in history[0].label
    history[1].click().run()
    assert not at.exception
    reopened = at.session_state["search"]
    assert [h.figure_id for h in reopened.result.query_figures[0].result.hits] == [
        h.figure_id for h in queries[0].result.hits
    ]
    assert any("re-opened from the audit log" in i.value.replace("\\", "") for i in at.info)


def test_a_drawing_with_its_pasted_description(demo_copy: Path) -> None:
    from tests.test_document_query import pasted_description

    folder = shared_data_path(*GRANT)
    at = upload_sheet(_page("search").run(), sheet_path())
    at.multiselect(key="sheet_figures").set_value(["f1", "f2"]).run()
    at.text_area(key="description_text").set_value(pasted_description(folder / f"{folder.name}.XML")).run()
    assert not any("No description" in c.value for c in at.caption)
    at.button(key="search_button").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    queries = at.session_state["search"].result.query_figures
    assert all(q.linked_signs and q.result.channels_used == ["visual", "text"] for q in queries)

    # Another description (here: a binary file) takes the results away and says what is wrong with it.
    at.text_area(key="description_text").set_value("").run()
    at.file_uploader(key="description_file").set_value(
        ("notes.txt", b"\xff\xfe\x00binary", "text/plain")
    ).run()
    assert "search" not in at.session_state
    assert any("notes.txt" in e.value and "UTF-8" in e.value for e in at.error)


def test_a_publication_upload_is_searched_figure_by_figure(demo_copy: Path) -> None:
    archive = shared_data_path("patents", "us-grants", "US12448730-20251021.ZIP")
    at = _page("search").run()
    at.radio(key="query_source").set_value("Upload a publication").run()
    at.file_uploader(key="publication_files").set_value([("broken.zip", b"PK not a zip", "application/zip")])
    at.run()
    at.button(key="search_button").click().run()
    assert not at.exception
    assert [e.value for e in at.error] and at.error[0].value.startswith("broken.zip: ")
    assert "patimg-upload" not in at.error[0].value  # the upload's name, never the server's folder

    at.file_uploader(key="publication_files").set_value(
        [(archive.name, archive.read_bytes(), "application/zip")]
    )
    at.run()
    at.button(key="search_button").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    result = at.session_state["search"].result
    assert result.query_patents == ["US12448730B2"] and len(result.query_figures) >= 2
    assert result.patents and all(q.result.hits for q in result.query_figures)
    assert not any("patimg-upload" in note for note in result.notes)


def test_settings_and_results_survive_another_page(demo_copy: Path) -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.radio(key="query_source").set_value("A figure of the collection").run()
    at.selectbox(key="fusion").set_value("max").run()
    at.slider(key="k").set_value(10).run()
    at.button(key="search_button").click().run()
    hits = at.session_state["search"].result.hits
    assert len(hits) == 10

    at.switch_page("app_pages/browse.py").run()
    assert not at.exception
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    assert at.selectbox(key="fusion").value == "max" and at.slider(key="k").value == 10
    assert at.radio(key="query_source").value == "A figure of the collection"
    assert at.session_state["search"].result.hits == hits
    assert at.subheader[0].value == "10 results"


def test_the_figure_type_filter_keeps_only_figures_of_those_types(demo_copy: Path) -> None:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT).run()
    at.radio(key="query_source").set_value("A figure of the collection").run()
    at.multiselect(key="figure_kinds").set_value(["chart", "table"]).run()
    at.button(key="search_button").click().run()
    assert at.session_state["search"].result.hits == []  # the demo draws objects only
    assert any("check the filters" in w.value for w in at.warning)
    at.multiselect(key="figure_kinds").set_value(["drawing"]).run()
    at.button(key="search_button").click().run()
    hits = at.session_state["search"].result.hits
    assert hits and {hit.figure_kind for hit in hits} == {"drawing"}
    assert any("drawing · score" in card.value for card in at.markdown)  # each card names its figure's type


def test_the_collection_counters_follow_an_upload_import(demo_copy: Path, tmp_path: Path) -> None:
    from patimg.demo import write_demo_publications

    publication = write_demo_publications(tmp_path / "new", n_patents=1, seed=7)[0]
    at = _page("collection").run()
    before = {m.label: int(m.value) for m in at.metric}
    files = [(p.name, p.read_bytes(), "application/octet-stream") for p in sorted(publication.iterdir())]
    at.file_uploader(key="import_files").set_value(files).run()
    at.button(key="import_uploads").click().run()
    assert not at.exception and not at.error, _texts(at.error)
    after = {m.label: int(m.value) for m in at.metric}
    assert after["Patents"] == before["Patents"] + 1 and after["Figures"] > before["Figures"]
