"""Safe loading of drawing images (PNG, JPEG, TIFF incl. CCITT G4 and multi-page) as 8-bit grayscale.

Every failure is a :class:`~patimg.errors.BadInputError` naming the input: a missing or empty file, bytes
that are no image, a corrupt or truncated image, an image whose pixel count is over ``max_pixels``, and an
image of a shape no drawing has: a side longer than :data:`MAX_DRAWING_SIDE` or sides more unequal than
:data:`MAX_ASPECT_RATIO` (a 60,000,000 x 1 px PNG is 58 KB and under the pixel limit, yet resampling it to a
working size needs gigabytes). Both are checked from the header, before any pixel is decoded, so a
decompression bomb costs nothing.

Working size rule: a legal image whose longer side exceeds ``max_side`` (default 4200 px, i.e. 14 inches
at 300 dpi, more than any patent drawing sheet needs) is downscaled with Lanczos resampling so that its
longer side is exactly ``max_side``; smaller images are returned at their own size. OCR and the visual
descriptors gain nothing past 300 dpi, and this keeps memory per sheet under ~20 MB.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from patimg.errors import BadInputError

#: Largest pixel count accepted (width x height). A 300-dpi A4 sheet has ~8.7 M pixels.
DEFAULT_MAX_PIXELS = 64_000_000
#: Longer side past which an image is downscaled to a working size.
DEFAULT_MAX_SIDE = 4200
#: Longest side accepted (px): 100 inches at 300 dpi, or an A0 sheet at 600 dpi; real sheets here reach 5,327.
MAX_DRAWING_SIDE = 30_000
#: Most unequal sides accepted (longer / shorter): a long thin part cropped tight; real sheets here reach 7.6.
MAX_ASPECT_RATIO = 50

Source = str | Path | bytes


def load_drawing(
    source: Source,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
) -> Image.Image:
    """Open a drawing image (first page of a multi-page TIFF) as 8-bit grayscale ``"L"``.

    Args:
        source: File path, or the file's bytes.
        name: Name used in error messages (defaults to the path, or ``"<bytes>"``).
        max_pixels: Refuse images with more pixels than this (width x height).
        max_side: Downscale images whose longer side exceeds this (see the module docs).

    Returns:
        The image, mode ``"L"`` (white paper 255, black ink 0), EXIF orientation applied.

    Raises:
        BadInputError: Missing, empty, non-image, corrupt/truncated, over ``max_pixels``, or of a shape no
            drawing has (see the module docs).
    """
    return _load(source, name=name, max_pixels=max_pixels, max_side=max_side, all_pages=False)[0]


def load_drawing_pages(
    source: Source,
    *,
    name: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_side: int = DEFAULT_MAX_SIDE,
) -> list[Image.Image]:
    """Open every page of a drawing image (multi-page TIFF); a single-page file gives one page.

    Args and errors as :func:`load_drawing`; ``max_pixels`` applies to each page.

    Returns:
        One ``"L"`` image per page, in file order.
    """
    return _load(source, name=name, max_pixels=max_pixels, max_side=max_side, all_pages=True)


def _plain(error: BaseException) -> str:
    """Pillow's message without the in-memory buffer's repr (``<_io.BytesIO object at 0x...>``)."""
    return re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "the data", str(error))


def _load(source: Source, *, name: str | None, max_pixels: int, max_side: int, all_pages: bool) -> list:
    label = (
        name if name is not None else ("<bytes>" if isinstance(source, bytes | bytearray) else str(source))
    )
    data = _read_bytes(source, label)
    if not data:
        raise BadInputError(label, "empty file (0 bytes), not an image")
    with warnings.catch_warnings():
        # Our own max_pixels check below replaces Pillow's DecompressionBombWarning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as error:
            # Pillow's own limit (far above ours) stopped it before its size was known to us: quote ours only.
            counted = re.search(r"\((\d+) pixels\)", str(error))
            raise BadInputError(
                label, _too_many_pixels(int(counted.group(1)) if counted else None, max_pixels)
            ) from None
        except Image.UnidentifiedImageError:
            raise BadInputError(
                label, "not an image: its content is none of the formats Pillow reads (PNG, JPEG, TIFF, ...)"
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise BadInputError(label, f"not a readable image ({_plain(error)})") from None
        pages: list[Image.Image] = []
        with image:
            n_pages = getattr(image, "n_frames", 1) if all_pages else 1
            for page in range(n_pages):
                try:
                    image.seek(page)
                except (OSError, EOFError, ValueError) as error:
                    raise BadInputError(
                        label, f"page {page + 1} of {n_pages} unreadable ({_plain(error)})"
                    ) from None
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise BadInputError(label, f"image has no pixels ({width}x{height})")
                if width * height > max_pixels:
                    raise BadInputError(
                        label, _too_many_pixels(width * height, max_pixels, f"{width}x{height}")
                    )
                _check_shape(label, width, height)
                try:
                    image.load()
                    gray = _to_gray(image)
                except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
                    where = f"page {page + 1}: " if n_pages > 1 else ""
                    raise BadInputError(label, f"corrupt or truncated image ({where}{error})") from None
                pages.append(_working_size(gray, max_side))
    return pages


def _too_many_pixels(pixels: int | None, max_pixels: int, size: str = "") -> str:
    """The one message for an image over the pixel limit, quoting that limit only."""
    count = f"{size} = {pixels} pixels, " if size else (f"{pixels} pixels, " if pixels else "")
    return f"image too large: {count}over the limit of {max_pixels} pixels (possible decompression bomb)"


def _check_shape(label: str, width: int, height: int) -> None:
    """Refuse a shape no drawing has, before decoding: see :data:`MAX_DRAWING_SIDE` and :data:`MAX_ASPECT_RATIO`."""
    longer, shorter = max(width, height), min(width, height)
    if longer > MAX_DRAWING_SIDE:
        raise BadInputError(
            label, f"not a drawing: {width}x{height} px has a side over the limit of {MAX_DRAWING_SIDE} px"
        )
    if longer > MAX_ASPECT_RATIO * shorter:
        raise BadInputError(
            label,
            f"not a drawing: {width}x{height} px has sides in the ratio {longer / shorter:.0f}:1, "
            f"over the limit of {MAX_ASPECT_RATIO}:1",
        )


def _read_bytes(source: Source, label: str) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    path = Path(source)
    if not path.exists():
        raise BadInputError(label, "no such file")
    if not path.is_file():
        raise BadInputError(label, "not a file")
    try:
        return path.read_bytes()
    except OSError as error:
        raise BadInputError(label, f"cannot read file ({error})") from None


def _to_gray(image: Image.Image) -> Image.Image:
    """Grayscale ``"L"``: transparent areas become white paper, 16-bit and float images are rescaled."""
    image = ImageOps.exif_transpose(image) if image.format in ("JPEG", "TIFF", "PNG") else image
    if image.mode == "L":
        return image.copy()
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        import numpy as np

        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = np.zeros_like(values) if high <= low else (values - low) * (255.0 / (high - low))
        return Image.fromarray(scaled.round().astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        # A transparent background would turn black in a plain convert: lay the drawing on white paper.
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    return image.convert("RGB").convert("L")


def _working_size(image: Image.Image, max_side: int) -> Image.Image:
    width, height = image.size
    longer = max(width, height)
    if max_side <= 0 or longer <= max_side:
        return image
    scale = max_side / longer
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)
