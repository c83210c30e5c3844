"""Which way a drawing's text runs, from its ink alone: the first guess of a sheet's turn, before any network.

A sheet printed landscape has its labels running up or down the page, and the text detector finds many of those
only once the sheet is turned (:func:`patimg.ocr.orientation.read_drawing` then detects a second time, about a
fifth of a sheet's reading). The characters of one label stand side by side along its line, so pairs of
character-sized blobs side by side, against pairs one above the other, say which way most text runs: a sheet
whose text clearly runs up or down is detected turned a quarter first, and so only once. The guess only chooses
where to detect first; the turn itself is still decided from the detected text, so a wrong guess costs a
detection, never a wrong turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MM_PER_INCH = 25.4
#: Character sizes (the longer side of a blob): patent rules ask for letters at least 3.2 mm high.
CHAR_MM = (1.5, 6.5)
#: A character's shorter side is at least this share of its longer: dashes of dashed lines and ones are left
#: out (a dashed line is a row of blobs too).
CHAR_FILL_SIDE = 0.4
#: Ink covers at least this share of a character's box (hollow outlines are left out).
CHAR_INK = 0.12
#: Two characters are neighbours on one line when their centres are level within this share of their height
#: and the gap between them is under this share of it.
LEVEL_SHARE = 0.25
GAP_SHARE = 0.6
#: Neighbours on one line are the same size across it, to this share.
SAME_SIZE = 0.7
#: Text runs vertically when at least this many neighbour pairs stand one above the other, and this many times
#: as many as stand side by side. Real landscape sheets: 21-223 stacked against 0-4; upright ones (drawings have
#: stacked blobs too) up to 53 stacked, never more than 1.5 times those side by side.
MIN_PAIRS = 10
DOMINANCE = 3


def line_pairs(gray: np.ndarray, *, dpi: float) -> tuple[int, int]:
    """Pairs of neighbouring character-sized blobs on ``gray`` (ink dark, ``dpi`` its resolution) standing side by
    side, and one above the other. Each blob counts once, with its nearest neighbour."""
    import cv2
    import numpy as np
    from scipy.spatial import cKDTree

    low, high = (size * dpi / MM_PER_INCH for size in CHAR_MM)
    _, ink = cv2.threshold(gray, 127, 1, cv2.THRESH_BINARY_INV)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = stats[1:count].T.astype(float)
    longer, shorter = np.maximum(w, h), np.minimum(w, h)
    chars = (
        (longer >= low) & (longer <= high) & (shorter >= CHAR_FILL_SIDE * longer) & (area >= CHAR_INK * w * h)
    )
    x, y, w, h = x[chars], y[chars], w[chars], h[chars]
    if len(x) < 2:
        return 0, 0
    centres = np.column_stack((x + w / 2, y + h / 2))
    nearest = cKDTree(centres).query(centres, k=2)[1][:, 1]
    dx = np.abs(centres[nearest, 0] - centres[:, 0])
    dy = np.abs(centres[nearest, 1] - centres[:, 1])

    def along(level, gap, across, across_other, run, run_other):
        # on one line: level across it, close along it, the same size across it
        size = np.maximum(across, across_other)
        return (
            (level < LEVEL_SHARE * size)
            & (gap - (run + run_other) / 2 < GAP_SHARE * size)
            & (np.minimum(across, across_other) >= SAME_SIZE * size)
        )

    side_by_side = along(dy, dx, h, h[nearest], w, w[nearest])
    stacked = along(dx, dy, w, w[nearest], h, h[nearest])
    return int(side_by_side.sum()), int(stacked.sum())


def text_runs_vertically(gray: np.ndarray, *, dpi: float) -> bool:
    """Whether most of the text on ``gray`` clearly runs up or down (a sheet printed landscape); ``False`` when
    it runs across or the ink does not say."""
    side_by_side, stacked = line_pairs(gray, dpi=dpi)
    return stacked >= MIN_PAIRS and stacked >= DOMINANCE * side_by_side
