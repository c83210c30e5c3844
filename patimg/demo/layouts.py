"""Varied drawing sheets with known truth, to measure the sheet splitter on layouts nobody tuned it on.

A few real sheets cannot tell a splitter that generalises from one fitted to them, so this module composes
the demo's line drawings (:mod:`patimg.demo.drawings`) into many layouts: 1-6 figures per sheet as stacks,
rows, grids and mixed rows of different sizes; captions above, below or beside (the same side for a whole
sheet, as drafters do); "FIG. 3", "FIG 3", "Fig.3", "FIGURE 3" in sans-serif or serif; "Prior art" subtitles;
sheets turned a quarter with the header on the page's own top edge; detached parts on dashed axis lines and
dashed leader lines. Each figure is drawn on a layer of its own, so its true box is the exact box of its ink
(drawing, numerals, leader lines, caption and subtitle).

Seeds make sheets reproducible. :data:`TUNING_SEEDS` are the sheets the splitter was developed and is tested
on; benchmarks draw from :data:`HELD_OUT_START` on, which no one looks at while tuning.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

from patimg.demo.drawings import FAMILIES, SHEET_SIZE, Callout, Pen, font, to_bilevel, write_callout
from patimg.figure_numbers import normalise_figure_number
from patimg.types import Label

#: Seeds used while developing the splitter and by the tests.
TUNING_SEEDS = range(0, 1000)
#: First seed of the held-out sheets the benchmark measures (never used for tuning).
HELD_OUT_START = 1_000_000

CAPTION_SIDES = ("below", "above", "left", "right")
_CAPTION_FORMATS = ("FIG. {}", "FIG {}", "Fig.{}", "Fig. {}", "FIGURE {}", "FIG.{}")
_SUBTITLES = ("Prior art", "PRIOR ART", "Prior Art")
_FONT_FILES = {
    "sans": ("dejavu/DejaVuSans.ttf", "liberation/LiberationSans-Regular.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "serif": (
        "dejavu/DejaVuSerif.ttf",
        "liberation/LiberationSerif-Regular.ttf",
        "dejavu/DejaVuSerif-Bold.ttf",
    ),
}
_PARTS = {  # the part names each family's callouts use
    "fan": ("hub", "blade", "tip", "guard", "motor", "shaft"),
    "gear": ("gear", "teeth", "bore", "pinion", "axle"),
    "bottle": ("cap", "neck", "shoulder", "label", "base"),
    "chair": ("seat", "backrest", "leg", "rear_leg", "stretcher"),
    "lamp": ("base", "arm", "joint", "shade", "bulb"),
    "bracket": ("upright", "flange", "gusset", "hole"),
}


@dataclass(frozen=True)
class TrueFigure:
    """One figure as drawn on a generated sheet.

    Attributes:
        caption: Caption as printed (``"Fig.3"``).
        figure_num: Its normal form (``"3"``).
        box: Box of the figure on the upright sheet: its ink (drawing, leader lines) and its text boxes
            (numerals, caption, subtitle).
        numerals: The reference numerals written in it, boxes on the upright sheet.
    """

    caption: str
    figure_num: str
    box: tuple[int, int, int, int]
    numerals: tuple[Label, ...]


@dataclass(frozen=True)
class LayoutSheet:
    """A generated sheet and its truth.

    Attributes:
        seed: The seed that makes it.
        image: The sheet as a scanner stores it (bilevel; turned when ``rotation`` is not 0).
        upright: ``image`` turned ``rotation`` degrees clockwise (greyscale ``"L"``).
        rotation: Degrees clockwise that make ``image`` upright (0, 90 or 270).
        labels: Every text printed, as an OCR reads it on the upright sheet: header, captions, subtitles,
            numerals.
        figures: The figures in caption order.
        layout: A short description (``"grid 2,2; captions above; serif"``), to name failures.
    """

    seed: int
    image: Image.Image
    upright: Image.Image
    rotation: int
    labels: tuple[Label, ...]
    figures: tuple[TrueFigure, ...]
    layout: str


@lru_cache(maxsize=32)
def _font(style: str, index: int, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path("/usr/share/fonts/truetype") / _FONT_FILES[style][index]
    return ImageFont.truetype(str(path), size) if path.is_file() else font(size)


def _rows(n: int, rng: random.Random, landscape: bool) -> list[int]:
    """How many figures each row holds: a stack, a row, a grid or rows of different counts."""
    options = [[1] * n] if n <= (2 if landscape else 4) else []
    if n <= (4 if landscape else 3):
        options.append([n])
    options += {
        3: [[2, 1], [1, 2]],
        4: [[2, 2], [1, 3], [3, 1]],
        5: [[2, 3], [3, 2], [2, 2, 1]],
        6: [[3, 3], [2, 2, 2]],
    }.get(n, [])
    return rng.choice(options) if options else [1]


def layout_sheet(
    seed: int,
    *,
    rows: list[int] | None = None,
    side: str | None = None,
    rotation: int | None = None,
    caption_format: str | None = None,
    subtitled: bool | None = None,
) -> LayoutSheet:
    """Draw the sheet of ``seed`` (same seed, same sheet).

    The keywords pin one aspect of the layout (the rest still comes from the seed), so a test can ask for
    the layouts a splitter once failed on: ``rows=[2, 2], side="above", subtitled=True``.

    Args:
        seed: Seed of the sheet.
        rows: Figures per row, top to bottom (``[1, 1, 1]`` a stack of three, ``[3]`` three side by side).
        side: Where every caption sits relative to its figure (:data:`CAPTION_SIDES`).
        rotation: 0, or 90 / 270 for a sheet turned a quarter (its content landscape).
        caption_format: Like ``"FIG {}"``.
        subtitled: Whether some captions carry a "Prior art" subtitle.
    """
    rng = random.Random(f"layout-{seed}")
    drawn_rotation = rng.choice((90, 270)) if rng.random() < 0.25 else 0
    rotation = drawn_rotation if rotation is None else rotation
    width, height = (SHEET_SIZE[1], SHEET_SIZE[0]) if rotation else SHEET_SIZE
    n = rng.choices((1, 2, 3, 4, 5, 6), weights=(12, 26, 26, 18, 8, 10))[0]
    drawn_rows = _rows(n, rng, landscape=bool(rotation))
    rows = drawn_rows if rows is None else list(rows)
    n = sum(rows)
    drawn_side = rng.choices(CAPTION_SIDES, weights=(50, 22, 14, 14))[0]
    if drawn_side in ("left", "right") and width / max(rows) < 1000:
        drawn_side = rng.choice(("below", "above"))  # no room beside narrow figures (drafters do the same)
    side = drawn_side if side is None else side
    style = rng.choice(("sans", "serif"))
    caption_font = _font(style, rng.randrange(3), rng.randint(64, 110))
    numeral_font = _font(style, rng.randrange(2), rng.randint(44, 66))
    fmt = rng.choice(_CAPTION_FORMATS) if caption_format is None else caption_format
    first = rng.randint(1, 14)
    lettered = rng.random() < 0.2
    numbers = [f"{first}{chr(65 + k)}" for k in range(n)] if lettered else [str(first + k) for k in range(n)]
    with_subtitles = rng.random() < 0.2 if subtitled is None else subtitled
    under_captions = set(rng.sample(range(n), k=rng.randint(1, n))) if with_subtitles else set()
    upright = Image.new("L", (width, height), 255)
    labels = _header(upright, rotation, rng)
    top = 260 if not rotation else 160
    margin = 160 if not rotation else 260
    tight = rng.random() < 0.5  # packed sheets: narrow gutters, drawings filling their room
    cells = _cells((margin, top, width - margin, height - 160), rows, rng, tight)
    figures = []
    for k, cell in enumerate(cells):
        caption = fmt.format(numbers[k])
        subtitle = rng.choice(_SUBTITLES) if k in under_captions else ""
        layer = Image.new("L", (width, height), 255)
        figure, printed = _figure(
            layer, cell, caption, subtitle, side, (caption_font, numeral_font), rng, tight
        )
        upright = ImageChops.darker(upright, layer)
        figures.append(figure)
        labels += [*figure.numerals, *printed]
    stored = to_bilevel(upright.rotate(rotation, expand=True) if rotation else upright)
    shape = ",".join(str(r) for r in rows)
    return LayoutSheet(
        seed=seed,
        image=stored,
        upright=to_bilevel(upright).convert("L"),
        rotation=rotation,
        labels=tuple(labels),
        figures=tuple(figures),
        layout=f"rows {shape}; captions {side}; {fmt.format('n')}; {style}"
        + ("; turned" if rotation else "")
        + ("; subtitles" if under_captions else "")
        + ("; tight" if tight else ""),
    )


def _cells(area, rows: list[int], rng: random.Random, tight: bool) -> list[tuple[int, int, int, int]]:
    """Boxes of the figures: rows of random heights, columns of random widths, gutters between."""
    x0, y0, x1, y1 = area
    gutter = rng.randint(15, 60) if tight else rng.randint(40, 140)
    weights = [rng.uniform(0.75, 1.25) for _ in rows]
    usable = (y1 - y0) - gutter * (len(rows) - 1)
    cells, y = [], float(y0)
    for count, weight in zip(rows, weights, strict=True):
        row_h = usable * weight / sum(weights)
        widths = [rng.uniform(0.6, 1.4) for _ in range(count)]
        usable_w = (x1 - x0) - gutter * (count - 1)
        x = float(x0)
        for w in widths:
            cell_w = usable_w * w / sum(widths)
            cells.append((int(x), int(y), int(x + cell_w), int(y + row_h)))
            x += cell_w + gutter
        y += row_h + gutter
    return cells


def _text_size(text: str, face) -> tuple[int, int]:
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=face)
    return right - left, bottom - top


def _figure(layer, cell, caption, subtitle, side, fonts, rng, tight) -> tuple[TrueFigure, list[Label]]:
    """Draw one figure (drawing, numerals, maybe a detached part, caption, subtitle) into ``cell`` of its own
    blank ``layer``; return it and its caption (and subtitle) labels."""
    caption_font, numeral_font = fonts
    cw, ch = _text_size(caption, caption_font)
    sw, sh = _text_size(subtitle, caption_font) if subtitle else (0, 0)
    block_w, block_h = max(cw, sw), ch + (int(sh * 1.6) if subtitle else 0)
    gap = rng.randint(15, 60) if tight else rng.randint(30, 110)
    x0, y0, x1, y1 = cell
    if side == "below":
        area = (x0, y0, x1, y1 - block_h - gap)
    elif side == "above":
        area = (x0, y0 + block_h + gap, x1, y1)
    elif side == "left":
        area = (x0 + block_w + gap, y0, x1, y1)
    else:
        area = (x0, y0, x1 - block_w - gap, y1)
    draw = ImageDraw.Draw(layer)
    ax0, ay0, ax1, ay1 = area
    detached = rng.random() < 0.25
    text_room = numeral_font.size * 0.9
    room = max(40.0, min(ax1 - ax0, ay1 - ay0) / 2 - text_room)
    half = room / 1.08 * rng.uniform(0.85 if tight else 0.6, 1.0) * (0.72 if detached else 1.0)
    cx = rng.uniform(
        ax0 + half * 1.08 + text_room, max(ax0 + half * 1.08 + text_room, ax1 - half * 1.08 - text_room)
    )
    cy = rng.uniform(
        ay0 + half * 1.08 + text_room, max(ay0 + half * 1.08 + text_room, ay1 - half * 1.08 - text_room)
    )
    pen = Pen(
        draw,
        (int(cx - half), int(cy - half), int(cx + half), int(cy + half)),
        stroke=rng.choice((3, 4, 5, 6)),
    )
    family = rng.choice(sorted(FAMILIES))
    signs = {part: str(rng.randrange(10, 400, 2)) for part in _PARTS[family]}
    callouts = FAMILIES[family](pen, rng.choice(("main", "alt")), signs, rng)
    if detached:
        callouts += _detached_part(pen, area, rng, str(rng.randrange(10, 400, 2)))
    numerals = []
    for callout in callouts:
        box = write_callout(draw, pen, callout, numeral_font, dash=18 if rng.random() < 0.15 else 0)
        numerals.append(
            Label(text=callout.sign, kind="reference", box=tuple(float(v) for v in box), confidence=1.0)
        )
    ink = layer.point(lambda v: 255 if v < 140 else 0).getbbox()
    bx0, by0, bx1, by1 = ink
    offset = rng.uniform(-0.5, 0.5)  # captions are often off-centre
    if side in ("below", "above"):
        mid = (bx0 + bx1) / 2 + offset * (bx1 - bx0) / 2
        left = min(max(mid - block_w / 2, x0), x1 - block_w)
        top = by1 + gap if side == "below" else by0 - gap - block_h
    else:
        mid = (by0 + by1) / 2 + offset * (by1 - by0) / 2
        top = min(max(mid - block_h / 2, y0), y1 - block_h)
        left = bx0 - gap - block_w if side == "left" else bx1 + gap
    printed = [_write(draw, (left + (block_w - cw) / 2, top), caption, caption_font, "figure")]
    if subtitle:
        printed.append(
            _write(draw, (left + (block_w - sw) / 2, top + ch + sh * 0.6), subtitle, caption_font, "other")
        )
    # The ink, and the text boxes an OCR reports (they include the glyphs' side bearings).
    boxes = [layer.point(lambda v: 255 if v < 140 else 0).getbbox()] + [lab.box for lab in numerals + printed]
    box = (
        math.floor(min(b[0] for b in boxes)),
        math.floor(min(b[1] for b in boxes)),
        math.ceil(max(b[2] for b in boxes)),
        math.ceil(max(b[3] for b in boxes)),
    )
    figure = TrueFigure(
        caption=caption, figure_num=normalise_figure_number(caption), box=box, numerals=tuple(numerals)
    )
    return figure, printed


def _write(draw: ImageDraw.ImageDraw, at, text: str, face, kind: str) -> Label:
    """Write ``text`` with its top-left ink at ``at``; the label an OCR would read there."""
    left, top, _, _ = draw.textbbox((0, 0), text, font=face, anchor="lt")
    origin = (at[0] - left, at[1] - top)
    draw.text(origin, text, font=face, fill=0, anchor="lt")
    box = draw.textbbox(origin, text, font=face, anchor="lt")
    return Label(text=text, kind=kind, box=tuple(float(v) for v in box), confidence=1.0)


def _detached_part(pen: Pen, area, rng: random.Random, sign: str) -> list[Callout]:
    """A screw drawn apart from the drawing on a dashed axis line (an exploded view), with its numeral."""
    direction = rng.choice(((1, 0), (-1, 0), (0, 1), (0, -1)))
    distance = rng.uniform(1.45, 1.7)
    centre = (direction[0] * distance, direction[1] * distance)
    x, y = pen.xy(centre)
    if not (area[0] < x - 0.2 * pen.scale and x + 0.2 * pen.scale < area[2]):
        return []
    if not (area[1] < y - 0.2 * pen.scale and y + 0.2 * pen.scale < area[3]):
        return []
    pen.circle(centre, 0.14)
    pen.line((centre[0] - 0.08, centre[1]), (centre[0] + 0.08, centre[1]), width=3)
    pen.line((centre[0], centre[1] - 0.08), (centre[0], centre[1] + 0.08), width=3)
    start, end = 0.22, distance - 0.95  # dashes from the part toward the drawing, stopping short of it
    steps = 6
    for k in range(0, steps, 2):
        a = start + (end - start) * k / steps
        b = start + (end - start) * (k + 1) / steps
        pen.line(
            (centre[0] - direction[0] * a, centre[1] - direction[1] * a),
            (centre[0] - direction[0] * b, centre[1] - direction[1] * b),
            width=2,
        )
    side = (direction[1], direction[0])  # the numeral beside the part, across the axis
    label = (centre[0] + side[0] * 0.45 + 0.2, centre[1] + side[1] * 0.45 - 0.2)
    return [Callout(sign, (centre[0] + 0.1, centre[1] - 0.1), label)]


def _header(upright: Image.Image, rotation: int, rng: random.Random) -> list[Label]:
    """The running header on the page's top edge (a side of the upright image of a turned sheet)."""
    parts = (
        "U.S. Patent",
        f"Oct. {rng.randint(1, 28)}, 20{rng.randint(10, 29)}",
        f"Sheet {rng.randint(1, 9)} of 9",
    )
    parts += (f"US {rng.randint(7, 12)},{rng.randint(100, 999)},{rng.randint(100, 999)} B2",)
    length = upright.height if rotation else upright.width
    strip = Image.new("L", (length, 120), 255)
    draw = ImageDraw.Draw(strip)
    face = font(40)
    boxes, x = [], 150.0
    step = (length - 300) / len(parts)
    for text in parts:
        draw.text((x, 60), text, font=face, fill=0, anchor="lm")
        boxes.append((text, draw.textbbox((x, 60), text, font=face, anchor="lm")))
        x += step
    labels = []
    if rotation == 90:  # the page's top edge is on the right: the strip turned clockwise
        turned = strip.rotate(-90, expand=True)
        upright.paste(turned, (upright.width - turned.width, 0))
        for text, (bx0, by0, bx1, by1) in boxes:
            box = (
                upright.width - turned.width + 120 - by1,
                bx0,
                upright.width - turned.width + 120 - by0,
                bx1,
            )
            labels.append(Label(text=text, kind="other", box=tuple(float(v) for v in box), confidence=1.0))
    elif rotation == 270:  # on the left: turned counter-clockwise
        turned = strip.rotate(90, expand=True)
        upright.paste(turned, (0, 0))
        for text, (bx0, by0, bx1, by1) in boxes:
            box = (by0, length - bx1, by1, length - bx0)
            labels.append(Label(text=text, kind="other", box=tuple(float(v) for v in box), confidence=1.0))
    else:
        upright.paste(strip, (0, 90))
        for text, (bx0, by0, bx1, by1) in boxes:
            labels.append(
                Label(text=text, kind="other", box=(bx0, by0 + 90.0, bx1, by1 + 90.0), confidence=1.0)
            )
    return labels
