"""Figures of every kind with their truth, to measure the figure-kind classifier (:mod:`patimg.figures.kind`) on
many figures nobody tuned it on.

:func:`kind_figure` draws one figure as ingest crops it off a sheet — black ink on white at 300 dpi, a "FIG. n"
caption under it — and returns the text on it as an OCR reads it (labels with boxes and kinds):

* ``diagram``: a flowchart (start oval, process boxes, decision diamonds with YES/NO, step numbers) or a block
  diagram (boxes of units in a grid joined by arrows, reference numerals on leaders, sometimes a frame);
* ``chart``: axes with ticks and values or titles, holding curves, bars or a step (timing) line, sometimes
  framed or gridded;
* ``table``: a ruled grid of words and numbers, or an unruled one with horizontal rules only;
* ``chemical``: hexagon and pentagon rings, fused or linked, double bonds, heteroatoms and substituents;
* ``drawing``: one of the demo's line drawings (:mod:`patimg.demo.drawings`) with its numerals.

Seeds make figures reproducible and follow :mod:`patimg.demo.layouts`: :data:`TUNING_SEEDS` while developing
and in the tests, from :data:`HELD_OUT_START` on in the benchmark.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from PIL import Image

from patimg.demo.canvas import Canvas, fitting_size
from patimg.demo.drawings import FAMILIES, Pen, font, to_bilevel, write_callout
from patimg.demo.layouts import HELD_OUT_START, TUNING_SEEDS
from patimg.demo.molecules import draw_chemical
from patimg.ocr.base import demote_values
from patimg.types import Label
from patimg.vocabulary import FIGURE_KINDS, FigureKind

__all__ = ["HELD_OUT_START", "TUNING_SEEDS", "KindFigure", "kind_figure"]

_UNITS = (
    "CONTROLLER",
    "MEMORY",
    "SENSOR",
    "DISPLAY UNIT",
    "POWER SUPPLY",
    "PROCESSOR",
    "INPUT UNIT",
    "STORAGE",
    "COMMUNICATION UNIT",
    "MOTOR DRIVER",
    "CAMERA",
    "SERVER",
    "DETERMINATION UNIT",
    "RECORDING CONTROL UNIT",
)
_STEPS = (
    "ACQUIRE POSITION",
    "READ SENSOR",
    "COMPUTE OFFSET",
    "UPDATE MAP",
    "SEND REQUEST",
    "STORE RESULT",
    "HEAT TO 80°C",
    "ADD ENZYME",
    "FILTER SLURRY",
    "DRY FIBRES",
    "REEL-UP CONTROL",
    "STOP MOTOR",
)
_QUESTIONS = ("DONE?", "VALUE > LIMIT?", "SWING LARGE?", "ARRIVED?", "ERROR?")
_AXIS_TITLES = ("TIME (s)", "TEMPERATURE (°C)", "PRESSURE", "VOLTAGE [V]", "SPEED", "FREQUENCY (Hz)", "LOAD")
_HEADERS = ("SAMPLE", "EXAMPLE", "TEMP (°C)", "TIME", "RESULT", "RATIO", "pH", "YIELD (%)", "GRADE")
_CELL_WORDS = ("GOOD", "POOR", "YES", "NO", "A", "B", "HIGH", "LOW", "—")


@dataclass(frozen=True)
class KindFigure:
    """A generated figure and its truth.

    Attributes:
        seed: The seed that makes it.
        kind: What it shows.
        image: The figure (greyscale ``"L"``, bilevel values).
        labels: Every text on it as an OCR reads it (caption, numerals, words), boxes on ``image``.
        style: A short description (``"flowchart, 5 shapes"``), to name failures.
    """

    seed: int
    kind: FigureKind
    image: Image.Image
    labels: tuple[Label, ...]
    style: str


def kind_figure(seed: int, kind: str | None = None) -> KindFigure:
    """Draw the figure of ``seed`` (same seed, same figure); ``kind`` pins what it shows."""
    rng = random.Random(f"figure-kind-{seed}")
    drawn_kind = rng.choice(FIGURE_KINDS)
    kind = drawn_kind if kind is None else kind
    if kind not in FIGURE_KINDS:
        raise ValueError(f"unknown figure kind {kind!r}; expected one of {FIGURE_KINDS}")
    canvas = Canvas((rng.randint(1300, 2300), rng.randint(1100, 2400)), rng)
    width, height = canvas.image.size
    caption_room = 220
    area = (90, 90, width - 90, height - caption_room - 40)
    style = _DRAWERS[kind](canvas, area)
    canvas.text(
        f"FIG. {rng.randint(1, 14)}", (width / 2, height - caption_room / 2 - 20), size=rng.randint(64, 96)
    )
    image = to_bilevel(canvas.image).convert("L")
    # Numbers stepping along an axis or packed in a table are values, as the OCR re-kinds them.
    labels = tuple(demote_values(canvas.labels))
    return KindFigure(seed=seed, kind=kind, image=image, labels=labels, style=style)


# -- diagrams -------------------------------------------------------------------------------------------


def _shape(c: Canvas, shape: str, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = box
    if shape == "rect":
        c.draw.rectangle(box, outline=0, width=c.width)
    elif shape == "round":
        c.draw.rounded_rectangle(box, radius=(y1 - y0) / 2, outline=0, width=c.width)
    else:  # a decision diamond
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        c.draw.polygon([(mx, y0), (x1, my), (mx, y1), (x0, my)], outline=0, width=c.width)


def _diagram(c: Canvas, area) -> str:
    return _flowchart(c, area) if c.rng.random() < 0.5 else _blocks(c, area)


def _flowchart(c: Canvas, area) -> str:
    rng, (x0, y0, x1, y1) = c.rng, area
    n = rng.randint(3, 7)
    pitch = (y1 - y0) / n
    c.text_size = min(c.text_size, int(pitch / 3.2))  # text fits its box with room around it, as drafted
    box_h = min(pitch * 0.6, c.text_size * 3.2)
    box_w = min((x1 - x0) * 0.6, c.text_size * 14)
    cx = x0 + (x1 - x0) * rng.uniform(0.38, 0.5)
    steps = rng.random() < 0.5
    previous = None
    for k in range(n):
        cy = y0 + pitch * (k + 0.5)
        shape = (
            "round"
            if k in (0, n - 1) and rng.random() < 0.7
            else ("diamond" if rng.random() < 0.3 else "rect")
        )
        text = "START" if shape == "round" and k == 0 else "END" if shape == "round" else None
        text = text or (rng.choice(_QUESTIONS) if shape == "diamond" else rng.choice(_STEPS))
        h = box_h * (1.4 if shape == "diamond" else 1.0)
        w = box_w * (1.2 if shape == "diamond" else 1.0)
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        _shape(c, shape, box)
        room = w * (0.6 if shape == "diamond" else 0.9)
        c.text(
            text,
            (cx, cy),
            size=fitting_size(c, [text], room, int(c.text_size * (0.8 if shape == "diamond" else 1.0))),
        )
        if steps and shape != "round":
            c.text(
                f"S{100 + 2 * k}", (box[2] + c.text_size * 1.6, box[1] - c.text_size * 0.2), size=c.text_size
            )
        if previous is not None:
            c.arrow((cx, previous), (cx, box[1]))
            if shape == "diamond":
                c.text(
                    "YES", (cx + c.text_size * 1.2, box[3] + c.text_size * 0.6), size=int(c.text_size * 0.8)
                )
        if shape == "diamond":
            side = box[2] + (x1 - box[2]) * 0.6
            c.arrow(
                (box[2], cy),
                (side, cy),
                (side, box[1] - pitch * 0.4),
                (cx + w / 2 * 0.3, box[1] - pitch * 0.4),
            )
            c.text("NO", ((box[2] + side) / 2, cy - c.text_size * 0.7), size=int(c.text_size * 0.8))
        previous = box[3]
    return f"flowchart, {n} shapes{', step numbers' if steps else ''}"


def _blocks(c: Canvas, area) -> str:
    rng, (x0, y0, x1, y1) = c.rng, area
    columns, rows = rng.randint(1, 3), rng.randint(2, 4)
    cell_w, cell_h = (x1 - x0) / columns, (y1 - y0) / rows
    box_w = min(cell_w * 0.7, c.text_size * 11)
    box_h = min(cell_h * 0.55, c.text_size * 3.4)
    boxes = []
    for r in range(rows):
        for k in range(columns):
            if len(boxes) >= 2 and rng.random() < 0.2:
                continue  # an empty place in the grid
            cx, cy = x0 + cell_w * (k + 0.5), y0 + cell_h * (r + 0.5)
            box = (cx - box_w / 2, cy - box_h / 2, cx + box_w / 2, cy + box_h / 2)
            c.draw.rectangle(box, outline=0, width=c.width)
            words = rng.choice(_UNITS).split()
            lines = (
                [" ".join(words[:1]), " ".join(words[1:])]
                if len(words) > 1 and rng.random() < 0.5
                else [" ".join(words)]
            )
            size = fitting_size(c, lines, box_w - c.text_size, int(c.text_size * 0.85))
            for i, line in enumerate(lines):
                c.text(line, (cx, cy + (i - (len(lines) - 1) / 2) * size * 1.2), size=size)
            if rng.random() < 0.6:  # the unit's reference numeral on a short leader
                c.text(
                    str(rng.randrange(10, 90, 2)), (box[2] + c.text_size * 0.9, box[1] - c.text_size * 0.7)
                )
                c.line(
                    (box[2] + c.text_size * 0.4, box[1] - c.text_size * 0.3),
                    (box[2] - 6, box[1] + 8),
                    width=3,
                )
            boxes.append(box)
    for a, b in zip(boxes, boxes[1:], strict=False):  # each box feeds the next
        ax, ay = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
        bx, by = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if abs(ay - by) < 1:
            c.arrow((a[2], ay), (b[0], by))
        else:
            c.arrow((ax, a[3]), (ax, (a[3] + b[1]) / 2), (bx, (a[3] + b[1]) / 2), (bx, b[1]))
    framed = rng.random() < 0.3
    if framed:
        pad = c.text_size * 0.5
        frame = (
            min(b[0] for b in boxes) - pad,
            min(b[1] for b in boxes) - pad * 2.2,
            max(b[2] for b in boxes) + pad * 2.5,
            max(b[3] for b in boxes) + pad,
        )
        c.line(
            (frame[0], frame[1]),
            (frame[2], frame[1]),
            (frame[2], frame[3]),
            (frame[0], frame[3]),
            (frame[0], frame[1]),
            width=3,
            dash=18,
        )
    return f"blocks, {len(boxes)} boxes{', framed' if framed else ''}"


# -- charts ----------------------------------------------------------------------------------------------


def _chart(c: Canvas, area) -> str:
    rng, (x0, y0, x1, y1) = c.rng, area
    style = rng.choice(("curves", "curves", "bars", "steps"))
    ox, oy = x0 + c.text_size * 4, y1 - c.text_size * 3
    top, right = y0 + c.text_size, x1 - c.text_size
    c.line((ox, top), (ox, oy), (right, oy))
    if rng.random() < 0.3:  # a framed plot
        c.line((ox, top), (right, top), (right, oy))
    elif rng.random() < 0.5:  # arrowheads on open axes
        c.arrow((ox, oy), (ox, top - c.text_size))
        c.arrow((ox, oy), (right + c.text_size, oy))
    n_x, n_y = rng.randint(4, 8), rng.randint(3, 6)
    values = rng.random() < 0.8
    step_x, step_y = rng.choice((1, 2, 5, 10, 20, 50, 100)), rng.choice((0.5, 1, 10, 25, 100))
    tick = c.text_size * 0.35 * rng.choice((1, -1))
    gridded = rng.random() < 0.25
    for k in range(n_x + 1):
        x = ox + (right - ox) * k / n_x
        if style != "bars":
            c.line((x, oy), (x, oy + tick), width=3)
        if values and style != "bars":
            c.text(f"{k * step_x:g}", (x, oy + c.text_size * 1.1))
    for k in range(n_y + 1):
        y = oy - (oy - top) * k / n_y
        c.line((ox, y), (ox - tick, y), width=3)
        if gridded and k:
            c.line((ox, y), (right, y), width=2, dash=10)
        if values:
            c.text(f"{k * step_y:g}", (ox - c.text_size * 0.6, y), anchor="rm")
    c.text(rng.choice(_AXIS_TITLES), ((ox + right) / 2, oy + c.text_size * 2.3))
    if rng.random() < 0.5:
        c.vertical_text(rng.choice(_AXIS_TITLES), (ox - c.text_size * 3.2, (top + oy) / 2))
    if style == "bars":
        n = rng.randint(3, 8)
        slot = (right - ox) / n
        for k in range(n):
            h = (oy - top) * rng.uniform(0.15, 0.9)
            box = (ox + slot * (k + 0.2), oy - h, ox + slot * (k + 0.8), oy)
            c.draw.rectangle(box, outline=0, width=c.width)
            c.text(chr(65 + k), ((box[0] + box[2]) / 2, oy + c.text_size * 1.1))
        return f"bars, {n}"
    curves = rng.randint(1, 3)
    for _ in range(curves):
        if style == "steps":
            level, points = rng.uniform(0.2, 0.8), []
            for k in range(rng.randint(3, 6)):
                x = ox + (right - ox) * k / 6
                points += [(x, oy - (oy - top) * level)]
                level = rng.uniform(0.1, 0.9)
                points += [
                    (x + (right - ox) / 6, points[-1][1]),
                    (x + (right - ox) / 6, oy - (oy - top) * level),
                ]
        else:
            a, b, phase = rng.uniform(0.1, 0.4), rng.uniform(0.5, 3), rng.uniform(0, 6)
            base = rng.uniform(0.3, 0.6)
            points = [
                (
                    ox + (right - ox) * t / 60,
                    oy - (oy - top) * (base + a * math.sin(b * t / 10 + phase) * (0.5 + t / 60)),
                )
                for t in range(61)
            ]
        c.line(*points, dash=14 if rng.random() < 0.3 else 0)
    return f"{style}, {curves} line(s){', gridded' if gridded else ''}{', values' if values else ''}"


# -- tables ----------------------------------------------------------------------------------------------


def _table(c: Canvas, area) -> str:
    rng, (x0, y0, x1, y1) = c.rng, area
    columns, rows = rng.randint(2, 5), rng.randint(3, 10)
    c.text_size = min(c.text_size, int((y1 - y0) / rows / 2.0))
    row_h = c.text_size * rng.uniform(1.7, 2.3)
    col_w = min((x1 - x0) / columns, c.text_size * rng.uniform(6, 9))
    left = x0 + ((x1 - x0) - col_w * columns) / 2
    top = y0 + ((y1 - y0) - row_h * rows) / 2
    ruled = rng.random() < 0.7
    numeric = [rng.random() < 0.6 for _ in range(columns)]
    for r in range(rows):
        for k in range(columns):
            if r == 0:
                text = rng.choice(_HEADERS) if k else ""
            elif k == 0:
                text = f"{rng.choice(('EXAMPLE', 'No.', 'S'))} {r}"
            else:
                text = (
                    f"{rng.uniform(0, 200):.{rng.choice((0, 1, 2))}f}"
                    if numeric[k]
                    else rng.choice(_CELL_WORDS)
                )
            if text:
                c.text(text, (left + col_w * (k + 0.5), top + row_h * (r + 0.5)), size=int(c.text_size * 0.8))
    width = left + col_w * columns
    if ruled:
        for r in range(rows + 1):
            c.line((left, top + row_h * r), (width, top + row_h * r), width=3)
        for k in range(columns + 1):
            c.line((left + col_w * k, top), (left + col_w * k, top + row_h * rows), width=3)
    else:  # rules above and below the header and under the last row only
        for r in (0, 1, rows):
            c.line((left, top + row_h * r), (width, top + row_h * r), width=3)
    return f"{'ruled' if ruled else 'unruled'}, {rows}x{columns}"


# -- drawings --------------------------------------------------------------------------------------------


def _drawing(c: Canvas, area) -> str:
    rng, (x0, y0, x1, y1) = c.rng, area
    half = min(x1 - x0, y1 - y0) / 2 / 1.25
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pen = Pen(c.draw, (int(cx - half), int(cy - half), int(cx + half), int(cy + half)), stroke=c.width)
    family = rng.choice(sorted(FAMILIES))
    signs: dict[str, str] = defaultdict(lambda: str(rng.randrange(10, 400, 2)))
    for callout in FAMILIES[family](pen, rng.choice(("main", "alt")), signs, rng):
        box = write_callout(c.draw, pen, callout, font(c.text_size))
        c.labels.append(
            Label(text=callout.sign, kind="reference", box=tuple(float(v) for v in box), confidence=1.0)
        )
    return family


_DRAWERS = {
    "drawing": _drawing,
    "diagram": _diagram,
    "chart": _chart,
    "chemical": draw_chemical,
    "table": _table,
}
