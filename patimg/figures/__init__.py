"""Drawing images to figures: safe loading, sheet splitting by caption, cropping, telling what each figure shows
(drawing, diagram, chart, chemical structure, table), and drawing the labels read.

Typical use (what ``patimg.ingest`` does per image)::

    sheet = load_drawing(path)
    found = figures_from_drawing(sheet, ocr=get_ocr("rapidocr"), kind="sheet")
    for region in found.regions:
        crop = crop_figure(found.image, region.box)
"""

from __future__ import annotations

from patimg.figures.captions import Caption, figure_number, find_captions, header_band
from patimg.figures.kind import figure_kind
from patimg.figures.loading import DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, load_drawing, load_drawing_pages
from patimg.figures.pipeline import DRAWING_KINDS, DrawingFigures, figures_from_drawing
from patimg.figures.rendering import crop_figure, render_labels
from patimg.figures.splitting import SPLIT_KINDS, FigureRegion, split_sheet

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "DRAWING_KINDS",
    "SPLIT_KINDS",
    "Caption",
    "DrawingFigures",
    "FigureRegion",
    "crop_figure",
    "figure_kind",
    "figure_number",
    "find_captions",
    "figures_from_drawing",
    "header_band",
    "load_drawing",
    "load_drawing_pages",
    "render_labels",
    "split_sheet",
]
