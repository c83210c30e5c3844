"""Line drawings of a few object families, drawn the way patent drawings are: black strokes on white,
reference numerals at the end of leader lines, a "FIG. n" caption under each figure.

Every family draws into a unit square (``u, v`` in ``[-1, 1]``, ``v`` downwards) through a :class:`Pen`
that maps it onto a box of the sheet, and returns where each reference sign points (the anchor on the
part) and where its numeral goes. The sheet code then writes the numerals and leader lines, so every
family gets the same, OCR-friendly lettering.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Point = tuple[float, float]

#: Sheet size in pixels: US letter at 300 dpi, as USPTO drawing sheets are.
SHEET_SIZE = (2550, 3300)
SHEET_DPI = 300
STROKE = 6
NUMERAL_SIZE = 64
CAPTION_SIZE = 96
HEADER_SIZE = 40

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A scalable sans-serif font: DejaVu Sans when the system has it, else Pillow's built-in one."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class Callout:
    """A reference sign drawn on a figure: the numeral, the part it points at, where the numeral sits."""

    sign: str
    anchor: Point
    label: Point


class Pen:
    """Draws unit-square geometry into a pixel box of a sheet."""

    def __init__(
        self, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], *, stroke: int = STROKE
    ) -> None:
        self.draw = draw
        self.stroke = stroke
        x0, y0, x1, y1 = box
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.scale = min(x1 - x0, y1 - y0) / 2

    def xy(self, point: Point) -> tuple[float, float]:
        return self.cx + point[0] * self.scale, self.cy + point[1] * self.scale

    def line(self, *points: Point, width: int = STROKE) -> None:
        width = self.stroke if width == STROKE else width
        self.draw.line([self.xy(p) for p in points], fill=0, width=width, joint="curve")

    def polygon(self, points: list[Point], width: int = STROKE) -> None:
        self.line(*points, points[0], width=width)

    def rect(self, u0: float, v0: float, u1: float, v1: float, width: int = STROKE) -> None:
        self.polygon([(u0, v0), (u1, v0), (u1, v1), (u0, v1)], width=width)

    def ellipse(self, center: Point, ru: float, rv: float, width: int = STROKE) -> None:
        x, y = self.xy(center)
        width = self.stroke if width == STROKE else width
        self.draw.ellipse(
            [x - ru * self.scale, y - rv * self.scale, x + ru * self.scale, y + rv * self.scale],
            outline=0,
            width=width,
        )

    def circle(self, center: Point, radius: float, width: int = STROKE) -> None:
        self.ellipse(center, radius, radius, width=width)


def _rotate(point: Point, angle: float, about: Point = (0.0, 0.0)) -> Point:
    c, s = math.cos(angle), math.sin(angle)
    u, v = point[0] - about[0], point[1] - about[1]
    return about[0] + u * c - v * s, about[1] + u * s + v * c


# -- families ------------------------------------------------------------------------------------------
# Each returns the callouts for a view ("main" or "alt"); ``signs`` maps a part name to its numeral.

Family = Callable[[Pen, str, dict[str, str], random.Random], list[Callout]]


def draw_fan(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """A propeller / axial fan: front view (hub, blades, guard ring) or side view (shaft, motor)."""
    if view == "main":
        n_blades = rng.choice((3, 4, 5, 6))
        sweep = rng.uniform(-0.04, 0.08)
        phase = rng.uniform(0, math.pi / 2)
        pen.circle((0, 0), 0.78)  # guard ring
        pen.circle((0, 0), 0.74, width=3)
        pen.circle((0, 0), 0.16)  # hub
        pen.circle((0, 0), 0.05)
        tip = None
        for k in range(n_blades):
            angle = phase + 2 * math.pi * k / n_blades + rng.uniform(-0.05, 0.05)
            blade = [
                (0.15, -0.04),
                (0.35, -0.17 - sweep),
                (0.62, -0.16 - sweep),
                (0.68, 0.0),
                (0.55, 0.12),
                (0.3, 0.1),
                (0.15, 0.05),
            ]
            pen.polygon([_rotate(p, angle) for p in blade])
            if k == 0:
                tip = _rotate((0.66, -0.02), angle)
        for k in range(4):  # guard struts
            angle = math.pi / 4 + k * math.pi / 2
            pen.line(_rotate((0.16, 0), angle), _rotate((0.74, 0), angle), width=3)
        return [
            Callout(signs["hub"], (0.0, -0.12), (-0.25, -1.0)),
            Callout(signs["blade"], _rotate((0.45, 0.0), 0.0), (1.05, 0.3)),
            Callout(signs["tip"], tip or (0.66, 0), (1.05, -0.35)),
            Callout(signs["guard"], (-0.55, 0.55), (-1.05, 0.95)),
        ]
    # side view: motor housing, shaft, hub and the blades seen edge-on
    pen.rect(-0.8, -0.22, -0.25, 0.22)  # motor housing
    pen.line((-0.8, -0.12), (-0.25, -0.12), width=3)
    pen.rect(-0.25, -0.04, 0.2, 0.04)  # shaft
    pen.ellipse((0.28, 0), 0.1, 0.16)  # hub
    pen.polygon([(0.24, -0.14), (0.36, -0.85), (0.46, -0.8), (0.34, -0.12)])
    pen.polygon([(0.24, 0.14), (0.3, 0.82), (0.42, 0.86), (0.34, 0.12)])
    pen.rect(-0.7, 0.22, -0.35, 0.4)  # foot
    return [
        Callout(signs["motor"], (-0.6, -0.22), (-0.9, -0.7)),
        Callout(signs["shaft"], (0.0, 0.04), (-0.05, 0.75)),
        Callout(signs["hub"], (0.34, 0.05), (0.95, 0.2)),
        Callout(signs["blade"], (0.4, -0.6), (0.95, -0.6)),
    ]


def _gear_outline(center: Point, radius: float, teeth: int, depth: float) -> list[Point]:
    points = []
    for k in range(teeth):
        a0 = 2 * math.pi * k / teeth
        step = 2 * math.pi / teeth
        for frac, r in ((0.0, radius - depth), (0.2, radius), (0.5, radius), (0.7, radius - depth)):
            a = a0 + frac * step
            points.append((center[0] + r * math.cos(a), center[1] + r * math.sin(a)))
    return points


def draw_gear(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """A spur gear meshing with a pinion (front view), or the pair on their axles (side view)."""
    if view == "main":
        big_r = rng.uniform(0.5, 0.56)
        pen.polygon(_gear_outline((-0.2, 0.05), big_r, rng.choice((18, 20, 22)), 0.07))
        pen.circle((-0.2, 0.05), 0.12)  # bore
        pen.rect(-0.23, -0.1, -0.17, -0.06)  # keyway
        small_center = (-0.2 + big_r + 0.2, -0.3)
        pen.polygon(_gear_outline(small_center, 0.27, 10, 0.06))
        pen.circle(small_center, 0.06)
        return [
            Callout(signs["gear"], (-0.55, 0.3), (-1.0, 0.85)),
            Callout(signs["teeth"], (-0.2 - big_r * 0.7, 0.05 - big_r * 0.7), (-0.95, -0.75)),
            Callout(signs["bore"], (-0.2, 0.17), (-0.3, 1.0)),
            Callout(signs["pinion"], (small_center[0] + 0.2, small_center[1] + 0.1), (0.95, 0.2)),
            Callout(signs["axle"], small_center, (0.6, -0.95)),
        ]
    pen.rect(-0.5, -0.65, -0.32, 0.65)  # gear edge-on
    for v in (-0.55, -0.35, -0.15, 0.05, 0.25, 0.45):
        pen.line((-0.5, v), (-0.32, v), width=3)
    pen.rect(0.1, -0.35, 0.26, 0.05)  # pinion edge-on
    pen.rect(-0.85, -0.03, 0.0, 0.05)  # gear axle
    pen.rect(0.0, -0.19, 0.75, -0.11)  # pinion axle
    return [
        Callout(signs["gear"], (-0.41, 0.5), (-0.9, 0.85)),
        Callout(signs["axle"], (0.6, -0.15), (0.9, 0.3)),
        Callout(signs["pinion"], (0.18, -0.35), (0.3, -0.9)),
        Callout(signs["teeth"], (-0.5, -0.45), (-0.95, -0.7)),
    ]


def draw_bottle(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """A bottle with cap, neck, shoulder, label band and base."""
    half = rng.uniform(0.3, 0.38) if view == "main" else rng.uniform(0.22, 0.28)
    neck = rng.uniform(0.09, 0.13)
    shoulder = rng.uniform(-0.3, -0.12)
    outline = [
        (-neck, -0.62),
        (-neck, -0.5),
        (-half, shoulder),
        (-half, 0.78),
        (half, 0.78),
        (half, shoulder),
        (neck, -0.5),
        (neck, -0.62),
    ]
    pen.line(*outline)
    pen.rect(-neck - 0.03, -0.84, neck + 0.03, -0.62)  # cap
    for v in (-0.78, -0.73, -0.68):
        pen.line((-neck - 0.03, v), (neck + 0.03, v), width=3)
    pen.rect(-half, 0.05, half, 0.45, width=3)  # label band
    pen.line((-half + 0.05, 0.72), (half - 0.05, 0.72), width=3)  # base ring
    return [
        Callout(signs["cap"], (neck + 0.03, -0.75), (0.7, -0.9)),
        Callout(signs["neck"], (-neck, -0.55), (-0.75, -0.7)),
        Callout(signs["shoulder"], (half * 0.5 + neck * 0.5, (shoulder - 0.5) / 2), (0.85, -0.4)),
        Callout(signs["label"], (-half + 0.1, 0.25), (-0.9, 0.25)),
        Callout(signs["base"], (half - 0.1, 0.75), (0.8, 0.95)),
    ]


def draw_chair(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """A chair in perspective (main) or from the side (alt)."""
    if view == "main":
        skew = rng.uniform(0.12, 0.2)
        seat = [(-0.5, 0.0), (0.35, 0.0), (0.35 + skew, -0.2), (-0.5 + skew, -0.2)]
        pen.polygon(seat)
        pen.line((-0.5, 0.0), (-0.5, 0.08), (0.35, 0.08), (0.35, 0.0))
        pen.polygon([(-0.5 + skew, -0.2), (0.35 + skew, -0.2), (0.35 + skew, -0.85), (-0.5 + skew, -0.85)])
        for u in (-0.45, 0.3):
            pen.rect(u, 0.08, u + 0.05, 0.8)
        for u in (-0.45 + skew, 0.3 + skew):
            pen.rect(u, -0.2, u + 0.04, 0.62)
        return [
            Callout(signs["seat"], (-0.1, -0.1), (-0.9, -0.3)),
            Callout(signs["backrest"], (0.1 + skew, -0.6), (0.95, -0.8)),
            Callout(signs["leg"], (-0.43, 0.6), (-0.95, 0.75)),
            Callout(signs["rear_leg"], (0.34 + skew, 0.4), (0.95, 0.45)),
        ]
    pen.line((-0.5, 0.0), (0.3, 0.0), (0.3, 0.08), (-0.5, 0.08), (-0.5, 0.0))
    pen.line((0.3, 0.0), (0.45, -0.85), (0.52, -0.84), (0.37, 0.04))
    pen.rect(-0.47, 0.08, -0.42, 0.8)
    pen.rect(0.25, 0.08, 0.3, 0.8)
    pen.line((-0.45, 0.5), (0.27, 0.5), width=3)
    return [
        Callout(signs["seat"], (-0.2, 0.0), (-0.7, -0.4)),
        Callout(signs["backrest"], (0.47, -0.6), (0.95, -0.6)),
        Callout(signs["leg"], (-0.44, 0.7), (-0.9, 0.8)),
        Callout(signs["stretcher"], (-0.05, 0.5), (0.0, 0.95)),
    ]


def draw_lamp(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """An articulated desk lamp: base, two arm segments, joints, shade."""
    bend = rng.uniform(-0.15, 0.15) if view == "main" else rng.uniform(0.2, 0.35)
    pen.rect(-0.7, 0.7, -0.1, 0.8)  # base
    joint1, joint2 = (-0.4, 0.7), (-0.2 + bend, -0.15)
    joint3 = (0.35, -0.55 + bend / 2)
    for a, b in ((joint1, joint2), (joint2, joint3)):
        pen.line((a[0] - 0.03, a[1]), (b[0] - 0.03, b[1]))
        pen.line((a[0] + 0.03, a[1]), (b[0] + 0.03, b[1]))
    for j in (joint2, joint3):
        pen.circle(j, 0.06)
    shade = [
        (joint3[0], joint3[1] - 0.05),
        (joint3[0] + 0.45, joint3[1] + 0.15),
        (joint3[0] + 0.3, joint3[1] + 0.45),
        (joint3[0] - 0.05, joint3[1] + 0.05),
    ]
    pen.polygon(shade)
    pen.circle((joint3[0] + 0.28, joint3[1] + 0.22), 0.07, width=3)  # bulb
    return [
        Callout(signs["base"], (-0.6, 0.75), (-0.95, 0.4)),
        Callout(signs["arm"], ((joint1[0] + joint2[0]) / 2 + 0.03, (joint1[1] + joint2[1]) / 2), (0.3, 0.4)),
        Callout(signs["joint"], joint2, (-0.85, -0.3)),
        Callout(signs["shade"], (joint3[0] + 0.2, joint3[1] + 0.05), (0.55, -0.95)),
        Callout(signs["bulb"], (joint3[0] + 0.3, joint3[1] + 0.25), (0.95, 0.3)),
    ]


def draw_bracket(pen: Pen, view: str, signs: dict[str, str], rng: random.Random) -> list[Callout]:
    """An L-shaped mounting bracket with a gusset and fastener holes."""
    length = rng.uniform(0.55, 0.7) if view == "main" else rng.uniform(0.4, 0.5)
    pen.line(
        (-0.5, -0.8), (-0.5, 0.5), (length, 0.5), (length, 0.38), (-0.38, 0.38), (-0.38, -0.8), (-0.5, -0.8)
    )
    pen.polygon([(-0.38, 0.38), (-0.38, -0.2), (0.2, 0.38)])  # gusset
    for v in (-0.6, -0.35):
        pen.circle((-0.44, v), 0.035)
    for u in (0.3, length - 0.1):
        pen.ellipse((u, 0.44), 0.04, 0.03)
    return [
        Callout(signs["upright"], (-0.5, -0.7), (-0.95, -0.85)),
        Callout(signs["flange"], (length - 0.2, 0.5), (0.7, 0.9)),
        Callout(signs["gusset"], (-0.2, 0.2), (0.3, -0.4)),
        Callout(signs["hole"], (-0.44, -0.35), (-0.95, -0.25)),
    ]


FAMILIES: dict[str, Family] = {
    "fan": draw_fan,
    "gear": draw_gear,
    "bottle": draw_bottle,
    "chair": draw_chair,
    "lamp": draw_lamp,
    "bracket": draw_bracket,
}


# -- sheets --------------------------------------------------------------------------------------------


def _edge_point(
    box: tuple[float, float, float, float], toward: tuple[float, float], pad: float
) -> tuple[float, float]:
    """Where the ray from the box centre toward ``toward`` leaves the box grown by ``pad``."""
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    tx = (x1 - cx) / abs(dx) if dx else math.inf
    ty = (y1 - cy) / abs(dy) if dy else math.inf
    t = min(tx, ty)
    return cx + dx * t, cy + dy * t


def write_callout(
    draw: ImageDraw.ImageDraw,
    pen: Pen,
    callout: Callout,
    numeral_font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    *,
    dash: int = 0,
) -> tuple[float, float, float, float]:
    """Write a callout's numeral and its leader line (dashed in ``dash``-pixel steps when ``dash`` > 0), the
    line starting a little off the numeral as drafters leave it.

    Returns:
        The numeral's pixel box on the sheet.
    """
    lx, ly = pen.xy(callout.label)
    box = draw.textbbox((lx, ly), callout.sign, font=numeral_font, anchor="mm")
    draw.text((lx, ly), callout.sign, font=numeral_font, fill=0, anchor="mm")
    anchor = pen.xy(callout.anchor)
    start = _edge_point(box, anchor, pad=14)
    if dash <= 0:
        draw.line([start, anchor], fill=0, width=3)
        return box
    length = math.dist(start, anchor)
    steps = max(1, int(length // dash))
    for k in range(0, steps, 2):
        t0, t1 = k / steps, min(1.0, (k + 1) / steps)
        draw.line(
            [
                (start[0] + (anchor[0] - start[0]) * t0, start[1] + (anchor[1] - start[1]) * t0),
                (start[0] + (anchor[0] - start[0]) * t1, start[1] + (anchor[1] - start[1]) * t1),
            ],
            fill=0,
            width=3,
        )
    return box


def draw_figure(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    *,
    family: str,
    view: str,
    signs: dict[str, str],
    caption: str,
    rng: random.Random,
) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Draw one figure with its numerals, leader lines and caption into ``box`` of a sheet.

    Returns:
        Each numeral written, with its pixel box on the sheet (for tests of the OCR).
    """
    x0, y0, x1, y1 = box
    caption_room = CAPTION_SIZE * 2
    # Numerals sit up to 1.05 units from the centre: shrink the drawing so they stay inside the box.
    inner = (x0 + 70, y0 + 50, x1 - 70, y1 - caption_room)
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    # Each drawing differs a little in size, position and line weight, as drafters' drawings do.
    half = min(inner[2] - inner[0], inner[3] - inner[1]) / 2 / 1.2 * rng.uniform(0.85, 1.0)
    cx += rng.uniform(-0.05, 0.05) * half
    pen = Pen(
        draw,
        (int(cx - half), int(cy - half), int(cx + half), int(cy + half)),
        stroke=rng.choice((4, 5, 6, 7)),
    )
    callouts = FAMILIES[family](pen, view, signs, rng)
    numeral_font = font(NUMERAL_SIZE)
    written = [(c.sign, write_callout(draw, pen, c, numeral_font)) for c in callouts]
    caption_font = font(CAPTION_SIZE)
    caption_y = cy + half * 1.12 + CAPTION_SIZE
    draw.text((cx, caption_y), caption, font=caption_font, fill=0, anchor="mm")
    return written


def new_sheet() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A white greyscale sheet (thresholded to bilevel by :func:`to_bilevel` when done)."""
    image = Image.new("L", SHEET_SIZE, 255)
    return image, ImageDraw.Draw(image)


def draw_header(draw: ImageDraw.ImageDraw, text: str) -> None:
    """The running header USPTO prints on top of every drawing sheet."""
    draw.text((SHEET_SIZE[0] / 2, 150), text, font=font(HEADER_SIZE), fill=0, anchor="mm")


def to_bilevel(image: Image.Image) -> Image.Image:
    """Threshold to mode ``"1"`` (what a G4 TIFF holds) without dithering."""
    return image.point(lambda value: 255 if value > 140 else 0).convert("1", dither=Image.Dither.NONE)
