"""The app in a real browser: ``streamlit run app.py`` on 127.0.0.1, driven by headless Chromium.

A real USPTO design drawing is dropped on the Search page, results appear, one is opened next to the
query with its linked sentences; every page is screenshotted into ``test-output/browser/``. With
``PATIMG_UPDATE_SCREENSHOTS=1`` the Search and Browse screenshots are also copied to
``assets/screenshots/`` for the README. Only localhost traffic: Chromium runs with networking extras off.
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
def app_url(demo_collection, tmp_path_factory):
    with serve_app(demo_collection, tmp_path_factory.mktemp("streamlit") / "server.log") as url:
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


def _publish(shot: Path, name: str) -> None:
    if os.environ.get("PATIMG_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "assets" / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)


def test_drop_a_real_drawing_search_open_browse(app_url: str, browser) -> None:
    design = sorted(shared_data_path("patents", "us-design").glob("*/*-D00001.TIF"))
    assert design, "no us-design drawing sheet in the shared data"
    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    external = watch_external_requests(page)
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    page.get_by_text("Search figures").first.wait_for()
    wait_until_idle(page)  # input given while the page is still drawn can be lost

    page.set_input_files("input[type=file]", str(design[0]))
    page.get_by_text("Query drawing").first.wait_for()
    wait_until_idle(page)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text(re.compile(r"^\d+ results$")).first.wait_for()
    page.get_by_role(
        "button", name="Open result 1", exact=True
    ).wait_for()  # results arrive while the page renders
    assert page.get_by_text("Reference signs read on the query").count() == 1
    _shot(page, "search-results")

    page.get_by_role("button", name="Open result 1", exact=True).click()
    page.get_by_text(re.compile(r"Query and result #1")).first.wait_for()
    page.get_by_text("Reference sign", exact=True).first.wait_for()
    assert page.get_by_text("•").count() > 0 or page.get_by_text("unlinked").count() > 0
    _publish(_shot(page, "search"), "search")

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
