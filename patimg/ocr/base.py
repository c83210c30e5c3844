"""The OCR backend contract and the backend-independent reading steps.

A backend only has to find text boxes on a greyscale array (``detect``) and read a list of small
crops (``recognize``). Everything a patent drawing needs on top — working resolution, reading
vertical labels, mapping boxes back, classifying and de-duplicating — lives here once, so RapidOCR
and EasyOCR give the same kind of :class:`~patimg.types.Label` list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from patimg.errors import BadInputError
from patimg.ocr.signs import split_drawing_text
from patimg.types import Box, Label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

#: Resolution text is detected at: reference numerals (about 1/8 inch tall) become ~16 px high, legible to
#: both detectors. Detection cost grows with the pixels and is a third of a sheet's reading time: 130 dpi
#: costs 0.75 of 150. On the real drawings of the ground truth 120 dpi missed a caption that 130 reads
#: (EP1667425 Fig. 11) and 100 dpi lost signs and a rotation. Recognition always crops native pixels.
WORKING_DPI = 130
#: Long side used when an image carries no resolution (a PNG, a screenshot).
FALLBACK_LONG_SIDE = 1700
#: Reads below this recogniser confidence are noise (leader lines, hatching).
MIN_CONFIDENCE = 0.5
#: A single character needs more: lines and curves read as V, L, 1 at middling confidence.
SINGLE_CHAR_CONFIDENCE = 0.8


class OcrBackend(Protocol):
    """What every OCR backend provides.

    A backend may also offer ``direction(crops) -> [(0 | 180, confidence)]``, a text-direction classifier
    (RapidOCR has PP-OCR's): the sheet's rotation is then settled without reading crops both ways.

    Attributes:
        name: Backend name (``"rapidocr"``, ``"easyocr"``).
    """

    name: str

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Axis-aligned text boxes ``(x0, y0, x1, y1)`` on a greyscale uint8 array."""
        ...

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence for each greyscale crop, read left to right as given."""
        ...

    def read(self, image: Image.Image) -> list[Label]:
        """Every item read on ``image`` as given (horizontal and vertical), boxes in its pixels."""
        ...


@dataclass(frozen=True)
class DrawingText:
    """What was read on one drawing.

    Attributes:
        rotation: Degrees clockwise applied to the image to make it upright (0, 90, 180, 270).
        image: The upright image (greyscale).
        labels: Items read, boxes on the upright image.
    """

    rotation: int
    image: Image.Image
    labels: tuple[Label, ...]

    def signs(self) -> set[str]:
        """The distinct reference signs read."""
        return {label.text for label in self.labels if label.kind == "reference"}

    def captions(self) -> list[Label]:
        """Figure-caption labels, top to bottom."""
        return sorted(
            (lb for lb in self.labels if lb.kind == "figure"), key=lambda lb: (lb.box[1], lb.box[0])
        )


def to_gray(image: Image.Image, *, source: str = "image") -> Image.Image:
    """Greyscale copy of a PIL image; BadInputError for anything that is not a readable image."""
    from PIL import Image as PILImage

    if not isinstance(image, PILImage.Image):
        raise BadInputError(source, f"expected a PIL image, got {type(image).__name__}")
    try:
        gray = image.convert("L")
    except (OSError, ValueError) as error:
        raise BadInputError(source, f"image cannot be decoded: {error}") from error
    if gray.width < 8 or gray.height < 8:
        raise BadInputError(source, f"image is too small to read ({gray.width}x{gray.height})")
    return gray


def working_scale(image: Image.Image) -> float:
    """Factor that brings ``image`` to the working resolution (never enlarges past 2x)."""
    dpi = image.info.get("dpi")
    if dpi and float(dpi[0]) >= 100:
        return min(2.0, WORKING_DPI / float(dpi[0]))
    return min(2.0, FALLBACK_LONG_SIDE / max(image.size))


def to_working_array(image: Image.Image) -> tuple[np.ndarray, float]:
    """Greyscale uint8 array at the working resolution, and the scale used."""
    import numpy as np
    from PIL import Image as PILImage

    scale = working_scale(image)
    gray = to_gray(image)
    if abs(scale - 1.0) > 1e-3:
        size = (max(8, round(gray.width * scale)), max(8, round(gray.height * scale)))
        gray = gray.resize(size, PILImage.Resampling.LANCZOS)
    return np.asarray(gray, dtype=np.uint8), scale


def crop(gray: np.ndarray, box: Box, *, pad: int = 4) -> np.ndarray:
    """Crop ``box`` (with a small margin) out of ``gray``."""
    height, width = gray.shape[:2]
    x0, y0, x1, y1 = box
    return gray[
        max(0, int(y0) - pad) : min(height, int(y1) + pad), max(0, int(x0) - pad) : min(width, int(x1) + pad)
    ]


def rotate_array(array: np.ndarray, degrees_clockwise: int) -> np.ndarray:
    """``array`` turned clockwise by a multiple of 90 degrees."""
    import numpy as np

    return np.ascontiguousarray(np.rot90(array, k=-(degrees_clockwise // 90) % 4))


def rotate_box(box: Box, degrees_clockwise: int, size: tuple[float, float]) -> Box:
    """Map a box on an image of ``size`` (w, h) onto that image turned clockwise."""
    width, height = size
    x0, y0, x1, y1 = box
    turns = (degrees_clockwise // 90) % 4
    if turns == 1:
        return (height - y1, x0, height - y0, x1)
    if turns == 2:
        return (width - x1, height - y1, width - x0, height - y0)
    if turns == 3:
        return (y0, width - x1, y1, width - x0)
    return box


def read_quality(text: str, confidence: float) -> float:
    """How plausible a read is as drawing text: confidence, boosted for signs and captions.

    Used to pick the orientation a crop (or a sheet) reads best in.
    """
    items = split_drawing_text(text)
    if not items:
        return 0.0
    kinds = {kind for kind, _ in items}
    if "figure" in kinds:
        return confidence * 3.0
    if kinds == {"reference"}:
        return confidence * 1.5
    letters = sum(ch.isalpha() for ch in text)
    # Words of several letters read upright are strong evidence; symbol soup is not.
    return confidence * (1.2 if letters >= 4 else 0.5)


def split_box(box: Box, text: str, part: str, start: int) -> Box:
    """Share of a horizontal box covering ``part`` found at ``start`` in ``text``."""
    x0, y0, x1, y1 = box
    if not text:
        return box
    step = (x1 - x0) / len(text)
    return (x0 + step * start, y0, min(x1, x0 + step * (start + len(part))), y1)


def labels_from_read(text: str, confidence: float, box: Box, *, horizontal: bool) -> list[Label]:
    """Classified labels for one read; a combined label gives one Label per sign."""
    items = split_drawing_text(text)
    if len(text.strip()) == 1 and confidence < SINGLE_CHAR_CONFIDENCE:
        # One character at middling confidence is usually a bit of drawing (a curve, a corner).
        return []
    labels = []
    cursor = 0
    for i, (kind, value) in enumerate(items):
        part_box = box
        if horizontal and len(items) > 1:
            printed, start = value, text.find(value, cursor)
            if start < 0 and kind == "figure":
                # A caption is normalised ("FIG 11" -> "FIG. 11"): printed, it is what lies between the items
                # before and after it.
                end = text.find(items[i + 1][1], cursor) if i + 1 < len(items) else len(text)
                gap = text[cursor:end] if end > cursor else ""
                start = cursor + len(gap) - len(gap.lstrip()) if gap.strip() else -1
                printed = gap.strip() or value
            if start >= 0:
                part_box = split_box(box, text, printed, start)
                cursor = start + len(printed)
        labels.append(
            Label(text=value, kind=kind, box=tuple(round(v, 1) for v in part_box), confidence=confidence)
        )
    return labels


def _iou(a: Box, b: Box) -> float:
    inter_w = min(a[2], b[2]) - max(a[0], b[0])
    inter_h = min(a[3], b[3]) - max(a[1], b[1])
    if inter_w <= 0 or inter_h <= 0:
        return 0.0
    inter = inter_w * inter_h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def dedupe(labels: list[Label], *, overlap: float = 0.5) -> list[Label]:
    """Drop reads that overlap a more confident read of the same place."""
    kept: list[Label] = []
    for label in sorted(labels, key=lambda lb: -lb.confidence):
        if all(_iou(label.box, other.box) < overlap for other in kept):
            kept.append(label)
    return sorted(kept, key=lambda lb: (lb.box[1], lb.box[0]))


def _center(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _longest_monotone(values: list[int], *, rising: bool) -> list[int]:
    """Indexes of the longest strictly monotone subsequence (quadratic; lines are short)."""
    best: list[list[int]] = []
    for i, value in enumerate(values):
        chain = [i]
        for j in range(i):
            if (values[j] < value if rising else values[j] > value) and len(best[j]) + 1 > len(chain):
                chain = [*best[j], i]
        best.append(chain)
    return max(best, key=len, default=[])


def _is_value_series(members: list[tuple[float, int]], *, zero_on_line: bool) -> bool:
    """Evenly spaced numbers on a line stepping steadily one way: axis ticks or a scale.

    One misread tick ("12" for "128") must not hide the axis, so the test is on the longest
    monotone run, which has to cover most of the line. Evenly spaced signs numbered 10, 12, 14 (a
    flowchart column) look the same, so small steps only count as ticks when a "0" sits on the line.
    """
    members = sorted(members)
    values = [value for _, value in members]
    for rising in (True, False):
        run = _longest_monotone(values, rising=rising)
        if len(run) < 4 or len(run) < 0.7 * len(values):
            continue
        steps = sorted(abs(values[b] - values[a]) for a, b in zip(run, run[1:], strict=False))
        if steps[-1] > 2.2 * steps[0] or not (zero_on_line or steps[0] >= 20):
            continue
        positions = [members[i][0] for i in run]
        gaps = sorted(b - a for a, b in zip(positions, positions[1:], strict=False))
        if gaps[0] > 0 and gaps[-1] <= 2.2 * gaps[0]:
            return True
    return False


def demote_values(labels: list[Label]) -> list[Label]:
    """Re-kind numbers that are values, not signs: axis ticks and tables of numbers.

    Two layouts give values away: four or more numbers on one line stepping evenly (an axis), and
    numbers packed so densely that three or more others sit within a few text heights (a table).
    Reference signs are spread over the drawing, each at the end of its own leader line.
    """
    numeric = [i for i, lb in enumerate(labels) if lb.kind == "reference" and lb.text.isdigit()]
    values: set[int] = set()
    zeros = [lb.box for lb in labels if lb.text == "0"]
    for i in numeric:
        box = labels[i].box
        height, width = box[3] - box[1], box[2] - box[0]

        def in_row(other: Box, box: Box = box, height: float = height) -> bool:
            return abs(_center(other)[1] - _center(box)[1]) <= 0.6 * height

        def in_column(other: Box, box: Box = box, width: float = width) -> bool:
            # A column is aligned left, right or centred.
            offsets = (other[0] - box[0], other[2] - box[2], _center(other)[0] - _center(box)[0])
            return min(abs(d) for d in offsets) <= 0.3 * width

        row = [(_center(labels[j].box)[0], int(labels[j].text)) for j in numeric if in_row(labels[j].box)]
        column = [
            (_center(labels[j].box)[1], int(labels[j].text)) for j in numeric if in_column(labels[j].box)
        ]
        if _is_value_series(row, zero_on_line=any(in_row(z) for z in zeros)) or _is_value_series(
            column, zero_on_line=any(in_column(z) for z in zeros)
        ):
            values.add(i)
    for i in numeric:
        box = labels[i].box
        height = min(box[3] - box[1], box[2] - box[0])
        cx, cy = _center(box)
        near = sum(
            1
            for j in numeric
            if j != i
            and abs(_center(labels[j].box)[0] - cx) < 4.0 * height
            and abs(_center(labels[j].box)[1] - cy) < 3.0 * height
        )
        if near >= 4:
            values.add(i)
    return [
        Label(text=lb.text, kind="other", box=lb.box, confidence=lb.confidence) if i in values else lb
        for i, lb in enumerate(labels)
    ]


def merge_split_captions(labels: list[Label]) -> list[Label]:
    """Join a caption the detector cut in two ("Fig." and "6" side by side) into ``FIG. 6``."""
    import re

    from patimg.ocr.signs import figure_number

    merged = list(labels)
    for i, word in enumerate(labels):
        if word.kind != "other" or not re.fullmatch(r"(?i)fig(?:ure)?\s*\.?", word.text):
            continue
        height = word.box[3] - word.box[1]
        for j, number in enumerate(labels):
            gap = number.box[0] - word.box[2]
            same_line = abs((number.box[1] + number.box[3]) - (word.box[1] + word.box[3])) / 2 < 0.5 * height
            if number.kind == "reference" and same_line and -0.2 * height < gap < 1.5 * height:
                caption = figure_number(f"FIG. {number.text}")
                if caption:
                    box = (
                        word.box[0],
                        min(word.box[1], number.box[1]),
                        number.box[2],
                        max(word.box[3], number.box[3]),
                    )
                    merged[i] = Label(
                        f"FIG. {caption}", "figure", box, min(word.confidence, number.confidence)
                    )
                    merged[j] = None
                    break
    return [label for label in merged if label is not None]
