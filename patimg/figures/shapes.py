"""What the ink of a figure encloses and where its axes are: the measurements behind :mod:`patimg.figures.kind`.

Both work on a figure's ink at the working resolution (a ``uint8`` array, 1 for ink) and are relative to the text
height ``unit`` (working pixels), so they hold at any resolution:

* :func:`closed_shapes`: the white regions the ink encloses, each told apart by its outline (a rectangle, a
  diamond, an oval, a ring of five or six corners), with whether text sits inside; :func:`table_cells` groups the
  rectangles that share their edges;
* :func:`chart_axes`: a long horizontal and a long vertical stroke that meet low and left, with the tick marks,
  the numbers and the bars standing along them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from patimg.types import Label

_NUMBER = re.compile(r"^[-+−]?\d+(?:[.,]\d+)?%?$")


@dataclass
class Shape:
    """A closed white region: its box, what it looks like, whether text is inside, whether it is a table cell."""

    box: tuple[int, int, int, int]
    kind: str  # "rect", "diamond", "oval", "ring" or "other"
    text: bool
    cell: bool = False


def closed_shapes(solid: np.ndarray, word_boxes, unit: float) -> list[Shape]:
    """The white regions the ink encloses, at least a text height across, each told apart by its outline.

    Args:
        solid: The ink with the text read painted in.
        word_boxes: Boxes of the words read (captions left out), or ``None`` when the figure was not read: text
            inside a shape is then guessed from the ink inside it.
        unit: Text height, in working pixels.
    """
    import cv2

    count, regions, stats, _ = cv2.connectedComponentsWithStats(1 - solid, connectivity=4)
    height, width = solid.shape
    x, y, w, h = (stats[:, i] for i in range(4))
    enclosed = (x > 0) & (y > 0) & (x + w < width) & (y + h < height)
    # Smaller than a text line is a gap between strokes; larger than most of the figure is its background.
    big_enough = (np.minimum(w, h) >= 0.8 * unit) & (stats[:, 4] >= unit * unit)
    candidates = np.flatnonzero(enclosed & big_enough & (w * h < 0.8 * width * height))
    centres = [((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * (y1 - y0)) for x0, y0, x1, y1 in word_boxes or ()]
    shapes = []
    for index in candidates[:2000]:  # a hatched drawing can enclose thousands; its shapes decide nothing
        bx, by, bw, bh = (int(v) for v in stats[index, :4])
        mask = (regions[by : by + bh, bx : bx + bw] == index).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        outline = max(contours, key=cv2.contourArea) + np.array([bx, by])
        area = cv2.contourArea(outline)
        if area <= 0:
            continue
        inside = [
            text_area
            for cx, cy, text_area in centres
            if bx <= cx <= bx + bw
            and by <= cy <= by + bh
            and cv2.pointPolygonTest(outline, (float(cx), float(cy)), False) >= 0
        ]
        if word_boxes is not None:
            # Text fills a box of a diagram; one numeral inside a large part of a drawing does not.
            text = bool(inside) and sum(inside) >= 0.04 * area
        else:
            text = 0.01 <= 1 - stats[index, 4] / area <= 0.5  # no text read: some ink inside, not a part
        shapes.append(Shape((bx, by, bx + bw, by + bh), _outline_kind(outline, area, bw, bh), text))
    return shapes


def _outline_kind(outline: np.ndarray, area: float, width: int, height: int) -> str:
    """``rect`` (fills its box), ``diamond`` (4 corners, half its box), ``ring`` (a regular pentagon or hexagon),
    ``oval`` (convex and round), else ``other``."""
    import cv2

    fill = area / max(1, width * height)
    hull = cv2.convexHull(outline)
    hull_area = cv2.contourArea(hull)
    solidity = area / hull_area if hull_area > 0 else 0.0
    if fill >= 0.85 and solidity >= 0.95:
        return "rect"
    # A ring may be far from convex: each atom letter's disc bites into it, and a double bond's inner line
    # touching a letter notches it.
    if solidity < 0.75:
        return "other"
    # Corners are fitted to the hull, which the bites and notches leave whole. A polygon of a few corners covers
    # a polygonal hull; a circle loses a sixth of its area to the hexagon inside it.
    corners = _fewest_corners(hull)
    covered = cv2.contourArea(corners) / hull_area
    aspect = width / max(1, height)
    if len(corners) == 4 and 0.4 <= fill <= 0.62 and covered >= 0.93 and solidity >= 0.9:
        return "diamond"
    if len(corners) in (5, 6) and 0.7 <= aspect <= 1.45 and covered >= 0.93:
        sides = np.linalg.norm(corners - np.roll(corners, 1, axis=0), axis=1)
        if sides.min() >= 0.5 * sides.max():
            return "ring"
    if solidity >= 0.95 and fill >= 0.72:
        return "oval"
    return "other"


def _fewest_corners(outline: np.ndarray) -> np.ndarray:
    """The outline simplified until it has at most 6 corners (or as far as 6% of its perimeter allows)."""
    import cv2

    perimeter = cv2.arcLength(outline, True)
    for share in (0.01, 0.02, 0.03, 0.045, 0.06):
        corners = cv2.approxPolyDP(outline, share * perimeter, True).reshape(-1, 2)
        if len(corners) <= 6:
            break
    return corners


def table_cells(rects: list[Shape]) -> tuple[int, tuple[int, int], float]:
    """The largest group of rectangles that share edges: its cells, rows and columns, and the share holding text;
    marks its cells when they make a grid (they are not a diagram's boxes then)."""
    if len(rects) < 2:
        return 0, (0, 0), 0.0
    boxes = np.array([r.box for r in rects[:600]], dtype=float)
    x0, y0, x1, y1 = (boxes[:, i][:, None] for i in range(4))
    gap = np.maximum(3.0, 0.15 * np.minimum(x1 - x0, y1 - y0))  # the thickness of a rule between two cells
    overlap_y = np.minimum(y1, y1.T) - np.maximum(y0, y0.T)
    overlap_x = np.minimum(x1, x1.T) - np.maximum(x0, x0.T)
    side_by_side = (np.abs(x1 - x0.T) <= gap) & (overlap_y >= 0.6 * np.minimum(y1 - y0, (y1 - y0).T))
    stacked = (np.abs(y1 - y0.T) <= gap) & (overlap_x >= 0.6 * np.minimum(x1 - x0, (x1 - x0).T))
    adjacent = side_by_side | stacked
    adjacent |= adjacent.T
    group = _largest_group(adjacent)
    if len(group) < 2:
        return 0, (0, 0), 0.0
    tolerance = float(np.median(gap[group, 0]))
    rows = _distinct(boxes[group, 1], tolerance)
    columns = _distinct(boxes[group, 0], tolerance)
    if rows >= 2 and columns >= 2:  # a grid; two boxes side by side can still be a diagram's
        for i in group:
            rects[i].cell = True
    filled = sum(rects[i].text for i in group) / len(group)
    return len(group), (rows, columns), filled


def _largest_group(adjacent: np.ndarray) -> list[int]:
    """The largest connected group of a symmetric adjacency matrix."""
    unseen, best = set(range(len(adjacent))), []
    while unseen:
        stack, group = [unseen.pop()], []
        while stack:
            node = stack.pop()
            group.append(node)
            for other in np.flatnonzero(adjacent[node]):
                if int(other) in unseen:
                    unseen.remove(int(other))
                    stack.append(int(other))
        if len(group) > len(best):
            best = group
    return sorted(best)


def _distinct(values: np.ndarray, tolerance: float) -> int:
    """How many distinct values, those within ``tolerance`` of the previous counted as one."""
    ordered = np.sort(values)
    return 1 + int((np.diff(ordered) > tolerance).sum()) if len(ordered) else 0


def chart_axes(
    horizontal, vertical, strokes, word_boxes, words: Sequence[Label], unit: float, shapes
) -> dict:
    """Whether a long horizontal and a long vertical stroke meet, and what stands along them."""
    import cv2

    none = {"axes": False, "ticks": 0, "tick_values": 0, "bars": 0, "axis_text": False}
    used_x, used_y = np.flatnonzero(strokes.any(axis=0)), np.flatnonzero(strokes.any(axis=1))
    if not len(used_x):
        return none
    span_x, span_y = used_x[-1] - used_x[0] + 1, used_y[-1] - used_y[0] + 1
    coarse = 4  # long lines are found on a 4x smaller copy (connected components cost by the pixel)

    def segments(mask, along: int, minimum: float) -> list[tuple[int, int, int, int]]:
        height, width = (side // coarse for side in mask.shape)
        blocks = mask[: height * coarse, : width * coarse] * np.uint8(255)
        small = (cv2.resize(blocks, (width, height), interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
        _, _, stats, _ = cv2.connectedComponentsWithStats(small, connectivity=8)
        stats = stats[1:, :4] * coarse
        thin = stats[:, 3 - along] <= max(2 * coarse, unit / 2 + coarse)  # a line, not a filled area
        found = stats[thin & (stats[:, 2 + along] >= minimum)]
        order = np.argsort(-found[:, 2 + along])[:6]
        return [_refined(mask, tuple(int(v) for v in found[i]), along, coarse) for i in order]

    # An axis runs along a third of the figure at least.
    rows = segments(horizontal, 0, 0.3 * span_x)
    columns = segments(vertical, 1, 0.3 * span_y)
    tolerance = max(3.0, unit / 2)
    best = None
    for hx, hy, hw, hh in rows:
        for vx, vy, vw, vh in columns:
            axis_y, axis_x = hy + hh / 2, vx + vw / 2
            meets = (
                hx - tolerance <= axis_x <= hx + hw + tolerance
                and vy - tolerance <= axis_y <= vy + vh + tolerance
            )
            # The origin sits in the lower left part (an L or a cross near it), as a chart's does.
            lower_left = axis_x <= hx + 0.5 * hw and axis_y >= vy + 0.5 * vh
            if meets and lower_left:
                best = ((hx, hy, hw, hh), (vx, vy, vw, vh))
                break
        if best:
            break
    if best is None:
        return none
    (hx, hy, hw, hh), (vx, vy, vw, vh) = best
    axis_y, axis_x = hy + hh / 2, vx + vw / 2
    below = [
        i
        for i, (x0, y0, x1, y1) in enumerate(word_boxes)
        if axis_y - tolerance <= y0 <= axis_y + 4 * unit and hx - unit <= (x0 + x1) / 2 <= hx + hw + unit
    ]
    left = [
        i
        for i, (x0, y0, x1, y1) in enumerate(word_boxes)
        if axis_x - 6 * unit <= x1 <= axis_x + tolerance and vy - unit <= (y0 + y1) / 2 <= vy + vh + unit
    ]
    # Values only: the OCR re-kinds numbers stepping along a line as values; reference signs (81, 82, 83 on a
    # block diagram's units) keep their kind.
    x_values = [
        ((word_boxes[i][0] + word_boxes[i][2]) / 2, words[i].text) for i in below if words[i].kind == "other"
    ]
    y_values = [
        (-(word_boxes[i][1] + word_boxes[i][3]) / 2, words[i].text) for i in left if words[i].kind == "other"
    ]
    band = max(2, round(unit / 2))
    top, bottom = int(hy) - band, int(hy + hh) + band
    marks_x = np.concatenate(
        [strokes[max(0, top) : int(hy), hx : hx + hw], strokes[int(hy + hh) : bottom, hx : hx + hw]]
    )
    lo, hi = int(vx) - band, int(vx + vw) + band
    marks_y = np.concatenate(
        [strokes[vy : vy + vh, max(0, lo) : int(vx)], strokes[vy : vy + vh, int(vx + vw) : hi]], axis=1
    )
    bars = sum(
        1
        for s in shapes
        if s.kind == "rect" and not s.text and abs(s.box[3] - hy) <= tolerance + hh and s.box[0] >= vx
    )
    return {
        "axes": True,
        "ticks": max(_even_marks(marks_x.any(axis=0), unit), _even_marks(marks_y.any(axis=1), unit)),
        "tick_values": max(_value_series(x_values), _value_series(y_values)),
        "bars": bars,
        # Titles, units and values, not a drawing's reference signs.
        "axis_text": any(words[i].kind == "other" for i in below + left),
    }


def _refined(
    mask: np.ndarray, box: tuple[int, int, int, int], along: int, pad: int
) -> tuple[int, int, int, int]:
    """A line's box found on the coarse copy, its thickness measured again on ``mask``: the rows (columns) within
    ``pad`` of it that the line fills for half its length."""
    x, y, w, h = box
    if along == 0:
        lo = max(0, y - pad)
        filled = np.flatnonzero(mask[lo : y + h + pad, x : x + w].sum(axis=1) >= 0.5 * w)
        return (x, lo + int(filled[0]), w, int(filled[-1] - filled[0] + 1)) if len(filled) else box
    lo = max(0, x - pad)
    filled = np.flatnonzero(mask[y : y + h, lo : x + w + pad].sum(axis=0) >= 0.5 * h)
    return (lo + int(filled[0]), y, int(filled[-1] - filled[0] + 1), h) if len(filled) else box


def _even_marks(present: np.ndarray, unit: float) -> int:
    """How many thin marks stand evenly spaced along an axis (``present``: ink beside the axis, per position)."""
    padded = np.concatenate([[False], present, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(padded) == 1)
    ends = np.flatnonzero(np.diff(padded) == -1)
    thin = (ends - starts) <= max(2, unit / 2)
    centres = (starts + ends)[thin] / 2
    if len(centres) < 3:
        return 0
    gaps = np.diff(centres)
    typical = np.median(gaps)
    # Ticks repeat at one spacing; a drawing's strokes touching a base line do not.
    even = np.abs(gaps - typical) <= 0.25 * typical
    count = int(even.sum()) + 1 if even.mean() >= 0.7 else 0
    # A chart has a few to a few dozen ticks; more along one line are hatching or a dotted edge.
    return count if count <= 40 else 0


def _value_series(items: list[tuple[float, str]]) -> int:
    """How many numbers along an axis step one way as their position does (axis values, not reference signs)."""
    numbers = []
    for position, text in items:
        cleaned = text.replace(" ", "").replace("−", "-").rstrip("%")
        if _NUMBER.match(cleaned.replace(",", ".")):
            numbers.append((position, float(cleaned.replace(",", "."))))
    if len(numbers) < 3:
        return 0
    values = [value for _, value in sorted(numbers)]
    steps = np.sign(np.diff(values))
    rising, falling = int((steps > 0).sum()), int((steps < 0).sum())
    # One misread value may break the run; reference signs are in no order at all.
    return max(rising, falling) + 1 if max(rising, falling) >= len(steps) - 1 else 0
