"""Which way a sheet's text runs, from its ink alone (``patimg.ocr.line_direction``), and what reading does with it:
a sheet printed landscape is detected once, turned, and a wrong guess costs a detection, never the turn."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageDraw

from patimg.demo.drawings import font
from patimg.ocr import get_ocr, read_drawing
from patimg.ocr.base import to_working_array
from patimg.ocr.line_direction import line_pairs, text_runs_vertically
from patimg.ocr.orientation import _dpi, rotate_image
from tests.realdata import shared_data_path

LANDSCAPE_SHEET = "patents/us-grants/US12448254-20251021/US12448254-20251021-D00003.TIF"
DASHED_SHEET = "patents/us-design/USD0928144-20210817/USD0928144-20210817-D00004.TIF"
UPRIGHT_SHEET = "patents/us-grants/US12448527-20251021/US12448527-20251021-D00002.TIF"


def _runs_vertically(image: Image.Image) -> bool:
    gray, scale = to_working_array(image)
    return text_runs_vertically(gray, dpi=_dpi(image) * scale)


def _sheet(key: str) -> Image.Image:
    with Image.open(shared_data_path(key)) as image:
        image.load()
        return image


def _labelled_sheet() -> Image.Image:
    """A 300-dpi sheet with a dozen reference signs, upright, 5 mm letters, and a few drawing lines."""
    sheet = Image.new("L", (2400, 3000), 255)
    draw = ImageDraw.Draw(sheet)
    face = font(60)
    for k, sign in enumerate(("104", "12a", "230", "31", "S2", "400", "56", "118", "7B", "260", "88", "342")):
        x, y = 200 + (k % 3) * 700, 300 + (k // 3) * 650
        draw.text((x, y), sign, font=face, fill=0)
        draw.line((x + 150, y + 30, x + 500, y + 300), fill=0, width=4)
    sheet.info["dpi"] = (300, 300)
    return sheet


def test_text_runs_vertically_on_a_turned_sheet_and_not_on_an_upright_one() -> None:
    sheet = _labelled_sheet()
    across, stacked = line_pairs(to_working_array(sheet)[0], dpi=130)
    assert across >= 10 and stacked == 0
    assert not _runs_vertically(sheet)
    for turn in (90, 270):
        turned = rotate_image(sheet, turn)
        turned.info["dpi"] = (300, 300)
        assert _runs_vertically(turned), turn
    assert not _runs_vertically(rotate_image(sheet, 180))


def test_dashed_lines_are_not_text() -> None:
    # A real design sheet: two upright figures drawn with long dashed hidden edges, captions across. The dashes
    # are rows of character-sized blobs running up the page; only their narrowness tells them from letters.
    sheet = _sheet(DASHED_SHEET)
    across, stacked = line_pairs(to_working_array(sheet)[0], dpi=130)
    assert stacked < 10
    assert not _runs_vertically(sheet)


def test_only_the_landscape_sheets_of_the_ground_truth_run_vertically() -> None:
    truth = json.loads(shared_data_path("numerals_groundtruth.json").read_text())["images"]
    called = {key for key in truth if _runs_vertically(_sheet(key))}
    landscape = {key for key, image in truth.items() if image["rotation"] in (90, 270)}
    assert len(landscape) == 9
    assert called == landscape


class CountingOcr:
    """The real backend, counting its detector's runs."""

    def __init__(self, backend) -> None:
        self._backend, self.name, self.detections = backend, backend.name, 0

    def detect(self, gray):
        self.detections += 1
        return self._backend.detect(gray)

    def recognize(self, crops):
        return self._backend.recognize(crops)

    def direction(self, crops):
        return self._backend.direction(crops)


@pytest.fixture(scope="module")
def ocr():
    return get_ocr("rapidocr")


@pytest.mark.slow
def test_a_landscape_sheet_is_detected_once(ocr) -> None:
    sheet = _sheet(LANDSCAPE_SHEET)
    counting = CountingOcr(ocr)
    drawing = read_drawing(sheet, ocr=counting)
    assert drawing.rotation == 90 and counting.detections == 1
    known = CountingOcr(ocr)
    assert read_drawing(sheet, ocr=known, rotation=90) == drawing
    assert known.detections == 1  # a known quarter turn is detected on the upright sheet only


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "guess", "rotation"), [(UPRIGHT_SHEET, True, 0), (LANDSCAPE_SHEET, False, 90)]
)
def test_a_wrong_guess_costs_a_detection_not_the_turn(ocr, monkeypatch, key, guess, rotation) -> None:
    import patimg.ocr.orientation as orientation

    sheet = _sheet(key)
    right = read_drawing(sheet, ocr=ocr)
    monkeypatch.setattr(orientation, "text_runs_vertically", lambda gray, *, dpi: guess)
    counting = CountingOcr(ocr)
    wrong = read_drawing(sheet, ocr=counting)
    assert counting.detections == 2
    assert wrong.rotation == right.rotation == rotation
    assert wrong.labels == right.labels and len(right.labels) >= 10
