"""A figure being drawn for :mod:`patimg.demo.figure_kinds`: ink on a white page, and every text written on it
kept as the label an OCR would read there (kind as the OCR's rules give it)."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageChops, ImageDraw

from patimg.demo.drawings import font
from patimg.ocr.signs import split_drawing_text
from patimg.types import Label

Point = tuple[float, float]


class Canvas:
    """A figure being drawn: ink, the labels written, the random choices, one text size and line width.

    Args:
        size: Width and height in pixels (300 dpi, as a scanned sheet).
        rng: The figure's random choices.
    """

    def __init__(self, size: tuple[int, int], rng: random.Random) -> None:
        self.image = Image.new("L", size, 255)
        self.draw = ImageDraw.Draw(self.image)
        self.rng = rng
        self.labels: list[Label] = []
        self.text_size = rng.randint(38, 62)
        self.width = rng.choice((3, 4, 5, 6))

    def text(self, text: str, at: Point, *, size: int | None = None, anchor: str = "mm") -> tuple:
        """Write ``text`` at ``at``; keep what an OCR reads there (kind as the OCR's rules give it)."""
        face = font(size or self.text_size)
        self.draw.text(at, text, font=face, fill=0, anchor=anchor)
        box = tuple(float(v) for v in self.draw.textbbox(at, text, font=face, anchor=anchor))
        self._label(text, box)
        return box

    def vertical_text(self, text: str, at: Point) -> None:
        """Text reading bottom to top (a y-axis title), centred on ``at``."""
        face = font(self.text_size)
        probe = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=face)
        strip = Image.new("L", (probe[2] - probe[0] + 8, probe[3] - probe[1] + 8), 255)
        ImageDraw.Draw(strip).text((4 - probe[0], 4 - probe[1]), text, font=face, fill=0)
        turned = strip.rotate(90, expand=True)
        x0, y0 = round(at[0] - turned.width / 2), round(at[1] - turned.height / 2)
        layer = Image.new("L", self.image.size, 255)
        layer.paste(turned, (x0, y0))
        self.image.paste(ImageChops.darker(self.image, layer))
        self._label(text, (float(x0), float(y0), float(x0 + turned.width), float(y0 + turned.height)))

    def _label(self, text: str, box: tuple) -> None:
        items = split_drawing_text(text)
        if items:
            kind = items[0][0] if len(items) == 1 else "reference"
            self.labels.append(Label(text=" ".join(v for _, v in items), kind=kind, box=box, confidence=1.0))

    def line(self, *points: Point, width: int | None = None, dash: int = 0) -> None:
        width = width or self.width
        for a, b in zip(points, points[1:], strict=False):
            if dash <= 0:
                self.draw.line([a, b], fill=0, width=width)
                continue
            steps = max(1, int(math.dist(a, b) // dash))
            for k in range(0, steps, 2):
                t0, t1 = k / steps, min(1.0, (k + 1) / steps)
                self.draw.line([lerp(a, b, t0), lerp(a, b, t1)], fill=0, width=width)

    def arrow(self, *points: Point) -> None:
        """A polyline ending in a filled arrowhead."""
        self.line(*points)
        (ax, ay), (bx, by) = points[-2], points[-1]
        angle, head = math.atan2(by - ay, bx - ax), 6 * self.width + 10
        left = (bx - head * math.cos(angle - 0.4), by - head * math.sin(angle - 0.4))
        right = (bx - head * math.cos(angle + 0.4), by - head * math.sin(angle + 0.4))
        self.draw.polygon([(bx, by), left, right], fill=0)


def lerp(a: Point, b: Point, t: float) -> Point:
    """The point ``t`` of the way from ``a`` to ``b``."""
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


def fitting_size(c: Canvas, lines: list[str], room: float, size: int) -> int:
    """The largest text size up to ``size`` at which every line fits ``room`` pixels (a drafter's box holds its
    text with a margin)."""
    while size > 20 and max(c.draw.textlength(line, font=font(size)) for line in lines) > room:
        size -= 2
    return size
