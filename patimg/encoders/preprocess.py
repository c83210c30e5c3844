"""Prepare patent drawings for a visual encoder, the way patent drawings are made.

Patent drawings are bilevel line art on a mostly white page, scanned large (a 300-dpi US sheet is about
2500 x 3300 px). Three things vary between publications of the *same* shape and must not change its
descriptor:

* **Margins** differ between offices, publishers and sheet layouts, so the drawing is cropped to its
  ink first (ignoring isolated specks, which scanning leaves behind and which would otherwise stretch
  the crop box to the page border).
* **Aspect ratio** carries shape: a front view of a long thin object stretched to a square looks like
  a different object. The crop is therefore padded to a square with white, never stretched.
* **Stroke width** varies with scan resolution, pen and downscaling: the same line may be 1 px or
  6 px wide. Gradient-based descriptors see a thick line as two parallel edges and a thin one as a
  ridge, so strokes are normalised to a fixed width at the working size (estimated width, then
  erosion or dilation).

:func:`prepare_drawing` returns an 8-bit greyscale image (ink black, paper white) usable by any
encoder, including a CLIP backend (convert it to RGB there).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from patimg.errors import BadInputError

#: Fraction of the longer side of the content box left as white margin around it after cropping.
MARGIN_FRACTION = 0.04


def ink_mask(image: Image.Image, *, source: str = "image") -> np.ndarray:
    """Boolean mask of the ink (dark) pixels of a drawing.

    Bilevel scans are used as they are; greyscale or colour images are thresholded with Otsu's
    method (transparent pixels count as paper), so anti-aliased PNG renderings and JPEG copies of a
    drawing give the same mask as the original TIFF.

    Args:
        image: Any PIL image.
        source: Name of the input for error messages.

    Returns:
        ``(h, w)`` bool array, True where there is ink.

    Raises:
        BadInputError: If the image is empty.
    """
    if image.width == 0 or image.height == 0:
        raise BadInputError(source, "image has zero width or height")
    if image.mode == "1":
        return ~np.asarray(image, dtype=bool)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    if grey.min() == grey.max():
        # One flat value: a blank page (or solid black, treated as "no drawing" too).
        return np.zeros(grey.shape, dtype=bool)
    return grey < _otsu_threshold(grey)


def _otsu_threshold(grey: np.ndarray) -> int:
    """Otsu threshold of an 8-bit image (a pixel below it is ink)."""
    hist = np.bincount(grey.ravel(), minlength=256).astype(np.float64)
    weight_dark = np.cumsum(hist)
    weight_light = weight_dark[-1] - weight_dark
    mean_cum = np.cumsum(hist * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_dark = mean_cum / weight_dark
        mean_light = (mean_cum[-1] - mean_cum) / weight_light
        between = weight_dark * weight_light * (mean_dark - mean_light) ** 2
    between = np.nan_to_num(between)
    return int(np.argmax(between)) + 1


def content_box(mask: np.ndarray, *, min_speck_fraction: float = 0.004) -> tuple[int, int, int, int] | None:
    """Bounding box of the drawing's ink, ignoring specks.

    A connected ink component counts when its bounding box's longer side is at least
    ``min_speck_fraction`` of the page's longer side (0.4 %: ~10 px on a 300-dpi sheet) — dust and
    scanner noise are smaller; a full stop of a caption is about that size and may be dropped, which
    does not matter for the crop.

    Args:
        mask: Ink mask.
        min_speck_fraction: Minimum component extent relative to the longer page side.

    Returns:
        ``(x0, y0, x1, y1)`` (exclusive ends), or None when there is no ink beyond specks.
    """
    import cv2

    if not mask.any():
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    min_extent = max(2.0, min_speck_fraction * max(mask.shape))
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    keep = np.maximum(widths, heights) >= min_extent
    if count <= 1 or not keep.any():
        return None
    kept = stats[1:][keep]
    x0 = int(kept[:, cv2.CC_STAT_LEFT].min())
    y0 = int(kept[:, cv2.CC_STAT_TOP].min())
    x1 = int((kept[:, cv2.CC_STAT_LEFT] + kept[:, cv2.CC_STAT_WIDTH]).max())
    y1 = int((kept[:, cv2.CC_STAT_TOP] + kept[:, cv2.CC_STAT_HEIGHT]).max())
    return x0, y0, x1, y1


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width of a line drawing in pixels (0 for no ink).

    For thin strokes the boundary pixels are about twice the stroke length, so
    ``2 * ink area / boundary pixels`` estimates the width without a skeleton.
    """
    area = int(mask.sum())
    if area == 0:
        return 0.0
    interior = mask.copy()
    interior[1:, :] &= mask[:-1, :]
    interior[:-1, :] &= mask[1:, :]
    interior[:, 1:] &= mask[:, :-1]
    interior[:, :-1] &= mask[:, 1:]
    boundary = area - int(interior.sum())
    return 2.0 * area / max(boundary, 1)


def prepare_drawing(
    image: Image.Image,
    *,
    size: int = 512,
    stroke_px: float | None = 2.0,
    source: str = "image",
) -> Image.Image:
    """Binarise, crop to content, pad to a square and resize a drawing.

    Args:
        image: The drawing (any mode; a bilevel TIFF sheet, a PNG rendering, a photo of a page).
        size: Side of the square output in pixels.
        stroke_px: Stroke width to normalise to at the output size, or None to keep the
            (anti-aliased) width the downscaling gives.
        source: Name of the input for error messages.

    Returns:
        ``size x size`` mode ``"L"`` image, black ink on white. A blank input gives an all-white image.

    Raises:
        BadInputError: If ``size`` is not positive or the image is empty.
    """
    import cv2

    if size < 8:
        raise BadInputError(source, f"working size must be at least 8 px, got {size}")
    mask = ink_mask(image, source=source)
    box = content_box(mask)
    if box is None:
        return Image.new("L", (size, size), 255)
    x0, y0, x1, y1 = box
    crop = mask[y0:y1, x0:x1]
    height, width = crop.shape
    side = int(round(max(height, width) * (1.0 + 2.0 * MARGIN_FRACTION)))
    square = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = crop.view(np.uint8)
    # Area averaging keeps thin lines as grey instead of dropping them (nearest would alias them away).
    coverage = cv2.resize(square.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    if stroke_px is None:
        return Image.fromarray(np.clip(255.0 * (1.0 - coverage), 0, 255).astype(np.uint8), mode="L")
    # Any pixel touched by ink becomes ink: thin strokes survive the downscale at >= 1 px.
    small = coverage > 0.2
    width_small = stroke_width(crop) * size / side
    small = _normalise_stroke(small, current=max(width_small, 1.0), target=stroke_px)
    return Image.fromarray(np.where(small, 0, 255).astype(np.uint8), mode="L")


def _normalise_stroke(mask: np.ndarray, *, current: float, target: float) -> np.ndarray:
    """Dilate thin strokes or erode thick ones towards ``target`` px (erosion never removes a stroke)."""
    import cv2

    steps = int(round(target - current))
    if steps > 0:
        kernel = np.ones((steps + 1, steps + 1), np.uint8)
        return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
    # Erode only by less than the stroke is wide, so every line keeps at least one pixel.
    steps = min(-steps, int(current) - 1)
    if steps > 0:
        kernel = np.ones((steps + 1, steps + 1), np.uint8)
        eroded = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
        # Keep thin details the erosion would delete: restore pixels of components erosion erased.
        return eroded | (mask & ~cv2.dilate(eroded.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))
    return mask
