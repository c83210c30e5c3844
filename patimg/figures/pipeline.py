"""The one call the ingest pipeline makes per drawing image: read its text upright, then find its figures."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from patimg.errors import BadInputError
from patimg.figures.captions import figure_number, find_captions, header_band
from patimg.figures.geometry import center_in
from patimg.figures.splitting import FigureRegion, _content_box, split_sheet
from patimg.types import Label

#: Image kinds a publication names (see ``patimg.types.DrawingRef``).
DRAWING_KINDS = ("sheet", "figure", "abstract")


@dataclass(frozen=True)
class DrawingFigures:
    """The figures found on one drawing image.

    Attributes:
        rotation: Degrees clockwise applied to make the image upright (0, 90, 180, 270).
        image: The upright image; every region's box and label is on it.
        regions: The figures, in caption order.
        labels: Everything the OCR read on the upright image (header band included); each region's
            labels are a subset.
    """

    rotation: int
    image: Image.Image
    regions: tuple[FigureRegion, ...]
    labels: tuple[Label, ...] = ()


def figures_from_drawing(
    image: Image.Image,
    *,
    ocr,
    kind: str = "sheet",
    figure_num: str = "",
    rotation: int | None = None,
    read=None,
) -> DrawingFigures:
    """Read a drawing's text (rotation detected) and cut it into figures.

    A ``"sheet"`` is split by its captions (:func:`split_sheet`). A ``"figure"`` image is one figure,
    unless its text shows two or more distinct captions (EPO images such as "Fig. 2" + "Fig. 3" on one
    image exist), in which case it is split like a sheet. An ``"abstract"`` image is always one figure.
    A single region's caption is the one read, else ``"FIG. <figure_num>"`` from the publication's XML.

    Args:
        image: The drawing as loaded (:func:`~patimg.figures.load_drawing`).
        ocr: OCR backend (``patimg.ocr.get_ocr``).
        kind: ``"sheet"``, ``"figure"`` or ``"abstract"``.
        figure_num: Figure number the XML gives for a ``"figure"`` image, or ``""``.
        rotation: Known rotation (degrees clockwise to make it upright); ``None`` detects it.
        read: What was already read on this image (``patimg.ocr.DrawingText``, e.g. kept from an earlier
            run); skips the OCR, so the splitter can be re-measured on real sheets in seconds.

    Raises:
        BadInputError: Unknown ``kind``.
    """
    if kind not in DRAWING_KINDS:
        raise BadInputError(f"kind {kind!r}", f"unknown drawing kind; expected one of {DRAWING_KINDS}")
    if read is None:
        from patimg.ocr import read_drawing

        read = read_drawing(image, ocr=ocr, rotation=rotation)
    drawing = read
    upright, labels, turned = drawing.image, list(drawing.labels), int(drawing.rotation)
    captions = find_captions(labels)
    if kind == "sheet" or (kind == "figure" and len(captions) >= 2):
        regions = split_sheet(upright, labels, rotation=turned)
    else:
        regions = [_single_region(upright, labels, rotation=turned, figure_num=figure_num)]
    return DrawingFigures(
        rotation=turned, image=upright, regions=tuple(regions), labels=tuple(drawing.labels)
    )


def _single_region(image: Image.Image, labels, *, rotation: int, figure_num: str) -> FigureRegion:
    import numpy as np

    ink = np.asarray(image.convert("L")) < 128
    band = header_band(image.size, labels, rotation=rotation)
    if band is not None:
        bx0, by0, bx1, by1 = band
        ink[by0:by1, bx0:bx1] = False
        labels = [lab for lab in labels if not center_in(lab.box, band)]
    captions = find_captions(labels)
    if len(captions) == 1:
        caption, number = captions[0].text, figure_number(captions[0].text) or figure_num
    elif figure_num:
        # No caption read, or several on one image: the number the publication gives wins.
        caption, number = f"FIG. {figure_num}", figure_num
    else:
        caption, number = ", ".join(c.text for c in captions), ""
    return FigureRegion(
        caption=caption,
        figure_num=number,
        box=_content_box(ink, labels),
        labels=tuple(labels),
        split="single",
        captions=tuple(c.text for c in captions),
    )
