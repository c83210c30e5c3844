"""Stand-alone characters the text detectors miss.

Learned text detectors are trained on lines of text and often skip a lone ``S``, ``2`` or ``A``
beside a drawing, exactly the letter and digit signs patents use. Connected-component analysis
finds them: blobs of ink the size of a printed character, grouped into short words, that no
detector box already covers. They are only kept when the recogniser reads them confidently as a
reference sign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patimg.types import Box

if TYPE_CHECKING:
    import numpy as np

#: Character heights at 300 dpi: 2 mm to 6 mm (patent rules ask for at least 3.2 mm).
MIN_CHAR_PX = 18
MAX_CHAR_PX = 75
#: More candidates than this means hatching or stippling, not labels; keep the most word-like.
MAX_CANDIDATES = 120


def glyph_boxes(gray: np.ndarray, *, dpi: float = 300.0, known: list[Box] = ()) -> list[Box]:
    """Boxes of short isolated character groups on a greyscale array, minus those in ``known``.

    Args:
        gray: Greyscale uint8 image (ink dark).
        dpi: Its resolution (character size limits scale with it).
        known: Boxes already found by the text detector; candidates touching them are dropped.
    """
    import cv2

    factor = dpi / 300.0
    low, high = MIN_CHAR_PX * factor, MAX_CHAR_PX * factor
    _, ink = cv2.threshold(gray, 127, 1, cv2.THRESH_BINARY_INV)  # 1 where gray < 128
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    chars = []
    for x, y, w, h, area in stats[1:count]:
        if low <= h <= high and 0.25 * h <= w <= 1.3 * h and area >= 0.12 * w * h:
            chars.append([float(x), float(y), float(x + w), float(y + h)])
    chars.sort()
    words: list[list[float]] = []
    for box in chars:
        for word in words:
            height = max(word[3] - word[1], box[3] - box[1])
            overlap = min(word[3], box[3]) - max(word[1], box[1])
            if overlap > 0.6 * height and -0.1 * height < box[0] - word[2] < 0.5 * height:
                word[0], word[1] = min(word[0], box[0]), min(word[1], box[1])
                word[2], word[3] = max(word[2], box[2]), max(word[3], box[3])
                break
        else:
            words.append(box[:])
    candidates = []
    for x0, y0, x1, y1 in words:
        if x1 - x0 > 5 * (y1 - y0):
            continue
        pad = 0.25 * (y1 - y0)
        if any(x0 - pad < k[2] and k[0] < x1 + pad and y0 - pad < k[3] and k[1] < y1 + pad for k in known):
            continue
        # Isolation: a label stands in white space; a blob inside a drawing has ink all around.
        ring = ink[int(max(0, y0 - pad)) : int(y1 + pad) + 1, int(max(0, x0 - pad)) : int(x1 + pad) + 1]
        inner = ink[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
        stray = int(ring.sum()) - int(inner.sum())
        if stray <= 0.02 * ring.size:
            candidates.append((stray, (x0, y0, x1, y1)))
    candidates.sort(key=lambda item: item[0])
    return [box for _, box in candidates[:MAX_CANDIDATES]]
