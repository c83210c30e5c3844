"""What a figure shows — a drawing, a block diagram or flowchart, a chart, a chemical structure or a table — told
from its ink and the text read on it, with no model and no weights.

The ink is measured once at a working resolution (:data:`WORK_SIDE`), with the text the OCR read erased (so
letters make no strokes) or painted in as blocks a little inside their boxes (so letters make no holes, and a
box drawn tight round its words stays closed), an atom letter as a disc that closes its ring. Then
(:mod:`patimg.figures.shapes` measures the first two):

* *closed shapes*: the white regions the ink encloses. A rectangle, diamond or oval that holds text is a box of a
  diagram; rectangles that share their edges in rows and columns, most holding text, are the cells of a table;
  small regular pentagons and hexagons, most of the closed shapes, are the rings of a chemical structure;
* *axes*: a long horizontal and a long vertical stroke that meet low and left, with values stepping along them,
  or tick marks or bars and words beside them, are a chart's;
* *words*: atom letters and groups (``N``, ``OH``, ``NH2``, ``Cl``) belong to chemistry; values and words
  aligned in rows and columns, with only straight lines about, are an unruled table.

:func:`kind_from_cues` tries table, chart, chemical structure, diagram and unruled table in turn; anything else
is a ``"drawing"``. Every threshold is relative to the text height read (or, with no text, to the figure's size),
so it holds at any resolution. ``benchmarks/figure_kinds.py`` measures it on hand-labelled real figures and on
generated ones; it costs about 15 ms a figure (a few 1000-pixel images through OpenCV), next to seconds of OCR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from patimg.figures.shapes import chart_axes, closed_shapes, table_cells
from patimg.types import Label
from patimg.vocabulary import FigureKind

#: Longest side, in pixels, the ink is measured at. A 300-dpi sheet becomes about 90 dpi: a 1/8 inch numeral is
#: still 11 pixels high and every cue below costs a few milliseconds.
WORK_SIDE = 1000
#: Grey level under which a working pixel is ink. Averaging down leaves a thin stroke grey, not black: a 2-pixel
#: 300-dpi stroke covers 60% of a working pixel at 0.3 scale and ends near 100.
INK_LEVEL = 200
#: Atom letters and groups a structure prints (read text is compared without spaces, case kept).
ATOMS = frozenset(
    "N O S P F Cl Br I B Si OH HO NH HN NH2 H2N NH3 NO2 O2N CH3 H3C CH2 CH3O OCH3 H3CO MeO OMe Me Et Ph Bn Boc "
    "Ac COOH HOOC CO2H CO2Me CN NC SH HS CF3 F3C NMe2 Me2N OEt EtO SO2 SO3H NHAc AcHN tBu iPr".split()
)
#: Single letters that also name axes or reference signs on drawings: an atom only beside other atoms.
_WEAK_ATOMS = frozenset("N O S P F I B".split())
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


@dataclass(frozen=True)
class KindCues:
    """What :func:`figure_cues` measured on a figure (the benchmark prints them beside its mistakes).

    Attributes:
        straight: Share of the ink (text erased) on long horizontal and vertical strokes.
        text_shapes: Closed rectangles, diamonds and ovals holding text (diagram boxes).
        cells: Closed rectangles in the largest group sharing edges (table cells).
        grid: Rows and columns of that group.
        filled: Share of those cells holding text.
        text_grid: Words aligned both in a row and in a column with others (an unruled table's).
        grid_values: How many of those are values or words, not reference signs.
        rings: Small regular pentagons and hexagons (chemical rings).
        atoms: Atom letters and groups read (a lone single letter counts a half).
        axes: Whether two long perpendicular strokes meet.
        ticks: Evenly spaced tick marks along those axes.
        tick_values: Numbers stepping monotonically along the axes.
        bars: Closed rectangles standing on the horizontal axis.
        axis_text: Whether text other than reference signs sits just outside the axes (titles, units, values).
        words: Text read, figure captions left out.
        shapes: Closed shapes of any outline, at least a text line across.
    """

    straight: float = 0.0
    text_shapes: int = 0
    cells: int = 0
    grid: tuple[int, int] = (0, 0)
    filled: float = 0.0
    text_grid: int = 0
    grid_values: int = 0
    rings: int = 0
    atoms: float = 0.0
    axes: bool = False
    ticks: int = 0
    tick_values: int = 0
    bars: int = 0
    axis_text: bool = False
    words: int = 0
    shapes: int = 0


def figure_kind(image: Image.Image, labels: Sequence[Label] | None) -> FigureKind:
    """What ``image`` shows (see the module docstring).

    Args:
        image: The figure (any mode; dark ink on light paper).
        labels: The text the OCR read on it, boxes on ``image`` (``()``: it read nothing). ``None`` when it was not
            read at all: text inside a shape is then guessed from the ink inside it, a far weaker cue.
    """
    return kind_from_cues(figure_cues(image, labels))


def kind_from_cues(cues: KindCues) -> FigureKind:
    """The rules, in order: table, chart, chemical structure, diagram, unruled table, else drawing."""
    rows, columns = cues.grid
    # A table: at least 2 x 2 cells sharing edges, most holding text (a drawing's grid of panes holds none).
    if cues.cells >= 4 and rows >= 2 and columns >= 2 and cues.filled >= 0.5:
        return "table"
    # A chart: axes, and values stepping along them, or evenly spaced ticks or bars with some text by the axes
    # (a box's corner or a design drawing's shading lines along an edge have neither).
    if cues.axes and (cues.tick_values >= 3 or (cues.axis_text and (cues.ticks >= 4 or cues.bars >= 3))):
        return "chart"
    # A structure: rings that are most of its closed shapes (a wheel or a shoe sole has hexagons among many
    # other shapes), or a ring with an atom read, or atoms joined by bonds; a drawing's hexagon nut is one ring
    # with numerals, not atoms. Boxes of text say it is a diagram whatever its hexagons.
    share = cues.rings / max(1, cues.shapes)
    rings = (cues.rings >= 2 and share >= 0.5) or (cues.rings >= 1 and cues.atoms > 0 and share >= 0.3)
    if cues.text_shapes < 2 and (rings or cues.atoms >= 3):
        return "chemical"
    # A diagram: two or more closed shapes holding text. In a drawing the numerals stand outside the parts at the
    # end of leader lines.
    if cues.text_shapes >= 2:
        return "diagram"
    # An unruled table: words in rows and columns, ruled (if at all) by straight lines only. A drawing's reference
    # numerals stacked along its sides line up too, but a table's grid holds values and words as well.
    grid = (
        cues.text_grid >= 4 and cues.text_grid >= 0.6 * cues.words and cues.grid_values >= cues.text_grid / 3
    )
    if grid and cues.straight >= 0.6:
        return "table"
    return "drawing"


def figure_cues(image: Image.Image, labels: Sequence[Label] | None) -> KindCues:
    """Measure the cues :func:`kind_from_cues` decides on (``labels`` as :func:`figure_kind`)."""
    import cv2

    read, labels = labels is not None, labels or ()
    gray = np.asarray(image.convert("L"))
    # A whole factor: OpenCV averages whole blocks thirty times faster than it resamples by any other scale.
    factor = max(1, int(np.ceil(max(gray.shape) / WORK_SIDE)))
    scale = 1.0 / factor
    if factor > 1:
        height, width = (side // factor for side in gray.shape)
        gray = cv2.resize(
            gray[: height * factor, : width * factor], (width, height), interpolation=cv2.INTER_AREA
        )
    ink = (gray < INK_LEVEL).astype(np.uint8)
    if not ink.any():
        return KindCues()
    words = [lab for lab in labels if lab.kind != "figure" and lab.text.strip()]
    boxes = [_scaled(lab.box, scale, ink.shape) for lab in labels]
    word_boxes = [_scaled(lab.box, scale, ink.shape) for lab in words]
    unit = _text_unit(word_boxes or boxes, ink.shape)
    strokes = ink.copy()
    solid = ink.copy()
    shrink = max(1, round(0.2 * unit))
    for label, (x0, y0, x1, y1) in zip(labels, boxes, strict=True):
        strokes[y0:y1, x0:x1] = 0
        if _atom_weight(label.text):
            # Bonds stop short of an atom letter by about half a letter: a disc that far round it closes the
            # ring, and bites less off the ring's inside than the letter's box grown as far would.
            radius = round(max(x1 - x0, y1 - y0) / 2 + 0.5 * unit)
            cv2.circle(solid, ((x0 + x1) // 2, (y0 + y1) // 2), radius, 1, thickness=-1)
        elif x1 - x0 > 2 * shrink and y1 - y0 > 2 * shrink:
            # Other text as a block (its letters make no holes), a little inside its box read: a box drawn
            # tight round its words keeps a white margin, so the block never joins the box's edges.
            solid[y0 + shrink : y1 - shrink, x0 + shrink : x1 - shrink] = 1
    # Close one-pixel breaks (a scanned box edge, a bond stopping short of its atom) so shapes stay closed.
    solid = cv2.morphologyEx(solid, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    long = max(3, round(2.5 * unit))  # longer than any letter's stroke
    horizontal = cv2.morphologyEx(
        strokes, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long, 1))
    )
    vertical = cv2.morphologyEx(strokes, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long)))
    stroke_ink = int(strokes.sum())
    straight = float(((horizontal | vertical).sum()) / stroke_ink) if stroke_ink else 0.0
    shapes = closed_shapes(solid, word_boxes if read else None, unit)
    cells, grid, filled = table_cells([s for s in shapes if s.kind == "rect"])
    axes = chart_axes(horizontal, vertical, strokes, word_boxes, words, unit, shapes)
    return KindCues(
        straight=round(straight, 3),
        text_shapes=sum(1 for s in shapes if s.kind in ("rect", "diamond", "oval") and s.text and not s.cell),
        cells=cells,
        grid=grid,
        filled=round(float(filled), 3),
        **_text_grid(word_boxes, words, unit),
        rings=sum(1 for s in shapes if s.kind == "ring"),
        atoms=_atoms([lab.text for lab in words]),
        **axes,
        words=len(words),
        shapes=len(shapes),
    )


def _scaled(box, scale: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    height, width = shape
    x0, y0, x1, y1 = box
    return (
        min(width, max(0, int(x0 * scale))),
        min(height, max(0, int(y0 * scale))),
        min(width, max(0, int(np.ceil(x1 * scale)))),
        min(height, max(0, int(np.ceil(y1 * scale)))),
    )


def _text_unit(boxes: Sequence[tuple[int, int, int, int]], shape: tuple[int, int]) -> float:
    """The height of a line of text, in working pixels: the median short side of the text boxes read (a vertical
    axis title is as thick as a horizontal word is high); a 45th of the figure's long side when none was read."""
    sides = [min(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes if x1 > x0 and y1 > y0]
    if sides:
        return max(4.0, float(np.median(sides)))
    return max(4.0, max(shape) / 45)


def _atoms(texts: Sequence[str]) -> float:
    """Atom letters and groups read; a lone single letter (an axis, a sign) counts half."""
    return sum(_atom_weight(text) for text in texts)


def _atom_weight(text: str) -> float:
    """1 for an atom group (``OH``, ``NH2``), 0.5 for a single atom letter (also an axis or a sign), else 0."""
    token = text.translate(_SUBSCRIPTS).replace(" ", "")
    if token not in ATOMS:
        return 0.0
    return 0.5 if token in _WEAK_ATOMS else 1.0


def _text_grid(boxes: Sequence[tuple[int, int, int, int]], words: Sequence[Label], unit: float) -> dict:
    """Words with another word in their row and another in their column (aligned left, right or centred), and
    how many of them are values or words (kind ``"other"``)."""
    count = values = 0
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        cy = (y0 + y1) / 2
        in_row = in_column = False
        for j, (a0, b0, a1, b1) in enumerate(boxes):
            if i == j:
                continue
            if abs((b0 + b1) / 2 - cy) <= 0.5 * unit:
                in_row = True
            elif min(abs(a0 - x0), abs(a1 - x1), abs((a0 + a1) / 2 - (x0 + x1) / 2)) <= 0.5 * unit:
                in_column = True
        count += in_row and in_column
        values += in_row and in_column and words[i].kind == "other"
    return {"text_grid": count, "grid_values": values}
