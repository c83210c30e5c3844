"""Sheet orientation and rotation-aware reading of a drawing.

Patent sheets are often printed landscape (rotated 90 degrees) and single labels can run
vertically. Text detection does not care about orientation, so a drawing is detected once; the
crops are then recognised turned by 0/90/180/270 degrees. The turn under which a sample of crops
reads best (captions and signs count most) is the sheet rotation; each crop is then read at the
sheet rotation, and at a quarter turn either way when it may be a vertical label.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from patimg.ocr.base import (
    MIN_CONFIDENCE,
    DrawingText,
    OcrBackend,
    crop,
    dedupe,
    demote_values,
    labels_from_read,
    merge_split_captions,
    read_quality,
    rotate_array,
    rotate_box,
    split_drawing_text,
    to_gray,
    to_working_array,
)
from patimg.ocr.line_direction import text_runs_vertically
from patimg.types import Box, Label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

ROTATIONS = (0, 90, 180, 270)
#: Crops sampled to decide the sheet rotation (largest first: captions and long labels).
ROTATION_SAMPLE = 24
#: A box this much longer one way than the other shows which way its text runs.
BOX_ASPECT = 1.3
#: One box shape must outnumber the other this many times to leave only two candidate turns.
SHAPE_DOMINANCE = 2
#: Crops read per candidate turn for the quick decision, and the lead that settles it.
QUICK_SAMPLE = 8
QUICK_MARGIN = 1.5
#: The direction classifier settles upright vs upside down when the winning side's summed confidence is
#: at least this and this many times the other side's (on the ground-truth sheets the closest call was
#: 4.2 against 2.1; every other sheet was far clearer).
DIRECTION_MIN_VOTES = 2.0
DIRECTION_LEAD = 1.8
#: A crop this much taller than wide (after the sheet turn) may be a vertical label.
VERTICAL_ASPECT = 1.0
#: Below this confidence an upright read is retried a quarter turn either way.
RETRY_CONFIDENCE = 0.9
#: Text this close to an edge of the sheet (share of the side) is in the margin: a US sheet's header ("U.S. Patent
#: ... Sheet 5 of 9") is printed along the page's top however the drawing is turned, so it says how the page is
#: turned, not the drawing (generated turned sheets were read upright on its evidence). Patent rules keep drawings
#: 2.5 cm from the top and 1.5 cm from the other edges.
MARGIN_SHARE = 0.06
#: Margin text is left out of the rotation evidence only when at least this many boxes remain.
MIN_DRAWING_BOXES = 3
#: Lone characters found by connected components are kept only above this confidence.
GLYPH_CONFIDENCE = 0.85
#: A lone character read this often on one sheet is a pattern, not a sign.
GLYPH_REPEAT_LIMIT = 5


def _drawing_boxes(boxes: list[Box], gray_shape: tuple[int, ...]) -> list[Box]:
    """``boxes`` without a header line in the margin (``U.S. Patent | date | Sheet 5 of 9 | number``: two boxes or
    more along one edge), unless too few would remain. A lone box near an edge stays: on an image cropped to one
    figure (an EP package's), the caption itself can sit there."""
    height, width = gray_shape[:2]
    mx, my = MARGIN_SHARE * width, MARGIN_SHARE * height
    bands: dict[str, list[Box]] = {}
    for b in boxes:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        edges = {"top": cy < my, "bottom": cy > height - my, "left": cx < mx, "right": cx > width - mx}
        edge = next((name for name, near in edges.items() if near), None)
        if edge:
            bands.setdefault(edge, []).append(b)
    header = {id(b) for band in bands.values() if len(band) >= 2 for b in band}
    inside = [b for b in boxes if id(b) not in header]
    return inside if len(inside) >= MIN_DRAWING_BOXES else boxes


def _sample(boxes: list[Box], gray_shape: tuple[int, ...], count: int) -> list[Box]:
    """Largest boxes, leaving out page-sized ones (frames, hatched areas)."""
    height, width = gray_shape[:2]
    usable = [b for b in boxes if (b[2] - b[0]) < width / 3 and (b[3] - b[1]) < height / 3]
    return sorted(usable, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))[:count]


def candidate_rotations(boxes: list[Box]) -> tuple[int, ...]:
    """Turns worth testing, from the shape of the text boxes alone.

    A detected box runs along its line of text: on an upright or upside-down sheet most multi-character
    boxes are wide, on a sheet printed landscape most are tall. Near-square boxes (single digits) say
    nothing; when neither shape clearly dominates, every turn stays a candidate.
    """
    wide = sum(1 for b in boxes if (b[2] - b[0]) > BOX_ASPECT * (b[3] - b[1]))
    tall = sum(1 for b in boxes if (b[3] - b[1]) > BOX_ASPECT * (b[2] - b[0]))
    if wide >= SHAPE_DOMINANCE * tall + 2:
        return (0, 180)
    if tall >= SHAPE_DOMINANCE * wide + 2:
        return (90, 270)
    return ROTATIONS


def _direction_vote(ocr: OcrBackend, crops: list[np.ndarray], base: int) -> int | None:
    """``base`` or ``base + 180`` as the backend's direction classifier votes on ``crops`` turned by ``base``;
    ``None`` when the backend has none or the vote is not clear."""
    classify = getattr(ocr, "direction", None)
    if classify is None or not crops:
        return None
    votes = classify([rotate_array(c, base) for c in crops])
    upright = sum(confidence for turn, confidence in votes if turn == 0)
    flipped = sum(confidence for turn, confidence in votes if turn == 180)
    winner, loser = max(upright, flipped), min(upright, flipped)
    if winner < DIRECTION_MIN_VOTES or winner < DIRECTION_LEAD * loser:
        return None
    return base if upright > flipped else (base + 180) % 360


def rotation_from_boxes(ocr: OcrBackend, gray: np.ndarray, boxes: list[Box]) -> int:
    """Degrees clockwise that make the sheet upright, judged from a sample of its text boxes.

    Cheap evidence first: the box shapes leave two candidate turns (upright or upside down, once turned
    the way the boxes run), and the backend's text-direction classifier on a few of the largest crops
    usually settles which; else those crops are read under both turns, then the whole sample. Only when
    that is still unsure (or the shapes left every turn open) are the crops read under all four turns, the
    largest first, the test that used to run on every sheet (about 60% of a sheet's reading time went to it).
    """
    boxes = _drawing_boxes(boxes, gray.shape)
    candidates = candidate_rotations(boxes)
    sample = [crop(gray, b) for b in _sample(boxes, gray.shape, ROTATION_SAMPLE)]
    if not sample:
        return 0
    qualities: dict[tuple[int, int], float] = {}

    def score(turn: int, count: int) -> float:
        missing = [i for i in range(count) if (turn, i) not in qualities]
        reads = ocr.recognize([rotate_array(sample[i], turn) for i in missing])
        for i, (text, confidence) in zip(missing, reads, strict=True):
            qualities[turn, i] = read_quality(text, confidence)
        return sum(qualities[turn, i] for i in range(count))

    if len(candidates) == 2:
        settled = _direction_vote(ocr, sample[:QUICK_SAMPLE], candidates[0])
        if settled is not None:
            return settled
        for count in dict.fromkeys((min(QUICK_SAMPLE, len(sample)), len(sample))):
            scores = {turn: score(turn, count) for turn in candidates}
            best, runner_up = sorted(candidates, key=lambda r: -scores[r])
            if scores[best] > 0 and scores[best] >= QUICK_MARGIN * scores[runner_up]:
                return best
    elif len(sample) > QUICK_SAMPLE:
        # The shapes left every turn open: the largest crops under all four turns first, as above.
        scores = {turn: score(turn, QUICK_SAMPLE) for turn in ROTATIONS}
        best, runner_up = sorted(ROTATIONS, key=lambda r: -scores[r])[:2]
        if scores[best] > 0 and scores[best] >= QUICK_MARGIN * scores[runner_up]:
            return best
    scores = {turn: score(turn, len(sample)) for turn in ROTATIONS}
    # Ties (no text at all) keep the sheet as it is.
    return max(ROTATIONS, key=lambda r: (scores[r], r == 0))


def _retry_turns(
    ocr: OcrBackend, crops: list[np.ndarray], retry: list[int], rotation: int
) -> list[tuple[int, int]]:
    """``(crop index, turn)`` pairs to read again a quarter turn from ``rotation``.

    A vertical label runs up or down the sheet; the backend's direction classifier, given the crop turned a
    quarter, says which (one read instead of two); without one, both quarter turns are read.
    """
    classify = getattr(ocr, "direction", None)
    quarter, back = (rotation + 90) % 360, (rotation + 270) % 360
    if classify is None or not retry:
        return [(i, turn) for turn in (quarter, back) for i in retry]
    votes = classify([rotate_array(crops[i], quarter) for i in retry])
    return [(i, quarter if direction == 0 else back) for i, (direction, _) in zip(retry, votes, strict=True)]


def _confident_sign(text: str, confidence: float) -> bool:
    """Whether an upright read is a sign or caption read with confidence: a tall crop so read stays as read (on
    the real sheets none ever read better a quarter turn away, 33 of 33, and each retry costs two networks)."""
    kinds = {kind for kind, _ in split_drawing_text(text)}
    return confidence >= RETRY_CONFIDENCE and bool(kinds) and kinds <= {"reference", "figure"}


def read_boxes(
    ocr: OcrBackend, gray: np.ndarray, boxes: list[Box], *, rotation: int
) -> list[tuple[Box, str, float, int]]:
    """Read each box, turned by ``rotation`` and, where it may be vertical, a quarter turn either way.

    Returns:
        ``(box on gray, text, confidence, turn used)`` per box, best read per box.
    """
    crops = [crop(gray, box) for box in boxes]
    turned = [rotate_array(c, rotation) for c in crops]
    best = [(read_quality(t, c), t, c, rotation) for t, c in ocr.recognize(turned)]
    retry = [
        i
        for i, c in enumerate(turned)
        if best[i][2] < RETRY_CONFIDENCE
        or (c.shape[0] >= VERTICAL_ASPECT * c.shape[1] and not _confident_sign(best[i][1], best[i][2]))
    ]
    pairs = _retry_turns(ocr, crops, retry, rotation)
    reads = ocr.recognize([rotate_array(crops[i], turn) for i, turn in pairs])
    for (i, turn), (text, conf) in zip(pairs, reads, strict=True):
        quality = read_quality(text, conf)
        if quality > best[i][0] * 1.1:
            best[i] = (quality, text, conf, turn)
    return [(box, text, conf, turn) for box, (_, text, conf, turn) in zip(boxes, best, strict=True)]


def detect_boxes(
    ocr: OcrBackend, image: Image.Image, *, working: tuple[np.ndarray, float] | None = None
) -> tuple[np.ndarray, list[Box]]:
    """Native-resolution greyscale array of ``image`` and its text boxes in native pixels.

    Detection runs at the working resolution (fast, the size the detectors like; ``working`` when already
    made, :func:`~patimg.ocr.base.to_working_array`); recognition later crops from the native pixels, which
    keeps small numerals legible.
    """
    import numpy as np

    gray, scale = working or to_working_array(image)
    boxes = [tuple(v / scale for v in box) for box in ocr.detect(gray)]
    return np.asarray(to_gray(image), dtype=np.uint8), boxes


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    return float(dpi[0]) if dpi and float(dpi[0]) >= 100 else 300.0


def read_glyphs(ocr: OcrBackend, native: np.ndarray, boxes: list[Box], *, dpi: float) -> list[Label]:
    """Lone characters the detector missed, kept only when they read confidently as a sign."""
    from patimg.ocr.glyphs import glyph_boxes

    candidates = glyph_boxes(native, dpi=dpi, known=boxes)
    reads = [
        (box, text.strip(" ."), confidence)
        for box, (text, confidence) in zip(
            candidates, ocr.recognize([crop(native, b) for b in candidates]), strict=True
        )
        if confidence >= GLYPH_CONFIDENCE
    ]
    # The same lone character many times over is a pattern (ticks, hatching, a scale), not a sign:
    # a sign is printed once or a few times per sheet.
    counts = Counter(text for _, text, _ in reads)
    labels = []
    for box, text, confidence in reads:
        if counts[text] < GLYPH_REPEAT_LIMIT:
            labels.extend(
                lb
                for lb in labels_from_read(text, confidence, box, horizontal=True)
                if lb.kind == "reference"
            )
    return labels


def read_as_given(ocr: OcrBackend, image: Image.Image) -> list[Label]:
    """Every item on ``image`` as given, horizontal and vertical, boxes in its pixels.

    Reads the way :func:`read_drawing` does (the sheet turned upright, where its labels run
    horizontally, and each box also tried a quarter turn either way) and maps the boxes back.
    """
    drawing = read_drawing(image, ocr=ocr)
    back = (360 - drawing.rotation) % 360
    size = drawing.image.size
    return [
        Label(text=lb.text, kind=lb.kind, box=rotate_box(lb.box, back, size), confidence=lb.confidence)
        for lb in drawing.labels
    ]


def _first_detection(
    ocr: OcrBackend, gray_image: Image.Image, *, dpi: float, rotation: int | None
) -> tuple[int, Image.Image, np.ndarray, list[Box]]:
    """Where a sheet is detected first, and what is found there: ``(turn, the sheet so turned, its native
    array, its boxes)``.

    A known quarter turn is detected on the upright sheet; an unknown one on the sheet turned a quarter when its
    text clearly runs up or down (:func:`~patimg.ocr.line_direction.text_runs_vertically`), else as stored.
    """
    if rotation is not None:
        first = rotation % 360 if rotation % 180 else 0
        turned = rotate_image(gray_image, first) if first else gray_image
        return first, turned, *detect_boxes(ocr, turned)
    working = to_working_array(gray_image)
    gray, scale = working
    if not text_runs_vertically(gray, dpi=dpi * scale):
        return 0, gray_image, *detect_boxes(ocr, gray_image, working=working)
    turned = rotate_image(gray_image, 90)
    return 90, turned, *detect_boxes(ocr, turned)


def detect_rotation(image: Image.Image, *, ocr: OcrBackend) -> int:
    """Degrees clockwise (0, 90, 180, 270) that make a drawing sheet upright.

    Args:
        image: The sheet as stored.
        ocr: Backend used to read a sample of its text.
    """
    first, _, native, boxes = _first_detection(ocr, to_gray(image), dpi=_dpi(image), rotation=None)
    return (first + rotation_from_boxes(ocr, native, boxes)) % 360


def rotate_image(image: Image.Image, degrees_clockwise: int) -> Image.Image:
    """``image`` turned clockwise by a multiple of 90 degrees."""
    from PIL import Image as PILImage

    transposes = {
        90: PILImage.Transpose.ROTATE_270,
        180: PILImage.Transpose.ROTATE_180,
        270: PILImage.Transpose.ROTATE_90,
    }
    turns = degrees_clockwise % 360
    return image.transpose(transposes[turns]) if turns else image.copy()


def read_drawing(image: Image.Image, *, ocr: OcrBackend, rotation: int | None = None) -> DrawingText:
    """Read every label on a drawing and turn it upright.

    Args:
        image: The drawing (sheet or figure image) as stored.
        ocr: OCR backend (see :func:`patimg.ocr.get_ocr`).
        rotation: Degrees clockwise that make it upright when known; detected when ``None``.

    Returns:
        The rotation used, the upright greyscale image and the labels with boxes on it.
    """
    if rotation is not None and rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90 degrees, got {rotation}")
    gray_image = to_gray(image)
    first, turned, native, boxes = _first_detection(ocr, gray_image, dpi=_dpi(image), rotation=rotation)
    if rotation is None:
        rotation = first + rotation_from_boxes(ocr, native, boxes)
    rotation %= 360
    # Labels are detected on the upright sheet when it is printed landscape (detectors are trained on horizontal
    # lines and miss many vertical numerals there), else on the sheet as stored, turned after: detect again when
    # the first detection was elsewhere.
    frame = rotation if rotation % 180 else 0
    if frame != first:
        turned = rotate_image(gray_image, frame)
        native, boxes = detect_boxes(ocr, turned)
    rest = (rotation - frame) % 360
    upright = rotate_image(turned, rest)
    if rest:
        native = rotate_array(native, rest)
        boxes = [rotate_box(box, rest, (turned.width, turned.height)) for box in boxes]
    labels = []
    for box, text, confidence, turn in read_boxes(ocr, native, boxes, rotation=0):
        if confidence >= MIN_CONFIDENCE:
            labels.extend(labels_from_read(text, confidence, box, horizontal=turn == 0))
    labels.extend(read_glyphs(ocr, native, boxes, dpi=_dpi(image)))
    return DrawingText(
        rotation=rotation, image=upright, labels=tuple(demote_values(merge_split_captions(dedupe(labels))))
    )
