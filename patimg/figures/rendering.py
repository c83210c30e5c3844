"""Crop a figure out of a sheet, draw the reference signs read on it (boxes on a copy of the image), make thumbnails."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from patimg.errors import BadInputError
from patimg.types import Label

#: Box colours by label kind; the highlighted sign is drawn in :data:`HIGHLIGHT_COLOUR`.
KIND_COLOURS = {"reference": (31, 119, 180), "figure": (44, 160, 44), "other": (150, 150, 150)}
HIGHLIGHT_COLOUR = (214, 39, 40)


def crop_figure(image: Image.Image, box: Sequence[float], *, margin: int = 12) -> Image.Image:
    """Crop ``box`` out of ``image``, grown by ``margin`` pixels of paper (clipped to the image).

    Args:
        image: The upright sheet.
        box: ``(x0, y0, x1, y1)`` on it.
        margin: White border kept around the box so strokes on its edge stay whole.

    Raises:
        BadInputError: The box is malformed or lies outside the image.
    """
    width, height = image.size
    if len(box) != 4:
        raise BadInputError(f"box {tuple(box)}", "a box needs four numbers (x0, y0, x1, y1)")
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(f"box {tuple(box)}", "empty box (x1 <= x0 or y1 <= y0)")
    x0, y0 = max(0, x0 - margin), max(0, y0 - margin)
    x1, y1 = min(width, x1 + margin), min(height, y1 + margin)
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(f"box {tuple(box)}", f"outside the {width}x{height} image")
    return image.crop((x0, y0, x1, y1))


def render_labels(
    image: Image.Image,
    labels: Sequence[Label],
    *,
    highlight: str | None = None,
    kinds: Sequence[str] = ("reference", "figure"),
) -> Image.Image:
    """Draw the boxes of the labels on a copy of the image (RGB).

    Args:
        image: The figure (labels' boxes are on it).
        labels: Labels to draw.
        highlight: A reference sign (``"14a"``) drawn in red with a thicker line; others in blue,
            captions in green.
        kinds: Label kinds to draw.

    Returns:
        A new RGB image; the input is not changed.
    """
    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 600))
    wanted = (highlight or "").strip().casefold()
    later = []
    for label in labels:
        if label.kind not in kinds:
            continue
        if wanted and label.text.strip().casefold() == wanted:
            later.append(label)  # drawn last so nothing covers the highlighted sign
            continue
        draw.rectangle(grown_box(label.box, 2), outline=KIND_COLOURS.get(label.kind, (0, 0, 0)), width=width)
    for label in later:
        draw.rectangle(grown_box(label.box, 2 + width), outline=HIGHLIGHT_COLOUR, width=2 * width)
    return canvas


def grown_box(box, by: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return x0 - by, y0 - by, x1 + by, y1 + by


#: Longest side of a thumbnail: a figure's parts and signs stay readable, and a report of a hundred stays small.
THUMBNAIL_SIDE = 480


def thumbnail_png(image: Image.Image, *, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """A figure as a small greyscale PNG (no side over ``max_side``; smaller images kept as they are)."""
    import io

    small = image.convert("L")
    small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
