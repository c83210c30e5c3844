"""Choose what to search on an uploaded drawing sheet: some of its figures, a region cut out by hand, or both
(issue 12, item 3).

The sheet is read once, as ingest reads one (:func:`read_sheet_figures`: its text read upright, the sheet split
into figures by their captions); :func:`boxed_sheet` draws the figures found, numbered, on a small copy for the
examiner to choose from. Each chosen part is a :class:`QueryRegion` (a figure found, or a box given in fractions
of the sheet: :func:`crop_region`), and :func:`search_sheet` searches with at most
:data:`~patimg.multi_query.MAX_QUERY_FIGURES` of them at once through :func:`patimg.document_query.search_figures`:
each region is one query figure (its visual vector, and the text its signs link to in a given description), and
:mod:`patimg.multi_query` fuses their results. Nothing is read twice: a region's reference signs are those read on
the sheet inside it (for a figure, those the splitter gave it).

Nothing is added to the collection; the query's patent id is ``QUERY-<file name>``, its figures
``QUERY-<file name>-f<n>`` (the sheet's n-th figure) and ``QUERY-<file name>-crop<n>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from patimg.errors import BadInputError
from patimg.figures.captions import figure_number, find_captions
from patimg.figures.geometry import center_in
from patimg.figures.splitting import FigureRegion
from patimg.multi_query import MAX_QUERY_FIGURES
from patimg.reading import labels_on_crop, padded_box
from patimg.types import Figure, Label

#: Margin of paper kept around a figure's box (as ingest crops figures), in pixels of the sheet.
CROP_MARGIN = 12
#: A hand-cut region smaller than this many pixels a side holds too little drawing to search with.
MIN_REGION_SIDE = 32
#: Box colours on :func:`boxed_sheet`: the figures found, and the hand-cut region.
FIGURE_COLOUR, CROP_COLOUR = (31, 119, 180), (214, 39, 40)


@dataclass(frozen=True)
class SheetFigures:
    """An uploaded sheet, read: its upright image, the figures found on it and everything read on it.

    Attributes:
        name: The upload's file name.
        image: The sheet turned upright; every box is on it.
        regions: The figures found, in caption order.
        labels: Everything read on the upright sheet.
        rotation: Degrees clockwise the sheet was turned to make it upright.
    """

    name: str
    image: Image.Image
    regions: tuple[FigureRegion, ...]
    labels: tuple[Label, ...]
    rotation: int = 0

    @property
    def patent_id(self) -> str:
        """The query's patent id, ``QUERY-<file name stem>`` (file-name safe)."""
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(self.name).stem)
        return f"QUERY-{stem or 'drawing'}"

    def figure_regions(self) -> list[QueryRegion]:
        """One :class:`QueryRegion` per figure found, numbered from 1 in caption order."""
        return [
            QueryRegion(
                name=f"f{n}",
                box=region.box,
                caption=region.caption,
                figure_num=region.figure_num,
                labels=region.labels,
            )
            for n, region in enumerate(self.regions, start=1)
        ]


@dataclass(frozen=True)
class QueryRegion:
    """A part of an uploaded sheet to search with.

    Attributes:
        name: ``f<n>`` for the sheet's n-th figure, ``crop<n>`` for a region cut by hand.
        box: ``(x0, y0, x1, y1)`` on the upright sheet.
        caption: The caption read in it (``"FIG. 3"``), ``""`` when none.
        figure_num: The figure number of its caption, ``""`` when none.
        labels: What was read inside it (boxes on the upright sheet).
    """

    name: str
    box: tuple[int, int, int, int]
    caption: str = ""
    figure_num: str = ""
    labels: tuple[Label, ...] = ()


def read_sheet_figures(image: Image.Image, *, ocr, name: str = "drawing.png") -> SheetFigures:
    """Read an uploaded drawing as ingest reads a sheet: its text upright, then its figures split by caption.

    Args:
        image: The drawing as loaded (:func:`patimg.figures.load_drawing`).
        ocr: OCR backend (:func:`patimg.ocr.get_ocr`).
        name: The upload's file name (names the query).
    """
    from patimg.figures import figures_from_drawing

    found = figures_from_drawing(image, ocr=ocr, kind="sheet")
    return SheetFigures(name, found.image, found.regions, found.labels, found.rotation)


def crop_region(
    sheet: SheetFigures, left: float, top: float, right: float, bottom: float, *, name: str = "crop1"
) -> QueryRegion:
    """A region of the sheet cut by hand, its edges given as fractions of the sheet's width and height (0 to 1).

    Its labels are those read on the sheet whose centre lies inside it; its caption the captions among them.

    Raises:
        BadInputError: An edge outside 0..1, or a region under :data:`MIN_REGION_SIDE` pixels a side.
    """
    edges = {"left": left, "top": top, "right": right, "bottom": bottom}
    for edge, value in edges.items():
        if not 0.0 <= float(value) <= 1.0:
            raise BadInputError(f"crop {edge}", f"{value!r} is not a fraction of the sheet from 0 to 1")
    width, height = sheet.image.size
    box = (round(left * width), round(top * height), round(right * width), round(bottom * height))
    if box[2] - box[0] < MIN_REGION_SIDE or box[3] - box[1] < MIN_REGION_SIDE:
        raise BadInputError(
            "crop",
            f"the region is {box[2] - box[0]}x{box[3] - box[1]} pixels; make it at least {MIN_REGION_SIDE}",
        )
    inside = tuple(lab for lab in sheet.labels if center_in(lab.box, box))
    captions = find_captions(inside)
    caption = ", ".join(c.text for c in captions)
    number = figure_number(captions[0].text) if len(captions) == 1 else ""
    return QueryRegion(name=name, box=box, caption=caption, figure_num=number, labels=inside)


def boxed_sheet(sheet: SheetFigures, *, crop: QueryRegion | None = None, max_side: int = 900) -> Image.Image:
    """A small copy of the sheet with each figure found boxed and numbered (1, 2, ...), and ``crop`` in red.

    Args:
        sheet: The sheet as read.
        crop: A hand-cut region to show too.
        max_side: Longest side of the copy, in pixels.
    """
    canvas = sheet.image.convert("RGB")
    scale = min(1.0, max_side / max(canvas.size))
    if scale < 1.0:
        canvas = canvas.resize(
            (round(canvas.width * scale), round(canvas.height * scale)), Image.Resampling.LANCZOS
        )
    draw = ImageDraw.Draw(canvas)
    line = max(2, round(max(canvas.size) / 300))
    font = _font(max(14, round(max(canvas.size) / 30)))
    for n, region in enumerate(sheet.regions, start=1):
        x0, y0, x1, y1 = (round(v * scale) for v in region.box)
        draw.rectangle((x0, y0, x1, y1), outline=FIGURE_COLOUR, width=line)
        draw.text((x0 + 2 * line, y0 + line), str(n), fill=FIGURE_COLOUR, font=font)
    if crop is not None:
        x0, y0, x1, y1 = (round(v * scale) for v in crop.box)
        draw.rectangle((x0, y0, x1, y1), outline=CROP_COLOUR, width=line)
    return canvas


def region_image(sheet: SheetFigures, region: QueryRegion) -> Image.Image:
    """The region cut out of the upright sheet, with :data:`CROP_MARGIN` of paper around it."""
    return sheet.image.crop(padded_box(sheet.image.size, region.box, margin=CROP_MARGIN))


def query_figures(
    sheet: SheetFigures, regions: Sequence[QueryRegion]
) -> list[tuple[Figure, Image.Image, list[Label]]]:
    """Each region as a query figure: its record, its image, and its labels (boxes moved onto that image)."""
    out = []
    for region in regions:
        x0, y0, x1, y1 = padded_box(sheet.image.size, region.box, margin=CROP_MARGIN)
        figure_id = f"{sheet.patent_id}-{region.name}"
        figure = Figure(
            figure_id=figure_id,
            patent_id=sheet.patent_id,
            caption=region.caption,
            figure_num=region.figure_num,
            sheet=sheet.name,
            box=(x0, y0, x1, y1),
            rotation=sheet.rotation,
            image=f"{figure_id}.png",
            split="single" if region.name.startswith("crop") else "caption",
        )
        labels = list(labels_on_crop(region.labels, (x0, y0)))
        out.append((figure, sheet.image.crop((x0, y0, x1, y1)), labels))
    return out


def search_sheet(
    searcher,
    sheet: SheetFigures,
    regions: Sequence[QueryRegion],
    *,
    description: str | Path | None = None,
    settings=None,
    exclude_patent: bool = False,
    user: str | None = None,
):
    """Search the collection with the chosen regions of a sheet, each one query figure.

    Args:
        searcher: The collection's :class:`patimg.search.Searcher`.
        sheet: The sheet as read (:func:`read_sheet_figures`).
        regions: Its figures and hand-cut regions to search with (1 to :data:`MAX_QUERY_FIGURES`).
        description, settings, exclude_patent, user: As :func:`patimg.document_query.search_document`.

    Returns:
        A :class:`patimg.document_query.DocumentResult`: results per region, and per patent.

    Raises:
        BadInputError: No region, more than :data:`MAX_QUERY_FIGURES`, or an empty description.
    """
    from patimg.document_query import search_figures

    if not regions:
        raise BadInputError(sheet.name, "choose at least one figure or region to search")
    if len(regions) > MAX_QUERY_FIGURES:
        raise BadInputError(
            sheet.name,
            f"{len(regions)} figures and regions chosen; search with at most {MAX_QUERY_FIGURES} at once",
        )
    return search_figures(
        searcher,
        query_figures(sheet, regions),
        source=sheet.name,
        description=description,
        settings=settings,
        exclude_patent=exclude_patent,
        user=user,
    )


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # a Pillow without FreeType has only the small bitmap font
        return ImageFont.load_default()
