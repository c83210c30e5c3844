"""Reading real patent drawings with patimg.ocr (RapidOCR, offline) and the EasyOCR error path."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from patimg.errors import BadInputError, ModelUnavailableError
from patimg.ocr import DrawingText, detect_rotation, get_ocr, read_drawing
from patimg.ocr.base import rotate_box
from patimg.ocr.easy import REQUIRED_WEIGHTS
from tests.realdata import shared_data_path

ROTATED_SHEET = "patents/us-grants/US12448254-20251021/US12448254-20251021-D00003.TIF"
COMBINED_LABELS_SHEET = "patents/us-grants/US12448527-20251021/US12448527-20251021-D00002.TIF"
LETTER_SIGNS_SHEET = "patents/us-grants/US12448249-20251021/US12448249-20251021-D00001.TIF"


def _truth(key: str) -> dict:
    truth = json.loads(shared_data_path("numerals_groundtruth.json").read_text())["images"]
    return truth[key]


def _sheet(key: str) -> Image.Image:
    with Image.open(shared_data_path(key)) as image:
        image.load()
        return image


def _recall(found: set[str], truth: set[str]) -> float:
    return len(found & truth) / len(truth)


@pytest.fixture(scope="module")
def ocr():
    return get_ocr("rapidocr")


def test_easyocr_without_weights_says_what_to_put_where(tmp_path) -> None:
    with pytest.raises(ModelUnavailableError) as raised:
        get_ocr("easyocr", model_dir=str(tmp_path))
    message = str(raised.value)
    assert str(tmp_path) in message
    for name in REQUIRED_WEIGHTS:
        assert name in message
    assert "rapidocr" in message


def test_easyocr_weights_folder_from_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATIMG_EASYOCR_DIR", str(tmp_path / "weights"))
    with pytest.raises(ModelUnavailableError, match="weights"):
        get_ocr("easyocr")


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown OCR backend"):
        get_ocr("tesseract")


def test_non_image_input_is_bad_input(ocr) -> None:
    with pytest.raises(BadInputError, match="PIL image"):
        read_drawing(b"not an image", ocr=ocr)


def test_truncated_tiff_is_bad_input(ocr) -> None:
    data = shared_data_path(COMBINED_LABELS_SHEET).read_bytes()
    image = Image.open(io.BytesIO(data[: len(data) // 3]))
    with pytest.raises(BadInputError, match="cannot be decoded"):
        read_drawing(image, ocr=ocr)


def test_rotation_must_be_a_quarter_turn(ocr) -> None:
    with pytest.raises(ValueError, match="multiple of 90"):
        read_drawing(Image.new("L", (64, 64), 255), ocr=ocr, rotation=45)


def test_blank_image_reads_nothing(ocr) -> None:
    drawing = read_drawing(Image.new("1", (400, 300), 1), ocr=ocr)
    assert drawing.labels == ()
    assert drawing.rotation == 0


def test_rotate_box_round_trip() -> None:
    size = (100.0, 60.0)
    box = (10.0, 5.0, 30.0, 15.0)
    turned = rotate_box(box, 90, size)
    assert turned == (45.0, 10.0, 55.0, 30.0)
    assert rotate_box(turned, 270, (size[1], size[0])) == box
    assert rotate_box(rotate_box(box, 180, size), 180, size) == box


@pytest.mark.slow
def test_combined_labels_sheet_reads_signs_and_captions(ocr) -> None:
    truth = _truth(COMBINED_LABELS_SHEET)
    drawing = read_drawing(_sheet(COMBINED_LABELS_SHEET), ocr=ocr)
    assert isinstance(drawing, DrawingText)
    assert drawing.rotation == truth["rotation"] == 0
    # "106, 114" and "108, 112" are printed as combined labels: they must come out split.
    assert _recall(drawing.signs(), set(truth["labels"])) >= 0.8
    assert {"106", "114", "108", "112"} <= drawing.signs()
    assert [c.text for c in drawing.captions()] == ["FIG. 2", "FIG. 3", "FIG. 4"]
    width, height = drawing.image.size
    for label in drawing.labels:
        x0, y0, x1, y1 = label.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        assert 0.0 <= label.confidence <= 1.0


@pytest.mark.slow
def test_letter_signs_sheet(ocr) -> None:
    truth = _truth(LETTER_SIGNS_SHEET)
    drawing = read_drawing(_sheet(LETTER_SIGNS_SHEET), ocr=ocr, rotation=0)
    assert _recall(drawing.signs(), set(truth["labels"])) >= 0.8


@pytest.mark.slow
def test_rotated_sheet_is_turned_upright_and_read(ocr) -> None:
    truth = _truth(ROTATED_SHEET)
    assert truth["rotation"] == 90
    sheet = _sheet(ROTATED_SHEET)
    assert detect_rotation(sheet, ocr=ocr) == 90
    drawing = read_drawing(sheet, ocr=ocr)
    assert drawing.rotation == 90
    assert drawing.image.size == (sheet.height, sheet.width)
    assert _recall(drawing.signs(), set(truth["labels"])) >= 0.8
    # Captions read upright sit on the upright image.
    assert {c.text for c in drawing.captions()} >= {"FIG. 3(a)", "FIG. 3(b)"}


@pytest.mark.slow
def test_backend_reads_vertical_labels_on_the_sheet_as_given(ocr) -> None:
    truth = _truth(ROTATED_SHEET)
    sheet = _sheet(ROTATED_SHEET)
    labels = ocr.read(sheet)
    signs = {label.text for label in labels if label.kind == "reference"}
    # On the stored (sideways) sheet every label runs vertically; most must still be read.
    assert _recall(signs, set(truth["labels"])) >= 0.6
    for label in labels:
        assert label.box[2] <= sheet.width and label.box[3] <= sheet.height


class _WithoutDirection:
    """The backend with its text-direction classifier hidden (as EasyOCR has none), counting crops read."""

    def __init__(self, backend) -> None:
        self._backend, self.name, self.crops_read = backend, backend.name, 0

    def detect(self, gray):
        return self._backend.detect(gray)

    def recognize(self, crops):
        self.crops_read += len(crops)
        return self._backend.recognize(crops)


@pytest.mark.slow
@pytest.mark.parametrize("key", [ROTATED_SHEET, LETTER_SIGNS_SHEET])
def test_rotation_is_the_same_with_and_without_the_direction_classifier(ocr, key) -> None:
    from patimg.ocr.orientation import detect_boxes, rotation_from_boxes

    truth = _truth(key)["rotation"]
    native, boxes = detect_boxes(ocr, _sheet(key))
    counting = _WithoutDirection(ocr)
    # The classifier settles it without reading a crop; without it, crops are read under the candidate turns.
    assert rotation_from_boxes(ocr, native, boxes) == truth
    assert rotation_from_boxes(counting, native, boxes) == truth
    assert counting.crops_read > 0
    direction_counting = _WithoutDirection(ocr)
    direction_counting.direction = ocr.direction
    assert rotation_from_boxes(direction_counting, native, boxes) == truth
    if key == ROTATED_SHEET:
        assert direction_counting.crops_read == 0
    else:
        # Its drawing's text is single letters (square boxes: no shape evidence) and its header line is left out
        # of the evidence, so every turn stays a candidate and the four-turn reading test decides, classifier or not.
        assert direction_counting.crops_read == counting.crops_read


@pytest.mark.slow
@pytest.mark.parametrize("key", [ROTATED_SHEET, COMBINED_LABELS_SHEET])
def test_openvino_reads_what_onnxruntime_reads(key) -> None:
    from patimg.ocr.rapid import RapidOcrBackend

    # The same ONNX networks at float32 on either runtime: the same rotation, texts and kinds; boxes within a
    # pixel (float rounding differs), confidences within 0.01.
    reads = {}
    for runtime in ("onnxruntime", "openvino"):
        backend = RapidOcrBackend(threads=1, runtime=runtime)
        assert backend.options["runtime"] == runtime
        assert (type(backend._engine.text_rec.session).__name__ == "_OpenVinoNetwork") == (
            runtime == "openvino"
        )
        reads[runtime] = read_drawing(_sheet(key), ocr=backend)
    onnx, openvino = reads["onnxruntime"], reads["openvino"]
    assert openvino.rotation == onnx.rotation == _truth(key)["rotation"]
    assert [(lb.text, lb.kind) for lb in openvino.labels] == [(lb.text, lb.kind) for lb in onnx.labels]
    for a, b in zip(openvino.labels, onnx.labels, strict=True):
        assert max(abs(x - y) for x, y in zip(a.box, b.box, strict=True)) <= 1.0
        assert abs(a.confidence - b.confidence) <= 0.01
    assert len(onnx.labels) >= 10


@pytest.mark.parametrize("key", [ROTATED_SHEET, COMBINED_LABELS_SHEET])
@pytest.mark.parametrize("turn", [0, 90])
def test_detection_is_rapidocrs_own_on_the_grey_array(ocr, key, turn) -> None:
    import numpy as np

    from patimg.ocr.base import rotate_array, to_working_array

    # detect() builds the detector's input from the grey array with a table of normalised values instead of
    # RapidOCR's float arithmetic over three copied channels: the boxes must be those RapidOCR's own call gives
    # (a RapidOCR release that changes its pre-processing shows up here).
    gray = rotate_array(to_working_array(_sheet(key))[0], turn)
    quads, _ = ocr._engine.text_det(np.repeat(gray[:, :, None], 3, axis=2))
    own = [
        (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
        for q in quads
    ]
    assert len(own) >= 10
    assert ocr.detect(gray) == own


def test_unknown_ocr_runtime_is_refused() -> None:
    from patimg.ocr.rapid import RapidOcrBackend

    with pytest.raises(ValueError, match="tensorrt"):
        RapidOcrBackend(runtime="tensorrt")


def test_a_header_line_in_the_margin_is_not_rotation_evidence() -> None:
    from patimg.ocr.orientation import _drawing_boxes

    shape = (3300, 2550)
    header = [(140.0, 120.0, 380.0, 175.0), (710.0, 120.0, 990.0, 175.0), (1830.0, 120.0, 2200.0, 175.0)]
    drawing = [
        (600.0, 900.0, 660.0, 1100.0),
        (900.0, 1500.0, 960.0, 1700.0),
        (1200.0, 2000.0, 1260.0, 2100.0),
    ]
    assert _drawing_boxes(header + drawing, shape) == drawing
    # A lone box near an edge stays (an image cropped to one figure, its caption at the top), and so does
    # everything when too little would remain.
    caption = [(74.0, 44.0, 321.0, 148.0)]
    assert _drawing_boxes(caption + drawing, shape) == caption + drawing
    assert _drawing_boxes(header + drawing[:1], shape) == header + drawing[:1]


@pytest.mark.slow
def test_a_turned_drawing_under_an_upright_header_is_turned(ocr) -> None:
    from patimg.demo.layouts import layout_sheet

    # Generated: two figures printed landscape on a sheet whose "U.S. Patent ... Sheet 5 of 9" header stays along
    # the page's top; the header's four wide boxes used to outvote the drawing's text (read as upright).
    sheet = layout_sheet(2000068)
    assert sheet.rotation == 90
    assert detect_rotation(sheet.image, ocr=ocr) == 90


def test_a_sheet_whose_boxes_leave_every_turn_open_is_settled_on_its_largest_crops() -> None:
    import numpy as np

    from patimg.ocr.orientation import QUICK_SAMPLE, rotation_from_boxes

    gray = np.full((1000, 1000), 255, dtype=np.uint8)
    boxes = []
    for k in range(12):
        x, y = 100 + (k % 4) * 200, 100 + (k // 4) * 200
        gray[y, x] = 0  # a mark in each box's top-left corner shows which way a crop is turned
        boxes.append((float(x), float(y), x + 40.0 + k, y + 40.0 + k))  # square: every turn stays open

    class MarkReader:
        """Reads "104" where the mark is top right (the crop turned a quarter clockwise), nothing elsewhere."""

        reads = 0

        def recognize(self, crops):
            self.reads += len(crops)
            marks = [np.argwhere(c < 128)[0] for c in crops]
            return [
                ("104", 0.99) if row < c.shape[0] / 2 and col > c.shape[1] / 2 else ("", 0.0)
                for c, (row, col) in zip(crops, marks, strict=True)
            ]

    reader = MarkReader()
    assert rotation_from_boxes(reader, gray, boxes) == 90
    assert reader.reads == 4 * QUICK_SAMPLE  # the 8 largest crops settle it; all 12 are not read four ways
