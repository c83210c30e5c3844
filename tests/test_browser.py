"""The app in a real browser: ``streamlit run app.py`` on 127.0.0.1, driven by headless Chromium.

A real USPTO design drawing is dropped on the Search page, results appear, one is zoomed beside the query with
its linked sentences; an examiner's whole search runs on a real utility grant's sheet (one figure picked, a
region cut, two results marked, the search refined, the report downloaded and opened); every page is
screenshotted into ``test-output/browser/``. With ``PATIMG_UPDATE_SCREENSHOTS=1`` the Search and Browse
screenshots are also copied to ``assets/screenshots/`` for the README. Only localhost traffic: Chromium runs
with networking extras off. The app serves a copy of the demo collection: the examiner's marks are written.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.appserver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    require_chromium,
    serve_app,
    wait_until_idle,
    watch_external_requests,
)
from tests.realdata import shared_data_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUT = REPO / "test-output" / "browser"
WAIT_MS = 600_000  # the first search loads encoders and OCR models on a busy 2-core machine


@pytest.fixture(scope="module")
def served_collection(demo_collection, tmp_path_factory) -> Path:
    """A copy of the demo collection without judgments: the browser's searches and marks are written to it."""
    copy = tmp_path_factory.mktemp("served") / "demo"
    shutil.copytree(demo_collection, copy, ignore=shutil.ignore_patterns("judgments.sqlite*"))
    return copy


@pytest.fixture(scope="module")
def app_url(served_collection, tmp_path_factory):
    with serve_app(served_collection, tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _shot(page, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    page.wait_for_timeout(1500)  # let images finish drawing
    page.screenshot(path=str(path))  # Streamlit scrolls inside the page: a tall viewport shows it
    return path


def _publish(shot: Path, name: str, *, width: int | None = None) -> None:
    """Copy a screenshot to ``assets/screenshots/`` (with ``PATIMG_UPDATE_SCREENSHOTS=1``), scaled down to
    ``width`` pixels and reduced to 128 colours when given, so the README's PNG stays small."""
    if os.environ.get("PATIMG_UPDATE_SCREENSHOTS") != "1":
        return
    target = REPO / "assets" / "screenshots" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    if width is None:
        shutil.copyfile(shot, target)
        return
    from PIL import Image

    with Image.open(shot) as image:
        small = image.convert("RGB").resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    small.quantize(colors=128).save(target, optimize=True)


def drop_drawing(page, drawing: Path) -> None:
    """Drop a drawing on the Search page's drawing upload and wait until its figures are found."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Drop a drawing sheet")
    uploader.locator("input[type=file]").set_input_files(str(drawing))
    page.get_by_text(re.compile("Figures found on the sheet")).first.wait_for()
    wait_until_idle(page)


def test_drop_a_real_drawing_search_zoom_browse(app_url: str, browser) -> None:
    design = sorted(shared_data_path("patents", "us-design").glob("*/*-D00001.TIF"))
    assert design, "no us-design drawing sheet in the shared data"
    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    external = watch_external_requests(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    page.get_by_text("Search figures").first.wait_for()
    wait_until_idle(page)  # input given while the page is still drawn can be lost

    drop_drawing(page, design[0])
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text(re.compile(r"^\d+ results$")).first.wait_for()
    page.get_by_role("button", name="Zoom").first.wait_for()  # results arrive while the page renders
    wait_until_idle(page)
    _shot(page, "search-results")

    page.get_by_role("button", name="Zoom").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("The result beside the query").wait_for()
    dialog.get_by_text("Reference sign", exact=True).first.wait_for()
    # The sign rows draw after their heading: wait for one before counting.
    dialog.get_by_text("•").or_(dialog.get_by_text("unlinked")).first.wait_for()
    assert dialog.get_by_text("•").count() > 0 or dialog.get_by_text("unlinked").count() > 0
    _shot(page, "search-zoom")
    page.keyboard.press("Escape")

    page.goto(f"{app_url}/browse")
    page.get_by_text("Browse the collection").first.wait_for()
    page.get_by_text("Reference signs on this figure").first.wait_for()
    assert page.get_by_text("•").count() > 0  # linked sentences of the selected sign
    # The figure with its signs boxed, and one hover region per sign whose title (the browser's own
    # tooltip) names the term and quotes the sentences; it must survive Streamlit's HTML sanitiser.
    drawing = page.locator("div.patimg-figure img").first
    drawing.wait_for()
    assert drawing.bounding_box()["height"] > 200
    regions = page.locator("div.patimg-figure span.patimg-sign")
    assert regions.count() > 0
    region = regions.first
    box = region.bounding_box()
    assert box and box["width"] > 5 and box["height"] > 5  # placed over the numeral, not collapsed
    region.hover()
    assert region.evaluate("r => getComputedStyle(r).outlineWidth") == "3px"  # the :hover style applies
    assert region.get_attribute("title").startswith(region.get_attribute("data-sign") + ": ")
    _publish(_shot(page, "browse"), "browse")

    page.goto(f"{app_url}/collection")
    page.get_by_text("Import publications").first.wait_for()
    _shot(page, "collection")
    assert not page.get_by_text("Traceback").count()
    assert external == [], "an offline app asks for nothing outside this machine"


def test_the_examiners_search(app_url: str, served_collection: Path, browser, tmp_path: Path) -> None:
    """Issue 12's examiner: a multi-figure sheet of a real grant, one figure picked and a region cut, two
    results marked, the search refined with them, the report made, downloaded and opened."""
    from patimg.evaluation.store import JudgmentStore

    folder = shared_data_path("patents", "us-grants", "US12448249-20251021")
    page = browser.new_page(viewport={"width": 1500, "height": 2400}, accept_downloads=True)
    external = watch_external_requests(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    page.get_by_text("Search figures").first.wait_for()
    wait_until_idle(page)
    page.get_by_label("Examiner", exact=True).fill("ann")
    page.keyboard.press("Enter")
    wait_until_idle(page)

    drop_drawing(page, folder / f"{folder.name}-D00002.TIF")  # FIG. 3 to 6 on one sheet
    for figure in ("2 · FIG. 4", "3 · FIG. 5", "4 · FIG. 6"):  # keep FIG. 3 only
        page.get_by_role("button", name=f"Remove {figure}").click()
        wait_until_idle(page)
    page.get_by_text("Also search a region cut by hand").click()
    wait_until_idle(page)
    # The region's edges move from 25-75 % with the keyboard, as a user can: to 55-90 % across, 45-75 % down.
    for edge, presses in (
        ("left to right (% of the sheet's width) — end", 15),
        ("left to right (% of the sheet's width) — start", 30),
        ("top to bottom (% of the sheet's height) — start", 20),
    ):
        thumb = page.locator(f'input[type=range][aria-label="Region, {edge}"]')
        thumb.focus()
        for _ in range(presses):
            thumb.press("ArrowRight")
        wait_until_idle(page)
    page.get_by_text("The region cut by hand: FIG. 5").wait_for()

    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text(re.compile(r"^\d+ results$")).first.wait_for()
    wait_until_idle(page)
    assert page.get_by_text("FIG. 3 (f1)").count() == 1 and page.get_by_text("FIG. 5 (crop1)").count() == 1
    marks = page.get_by_test_id("stButtonGroup")
    marks.nth(0).get_by_role("radio", name="relevant", exact=True).click()
    wait_until_idle(page)
    marks.nth(1).get_by_role("radio", name="not relevant", exact=True).click()
    wait_until_idle(page)
    page.get_by_role("button", name="More like these (1 relevant, 1 not)").click()
    page.get_by_text("Refined 1 time with the marked results.").wait_for()
    wait_until_idle(page)
    assert page.get_by_role("radio", name="relevant", exact=True, checked=True).count() == 1
    page.get_by_text("Search figures").first.scroll_into_view_if_needed()  # the sheet, then the results
    _publish(_shot(page, "examiner-search"), "search", width=1100)

    page.get_by_label("Examiner's notes (they go into the report)").fill("FIG. 5 <b>anticipates</b> claim 1.")
    page.get_by_role("button", name="Make the search report").click()  # the notes are sent with the click
    download_button = page.get_by_role("button", name="Download the search report (HTML)")
    download_button.wait_for()
    wait_until_idle(page)
    with page.expect_download() as download:
        download_button.click()
    report_path = tmp_path / download.value.suggested_filename
    download.value.save_as(report_path)
    assert report_path.name.startswith("patimg-report-") and report_path.suffix == ".html"

    report = browser.new_page(viewport={"width": 1400, "height": 2000})
    report_requests = watch_external_requests(report)
    report.set_content(report_path.read_text(encoding="utf-8"))
    report.get_by_text("PatImg search report").wait_for()
    assert report.get_by_text("FIG. 5 <b>anticipates</b> claim 1.").count() == 1  # the notes, as text
    assert report.locator(".card.relevant").count() >= 1 and report.locator(".card.not-relevant").count() >= 1
    images = report.locator("img")
    assert images.count() > 10
    assert report.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    _shot(report, "examiner-report")
    assert report_requests == [] and external == []

    judged = JudgmentStore(served_collection / "judgments.sqlite").judgments(annotator="ann")
    assert {j.grade for j in judged} == {0, 2} and len({j.figure_id for j in judged}) == 2
    assert not page.get_by_text("Traceback").count()
