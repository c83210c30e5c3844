"""Which pages of a PDF are drawings, and those pages rendered as greyscale images for the figure pipeline.

A page is a drawing when its ink is mostly *strokes*: connected ink components larger than a character.
On a page of text, scanned or not, nearly all ink is characters (small components, thousands of them); on a
drawing sheet, lines, outlines and frames hold most of the ink and the characters are a few reference
numerals. Measured on EP1667425's ``DOCUMENT.PDF`` at :data:`TEST_DPI`: its 8 drawing pages have 68 to 99 % of
their ink in large components and 19 to 193 character-sized ones; its 9 text pages, its front page and its 2
scanned search-report pages (a form with a table frame) have 0 to 25 % and 778 to 4,746. The rule takes a
page as a drawing when at least :data:`MIN_STROKE_SHARE` of its ink is in large components and it has no
more than :data:`MAX_DRAWING_CHARACTERS` character-sized components (a front page with the representative
drawing and a page of abstract stays text).

Drawing pages are rendered at :data:`RENDER_DPI` (a USPTO TIFF sheet's resolution), never with a longer side
than :data:`~patimg.figures.loading.DEFAULT_MAX_SIDE` pixels (the working size the figure pipeline keeps),
with the running header and page numbers the text layer shows in the margins painted white: the OCR would
read ``EP 1 667 425 A1`` and the page number as reference signs.
"""

from __future__ import annotations

import ctypes
import io
from collections.abc import Sequence
from pathlib import Path

from patimg.fileio import atomic_write_bytes
from patimg.pdf.reading import Box, PdfPageText

#: Resolution of the cheap rendering the drawing test looks at.
TEST_DPI = 100
#: Resolution drawing pages are rendered at for the figure pipeline.
RENDER_DPI = 300
#: Least share of a page's ink in stroke-sized components for a drawing page.
MIN_STROKE_SHARE = 0.35
#: Most character-sized components on a drawing page.
MAX_DRAWING_CHARACTERS = 1000
#: Least share of dark pixels for a page to hold anything (a blank page is no drawing).
MIN_INK_SHARE = 0.001


def is_drawing_page(document, index: int, furniture: Sequence[Box] = ()) -> bool:
    """Whether page ``index`` (0-based) of ``document`` looks like a drawing sheet (see the module docs)."""
    import cv2
    import numpy as np

    image = render_page(document, index, dpi=TEST_DPI, blank=furniture)
    ink = np.asarray(image) < 160
    height, width = ink.shape
    total = int(ink.sum())
    if total < MIN_INK_SHARE * ink.size:
        return False
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    areas = stats[1:, cv2.CC_STAT_AREA]
    characters = (heights >= 0.003 * height) & (heights <= 0.02 * height) & (widths <= 0.03 * width)
    strokes = (heights > 0.04 * height) | (widths > 0.06 * width)
    stroke_share = float(areas[strokes].sum()) / total
    return stroke_share >= MIN_STROKE_SHARE and int(characters.sum()) <= MAX_DRAWING_CHARACTERS


def drawing_image(document, text: PdfPageText):
    """A drawing page as a greyscale image: the scan it is made of, else rendered.

    A page that is one scanned image (with at most a frame or clip path around it, and no text but the
    header and page number) is given as that image's own pixels: the sheet exactly as the office scanned it
    (EP1667425's drawing pages are its ``imgf`` TIFFs, pixel for pixel), at its own resolution, without the
    header and page number printed over it as text. Any other page is rendered (:func:`render_page`).
    """
    page = document[text.number - 1]
    try:
        scan = None if text.lines else _single_scan(page)
    finally:
        page.close()
    return scan if scan is not None else render_page(document, text.number - 1, blank=text.margin_furniture)


def _single_scan(page):
    """The page's one image as an ``"L"`` image, when the page is a scan (see :func:`drawing_image`), else None."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    from patimg.figures.loading import DEFAULT_MAX_PIXELS, MAX_DRAWING_SIDE

    objects = list(page.get_objects())
    images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    if len(images) != 1:
        return None
    image = images[0]
    left, bottom, right, top = image.get_bounds()
    for other in objects:
        if other.type not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_TEXT):
            x0, y0, x1, y1 = other.get_bounds()
            if x0 < left - 2 or y0 < bottom - 2 or x1 > right + 2 or y1 > top + 2:
                return None  # vector drawing beside the image: only a rendering shows both
    a, b, c, d, _, _ = image.get_matrix().get()
    upright_or_turned = (b == c == 0 and a > 0 and d > 0) or (a == d == 0 and b * c < 0)
    width, height = image.get_px_size()
    if (
        not upright_or_turned  # mirrored or skewed: its pixels are not the page as printed
        or width * height > DEFAULT_MAX_PIXELS
        or max(width, height) > MAX_DRAWING_SIDE
    ):
        return None
    try:
        pixels = image.get_bitmap(render=False).to_pil().convert("L")
    except (pdfium.PdfiumError, ValueError):
        return None  # pixels PDFium cannot hand out raw (an unusual colour space or filter): render the page
    if sum(pixels.resize((64, 64)).getdata()) < 128 * 64 * 64:
        return None  # mostly black: an inverted or masked image, which only a rendering shows right
    metadata = image.get_metadata()
    pixels.info["dpi"] = (metadata.horizontal_dpi, metadata.vertical_dpi)
    return pixels


def render_page(document, index: int, *, dpi: int = RENDER_DPI, blank: Sequence[Box] = ()):
    """Page ``index`` (0-based) as a greyscale ``"L"`` image at ``dpi`` (capped, see the module docs), the
    boxes in ``blank`` (page points, as the text layer gives them) painted white."""
    import pypdfium2.raw as pdfium_c
    from PIL import ImageDraw

    from patimg.figures.loading import DEFAULT_MAX_SIDE

    page = document[index]
    try:
        width, height = page.get_size()
        scale = min(dpi / 72, DEFAULT_MAX_SIDE / max(width, height))
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=False)
        image = bitmap.to_pil().convert("L")
        draw = ImageDraw.Draw(image)
        for left, bottom, right, top in blank:
            corners = [
                _to_device(pdfium_c, page, image.size, x, y) for x, y in ((left, bottom), (right, top))
            ]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            pad = max(2, round(scale))  # a point of white around the glyphs
            draw.rectangle((min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad), fill=255)
        image.info["dpi"] = (scale * 72, scale * 72)
    finally:
        page.close()
    return image


def _to_device(pdfium_c, page, size: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    """A point of the page (points, before ``/Rotate``) on the rendered bitmap (PDFium applies the rotation)."""
    device_x, device_y = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(
        page.raw, 0, 0, size[0], size[1], 0, x, y, ctypes.byref(device_x), ctypes.byref(device_y)
    )
    return device_x.value, device_y.value


def write_page_image(image, path: Path) -> None:
    """Save a rendered page as PNG with its resolution recorded, atomically."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=image.info.get("dpi", (RENDER_DPI, RENDER_DPI)))
    atomic_write_bytes(path, buffer.getvalue())
