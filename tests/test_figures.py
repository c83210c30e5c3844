"""Drawing images to figures: safe loading, sheet splitting by caption, cropping and rendering.

Real sheets come from ``../shared/data/patents`` with the hand-made ground truth
``numerals_groundtruth.json`` (captions printed per image, rotation that makes it upright).
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from patimg.errors import BadInputError
from patimg.figures import (
    FigureRegion,
    crop_figure,
    figure_number,
    figures_from_drawing,
    find_captions,
    header_band,
    load_drawing,
    load_drawing_pages,
    render_labels,
    split_sheet,
)
from patimg.types import Label

US = "patents/us-grants"
MULTI_CAPTION_SHEET = f"{US}/US12448527-20251021/US12448527-20251021-D00002.TIF"
ROTATED_SHEET = f"{US}/US12448254-20251021/US12448254-20251021-D00003.TIF"
EP_FIGURE = "patents/ep/EP1667425/imgf0003.tif"
EP_TWO_FIGURE_IMAGE = "patents/ep/EP1667425/imgf0002.tif"


def _groundtruth(shared_data: Path) -> dict:
    return json.loads((shared_data / "numerals_groundtruth.json").read_text())["images"]


def _numbers(captions) -> set[str]:
    return {figure_number(c).upper() for c in captions}


def _overlap_fraction(a, b) -> float:
    """Intersection of two boxes as a fraction of the smaller one."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (no image data follows)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- loading


def test_load_g4_tiff_as_grayscale(shared_data):
    path = shared_data / MULTI_CAPTION_SHEET
    image = load_drawing(path)
    assert image.mode == "L"
    with Image.open(path) as raw:
        assert image.size == raw.size
    assert image.getextrema() == (0, 255)
    assert load_drawing(path.read_bytes(), name="sheet.tif").size == image.size


def test_multi_page_tiff_loads_every_page(shared_data, tmp_path):
    first = load_drawing(shared_data / MULTI_CAPTION_SHEET)
    second = load_drawing(shared_data / ROTATED_SHEET)
    path = tmp_path / "two-pages.tif"
    first.convert("1").save(path, save_all=True, append_images=[second.convert("1")], compression="group4")
    pages = load_drawing_pages(path)
    assert [p.size for p in pages] == [first.size, second.size]
    assert all(p.mode == "L" for p in pages)
    assert load_drawing(path).size == first.size


def test_truncated_tiff_is_bad_input(shared_data, tmp_path):
    data = (shared_data / MULTI_CAPTION_SHEET).read_bytes()
    path = tmp_path / "truncated.tif"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(BadInputError) as error:
        load_drawing(path)
    assert str(path) in str(error.value)


def test_empty_file_is_bad_input(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty") as error:
        load_drawing(path)
    assert error.value.source == str(path)


def test_text_file_renamed_png_is_bad_input(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("FIG. 1 is a side view of the rotor.\n")
    with pytest.raises(BadInputError, match="not an image") as error:
        load_drawing(path)
    assert error.value.source == str(path)
    assert "BytesIO" not in str(error.value)  # no Python internals in what the examiner reads


def test_truncated_png_names_the_problem_without_internals(tmp_path):
    from PIL import Image

    path = tmp_path / "cut.png"
    Image.new("L", (400, 300), 255).save(path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(BadInputError) as error:
        load_drawing(path)
    assert error.value.source == str(path)
    assert "BytesIO" not in str(error.value)


def test_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        load_drawing(tmp_path / "absent.tif")


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_huge_image_is_refused_before_decoding(tmp_path, side):
    path = tmp_path / f"bomb-{side}.png"
    path.write_bytes(_png_header(side, side))
    with pytest.raises(BadInputError, match="too large") as error:
        load_drawing(path, max_pixels=64_000_000)
    message = str(error.value)
    assert str(path) in message
    assert str(side * side) in message and "64000000" in message


def test_large_legal_image_is_downscaled_to_working_size(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("L", (6000, 1500), 255).save(path)
    image = load_drawing(path, max_side=3000)
    assert image.size == (3000, 750)
    assert load_drawing(path).size == (4200, 1050)  # the default working side
    small = tmp_path / "sheet.png"
    Image.new("L", (2550, 3300), 255).save(small)
    assert load_drawing(small).size == (2550, 3300)  # a 300-dpi Letter sheet stays as it is


def test_transparent_png_becomes_white_paper(tmp_path):
    path = tmp_path / "transparent.png"
    rgba = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).line((0, 15, 39, 15), fill=(0, 0, 0, 255), width=3)
    rgba.save(path)
    image = load_drawing(path)
    assert image.getpixel((5, 2)) == 255 and image.getpixel((5, 15)) == 0


# ---------------------------------------------------------------- splitting (synthetic sheet)


def _label(text, kind, box):
    return Label(text=text, kind=kind, box=tuple(float(v) for v in box), confidence=0.99)


def _two_figure_sheet():
    """A 1200x1600 sheet: drawing A above caption FIG. 1, drawing B above caption FIG. 2."""
    sheet = Image.new("L", (1200, 1600), 255)
    draw = ImageDraw.Draw(sheet)
    draw.rectangle((200, 200, 900, 600), outline=0, width=5)
    draw.line((900, 400, 1000, 330), fill=0, width=3)  # leader line to numeral 10
    draw.line((300, 300, 320, 320), fill=0, width=3)  # a stroke inside A, not touching its outline
    draw.ellipse((250, 900, 850, 1300), outline=0, width=5)
    labels = [
        _label("10", "reference", (1005, 300, 1060, 340)),
        _label("FIG. 1", "figure", (450, 650, 620, 700)),
        _label("20", "reference", (500, 1080, 560, 1120)),
        _label("FIG. 2", "figure", (450, 1350, 620, 1400)),
        _label("U.S. Patent", "other", (50, 20, 300, 60)),
        _label("Sheet 3 of 12", "other", (500, 20, 800, 60)),
        _label("12", "reference", (760, 20, 800, 60)),
    ]
    return sheet, labels


def test_split_synthetic_sheet_one_region_per_caption():
    sheet, labels = _two_figure_sheet()
    regions = split_sheet(sheet, labels)
    assert [(r.caption, r.figure_num, r.split) for r in regions] == [
        ("FIG. 1", "1", "caption"),
        ("FIG. 2", "2", "caption"),
    ]
    first, second = regions
    assert first.box[0] <= 200 and first.box[1] <= 200 and first.box[2] >= 1060 and first.box[3] >= 700
    assert second.box[1] >= 700 and second.box[3] >= 1400
    assert _overlap_fraction(first.box, second.box) == 0.0
    assert {lab.text for lab in first.labels} == {"FIG. 1", "10"}
    assert {lab.text for lab in second.labels} == {"FIG. 2", "20"}


def test_header_band_labels_are_dropped():
    sheet, labels = _two_figure_sheet()
    assert header_band(sheet.size, labels) == pytest.approx((0, 0, 1200, 76), abs=1)
    kept = {lab.text for region in split_sheet(sheet, labels) for lab in region.labels}
    assert "12" not in kept and "Sheet 3 of 12" not in kept
    # On a sheet turned 90 degrees clockwise to be upright, the page's top edge is on the right.
    turned = [_label("Sheet 3 of 12", "other", (1150, 500, 1190, 800))]
    assert header_band((1200, 1600), turned, rotation=90) == pytest.approx((1138, 0, 1200, 1600), abs=1)
    assert header_band((1200, 1600), turned, rotation=0) is None
    # Reference signs near the top edge never make a header band, even ones that look like kind codes.
    signs = [_label("A1", "reference", (500, 20, 560, 60)), _label("B2", "reference", (600, 20, 660, 60))]
    assert header_band((1200, 1600), signs) is None
    dated = [_label("Oct. 21, 2025", "other", (400, 30, 700, 70))]
    assert header_band((1200, 1600), dated) == pytest.approx((0, 0, 1200, 86), abs=1)


def test_split_single_caption_gives_whole_content_region():
    sheet, labels = _two_figure_sheet()
    only_first = [lab for lab in labels if lab.text != "FIG. 2"]
    (region,) = split_sheet(sheet, only_first)
    assert (region.caption, region.figure_num, region.split) == ("FIG. 1", "1", "single")
    assert region.box[0] >= 190 and region.box[1] >= 190  # cropped to the content, header band left out
    assert region.box[3] >= 1300


def test_split_refused_when_a_caption_has_no_drawing():
    sheet, labels = _two_figure_sheet()
    lonely = [*labels, _label("FIG. 3", "figure", (450, 1540, 620, 1590))]
    sheet = sheet.copy()
    ImageDraw.Draw(sheet).rectangle((250, 900, 850, 1300), fill=255)  # FIG. 2's drawing erased
    regions = split_sheet(sheet, lonely)
    assert len(regions) == 1
    assert regions[0].split == "whole-sheet"
    assert regions[0].captions == ("FIG. 1", "FIG. 2", "FIG. 3")
    assert regions[0].figure_num == ""


def test_caption_sub_letter_is_joined():
    caption = _label("FIG. 3", "figure", (10, 10, 190, 100))
    letter = _label("a", "reference", (200, 20, 240, 80))
    far_letter = _label("b", "reference", (900, 20, 940, 80))
    (found,) = find_captions([caption, letter, far_letter])
    assert found.text == "FIG. 3(a)" and figure_number(found.text) == "3(a)"
    assert found.parts == (caption, letter)


@pytest.mark.parametrize(
    ("caption", "number"),
    [("FIG. 3", "3"), ("Fig.1B", "1B"), ("Fig.3 (a)", "3(a)"), ("FIGURE 12", "12"), ("Sheet 3", "")],
)
def test_figure_number(caption, number):
    assert figure_number(caption) == number


# ---------------------------------------------------------------- crop and render


def test_crop_figure_keeps_margin_and_clips():
    sheet, _ = _two_figure_sheet()
    assert crop_figure(sheet, (200, 200, 900, 600), margin=10).size == (720, 420)
    assert crop_figure(sheet, (0, 0, 50, 50), margin=10).size == (60, 60)
    with pytest.raises(BadInputError):
        crop_figure(sheet, (5000, 5000, 6000, 6000))
    with pytest.raises(BadInputError):
        crop_figure(sheet, (100, 100, 100, 300))


def test_render_labels_highlights_one_sign():
    sheet, labels = _two_figure_sheet()
    plain = render_labels(sheet, labels)
    marked = render_labels(sheet, labels, highlight="20")
    assert plain.mode == marked.mode == "RGB" and sheet.mode == "L"
    red = (214, 39, 40)
    colours = {c for _, c in marked.crop((490, 1070, 570, 1130)).getcolors(1 << 16)}
    assert red in colours
    assert red not in {c for _, c in plain.getcolors(1 << 16)}
    assert red not in {c for _, c in marked.crop((995, 290, 1070, 350)).getcolors(1 << 16)}


# ---------------------------------------------------------------- real sheets through OCR (slow)


@pytest.fixture(scope="module")
def ocr():
    from patimg.ocr import get_ocr

    return get_ocr("rapidocr")


@pytest.fixture(scope="module")
def read_sheets(shared_data, ocr):
    """figures_from_drawing on a few real images, computed once (OCR takes ~15 s a sheet)."""
    cache: dict[tuple[str, str], object] = {}

    def read(relative: str, kind: str):
        if (relative, kind) not in cache:
            image = load_drawing(shared_data / relative)
            cache[relative, kind] = figures_from_drawing(image, ocr=ocr, kind=kind)
        return cache[relative, kind]

    return read


def _check_split(found, expected_captions):
    regions = found.regions
    assert all(isinstance(r, FigureRegion) for r in regions)
    assert [r.split for r in regions] == ["caption"] * len(expected_captions)
    assert _numbers(r.caption for r in regions) == _numbers(expected_captions)
    assert len(regions) == len(expected_captions)
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            assert _overlap_fraction(a.box, b.box) < 0.35, (a.caption, b.caption)
    sheet_labels = [id(lab) for lab in found.labels]
    for region in regions:
        assert {id(lab) for lab in region.labels} <= set(sheet_labels)
        x0, y0, x1, y1 = region.box
        assert 0 <= x0 < x1 <= found.image.width and 0 <= y0 < y1 <= found.image.height
    all_region_labels = [id(lab) for r in regions for lab in r.labels]
    assert len(all_region_labels) == len(set(all_region_labels))  # no label in two figures


@pytest.mark.slow
def test_real_sheet_with_three_figures_splits_by_caption(shared_data, read_sheets):
    truth = _groundtruth(shared_data)[MULTI_CAPTION_SHEET]
    assert len(truth["figures"]) >= 2
    found = read_sheets(MULTI_CAPTION_SHEET, "sheet")
    assert found.rotation == truth["rotation"] == 0
    _check_split(found, truth["figures"])
    # Each region holds its own caption label, and the regions follow the captions down the page.
    for region in found.regions:
        assert any(lab.kind == "figure" and lab.text == region.caption for lab in region.labels)
    tops = [r.box[1] for r in found.regions]
    assert tops == sorted(tops)


def _multi_caption_images() -> list[str]:
    """Real images printing several captions, from the ground truth (read at collection, so no OCR here)."""
    from tests.realdata import SHARED_DATA

    path = SHARED_DATA / "numerals_groundtruth.json"
    if not path.exists():
        return ["(no shared data)"]
    return sorted(key for key, value in _groundtruth(SHARED_DATA).items() if len(value["figures"]) >= 2)


@pytest.mark.slow
@pytest.mark.parametrize("relative", _multi_caption_images())
def test_every_real_multi_caption_image_splits_by_caption(shared_data, read_sheets, relative):
    """Each printed caption becomes its own figure, whatever the layout (stacks, grids, turned sheets)."""
    truth = _groundtruth(shared_data)[relative]
    found = read_sheets(relative, "figure" if "/ep/" in relative else "sheet")
    assert found.rotation == truth["rotation"]
    _check_split(found, truth["figures"])
    for region in found.regions:
        assert any(lab.kind == "figure" and lab.text == region.caption for lab in region.labels)
    band = header_band(found.image.size, found.labels, rotation=found.rotation)
    placed = {id(lab) for r in found.regions for lab in r.labels}
    for label in found.labels:  # every sign read outside the header lands in a figure
        if label.kind == "reference" and not (band and _inside_band(label.box, band)):
            assert id(label) in placed, label


def _inside_band(box, band) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return band[0] <= cx <= band[2] and band[1] <= cy <= band[3]


@pytest.mark.slow
def test_rotated_sheet_is_upright_and_split(shared_data, read_sheets):
    truth = _groundtruth(shared_data)[ROTATED_SHEET]
    assert truth["rotation"] == 90
    with Image.open(shared_data / ROTATED_SHEET) as raw:
        stored = raw.size
    found = read_sheets(ROTATED_SHEET, "sheet")
    assert found.rotation == 90
    assert found.image.size == (stored[1], stored[0])
    _check_split(found, truth["figures"])


@pytest.mark.slow
def test_ep_figure_image_gives_one_region(shared_data, read_sheets):
    truth = _groundtruth(shared_data)[EP_FIGURE]
    found = read_sheets(EP_FIGURE, "figure")
    (region,) = found.regions
    assert region.split == "single"
    assert _numbers([region.caption]) == _numbers(truth["figures"])
    assert found.rotation == truth["rotation"]
    x0, y0, x1, y1 = region.box
    assert (x1 - x0) * (y1 - y0) < found.image.width * found.image.height  # cropped to the drawing


@pytest.mark.slow
def test_ep_figure_image_with_two_captions_is_split(shared_data, read_sheets):
    truth = _groundtruth(shared_data)[EP_TWO_FIGURE_IMAGE]
    assert len(truth["figures"]) == 2
    found = read_sheets(EP_TWO_FIGURE_IMAGE, "figure")
    _check_split(found, truth["figures"])


@pytest.mark.slow
def test_abstract_image_is_never_split(shared_data, read_sheets):
    found = read_sheets(EP_TWO_FIGURE_IMAGE, "abstract")
    (region,) = found.regions
    assert region.split == "single"
    assert _numbers(region.captions) == _numbers(_groundtruth(shared_data)[EP_TWO_FIGURE_IMAGE]["figures"])


def test_unknown_drawing_kind_is_bad_input():
    sheet, _ = _two_figure_sheet()
    with pytest.raises(BadInputError, match="unknown drawing kind"):
        figures_from_drawing(sheet, ocr=None, kind="poster")


@pytest.fixture
def synthetic_reader(monkeypatch):
    """Stands in for the OCR: ``read_drawing`` returns the synthetic sheet's labels, upright as given."""
    import patimg.ocr
    from patimg.ocr.base import DrawingText

    def install(labels):
        def read_drawing(image, *, ocr, rotation=None):
            return DrawingText(rotation=rotation or 0, image=image, labels=tuple(labels))

        monkeypatch.setattr(patimg.ocr, "read_drawing", read_drawing)

    return install


def test_figures_from_drawing_by_kind(synthetic_reader):
    sheet, labels = _two_figure_sheet()
    synthetic_reader(labels)
    as_sheet = figures_from_drawing(sheet, ocr=None, kind="sheet")
    assert [(r.caption, r.split) for r in as_sheet.regions] == [("FIG. 1", "caption"), ("FIG. 2", "caption")]
    assert as_sheet.labels == tuple(labels) and as_sheet.rotation == 0
    as_figure = figures_from_drawing(sheet, ocr=None, kind="figure")
    assert [r.caption for r in as_figure.regions] == ["FIG. 1", "FIG. 2"]  # two captions: split anyway
    (abstract,) = figures_from_drawing(sheet, ocr=None, kind="abstract").regions
    assert (abstract.split, abstract.captions, abstract.figure_num) == ("single", ("FIG. 1", "FIG. 2"), "")
    assert "12" not in {lab.text for lab in abstract.labels}  # header band dropped here too


def test_figure_image_without_caption_takes_the_publications_number(synthetic_reader):
    sheet, labels = _two_figure_sheet()
    synthetic_reader([lab for lab in labels if lab.kind != "figure"])
    (region,) = figures_from_drawing(sheet, ocr=None, kind="figure", figure_num="7").regions
    assert (region.caption, region.figure_num, region.split) == ("FIG. 7", "7", "single")
    (region,) = figures_from_drawing(sheet, ocr=None, kind="figure").regions
    assert (region.caption, region.figure_num) == ("", "")
