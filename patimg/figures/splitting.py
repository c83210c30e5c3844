"""Split an upright drawing sheet into one region per figure caption.

How: the captions (with a subtitle printed under one, "Prior art") are taken out of the ink, the boxes of
the other text read are painted in as solid ink so that numerals join their leader lines, and the layout
analysis of :mod:`patimg.figures.layout` gives every piece of ink to a caption: each caption is paired with
the nearest ink on the side where the sheet's captions sit, then pieces join their nearest neighbours
without ever joining two captions' figures. The split is refused (one ``"whole-sheet"`` region instead)
when a caption has no ink of its own or two regions overlap heavily.

The sheet header ("U.S. Patent  Oct. 21, 2025  Sheet 3 of 12  US 12,448,249 B2") is printed in the
margin band on the page's own top edge; after an upright rotation that edge may be the left, right or
bottom side. When text in that band reads like a header, the band is blanked and its labels dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from patimg.figures.captions import Caption, figure_number, find_captions, header_band, subtitles
from patimg.figures.geometry import center_in, clip, gap, too_much_overlap, union
from patimg.figures.layout import CELL, assign_pieces, ink_grid, label_cells, pieces
from patimg.types import Label

#: Split kinds: split by captions; several captions but kept whole; one figure (nothing to split).
SPLIT_KINDS = ("caption", "whole-sheet", "single")


@dataclass(frozen=True)
class FigureRegion:
    """One figure found on a drawing image.

    Attributes:
        caption: Caption as read (``"FIG. 3"``); for a ``"whole-sheet"`` region all captions joined with
            ``", "``; ``""`` when none was read.
        figure_num: Figure number from the caption (``"3"``, ``"1B"``, ``"3(a)"``); ``""`` when none or
            when a whole-sheet region holds several.
        box: Integer pixel box ``(x0, y0, x1, y1)`` on the upright image (exclusive end).
        labels: Labels read inside the region (boxes on the upright image), the caption included.
        split: ``"caption"``, ``"whole-sheet"`` or ``"single"`` (see :data:`SPLIT_KINDS`).
        captions: Every caption inside the region (one for a ``"caption"`` region).
    """

    caption: str
    figure_num: str
    box: tuple[int, int, int, int]
    labels: tuple[Label, ...] = ()
    split: str = "single"
    captions: tuple[str, ...] = ()


def split_sheet(
    image: Image.Image,
    labels: Sequence[Label],
    *,
    min_gap: int = 8,
    rotation: int = 0,
    max_overlap: float = 0.35,
) -> list[FigureRegion]:
    """Split an upright drawing sheet into one region per figure caption.

    Args:
        image: The upright sheet (any mode; ink is dark).
        labels: Text read on the upright sheet (captions have ``kind == "figure"``).
        min_gap: Blank gap in pixels below which two strokes count as one piece of ink (dashes, hatching);
            wider gaps are weighed by the layout analysis, which never joins two captions' figures.
        rotation: Degrees clockwise applied to make the sheet upright (to find the header band).
        max_overlap: Refuse the split when two regions' boxes share more than this fraction of the smaller.

    Returns:
        Regions in caption order. One ``"caption"`` region per distinct caption when the split works;
        otherwise one content-cropped region for the whole sheet, ``"single"`` when it has at most one
        caption and ``"whole-sheet"`` when it has several. Labels in the header band are dropped.
    """
    import numpy as np

    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    ink = gray < 128
    band = header_band((width, height), labels, rotation=rotation)
    if band is not None:
        bx0, by0, bx1, by1 = band
        ink[by0:by1, bx0:bx1] = False
        labels = [lab for lab in labels if not center_in(lab.box, band)]
    labels = list(labels)
    captions = find_captions(labels)
    content = _content_box(ink, labels)
    if len(captions) < 2:
        caption = captions[0].text if captions else ""
        return [_whole(content, labels, captions, split="single", caption=caption)]
    regions = _split_by_captions(ink, labels, captions, min_gap=min_gap)
    if regions is None or too_much_overlap([r.box for r in regions], max_overlap):
        return [_whole(content, labels, captions, split="whole-sheet")]
    return regions


def _whole(content, labels, captions, *, split: str, caption: str = "") -> FigureRegion:
    texts = tuple(c.text for c in captions)
    return FigureRegion(
        caption=caption or ", ".join(texts),
        figure_num=figure_number(caption)
        if caption
        else ("" if len(texts) != 1 else figure_number(texts[0])),
        box=content,
        labels=tuple(labels),
        split=split,
        captions=texts,
    )


def _content_box(ink, labels: Sequence[Label]) -> tuple[int, int, int, int]:
    """Tight box around the ink and the labels; the whole image when it is blank."""
    import numpy as np

    height, width = ink.shape
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    boxes = [tuple(lab.box) for lab in labels]
    if rows.size:
        boxes.append((cols[0], rows[0], cols[-1] + 1, rows[-1] + 1))
    if not boxes:
        return (0, 0, width, height)
    return clip(union(boxes), width, height)


def _split_by_captions(ink, labels, captions: list[Caption], *, min_gap: int) -> list[FigureRegion] | None:
    import numpy as np

    height, width = ink.shape
    grid = ink_grid(ink)
    blocks = [union([c.box] + [lab.box for lab in subtitles(c, labels)]) for c in captions]
    in_caption = {id(part) for c in captions for part in c.parts}
    in_caption |= {id(lab) for c in captions for lab in subtitles(c, labels)}
    for label in labels:
        if id(label) in in_caption or label.kind == "figure":
            x0, y0, x1, y1 = label_cells(label.box, grid.shape)
            grid[max(0, y0 - 1) : y1 + 1, max(0, x0 - 1) : x1 + 1] = False  # captions are seeds, not ink
    for label in labels:
        if id(label) not in in_caption and label.kind != "figure":
            x0, y0, x1, y1 = label_cells(label.box, grid.shape)
            grid[y0:y1, x0:x1] = True
    found = pieces(grid, radius=max(1, round(min_gap / CELL / 2)))  # dilating both sides joins gaps < min_gap
    assignment = assign_pieces(found, [label_cells(b, grid.shape) for b in blocks])
    if assignment is None:
        return None
    region_labels: list[list[Label]] = [list(c.parts) for c in captions]
    for k, c in enumerate(captions):
        region_labels[k] += subtitles(c, labels)
    for label in labels:
        if id(label) in in_caption:
            continue
        x0, y0, x1, y1 = label_cells(label.box, grid.shape)
        ids = found.grid[y0:y1, x0:x1]
        ids = ids[ids > 0]
        if ids.size:
            owner = assignment.owner[int(np.bincount(ids).argmax())]
        else:  # a caption read twice, or text with no ink under it: the nearest caption's
            owner = min(range(len(blocks)), key=lambda k: gap(label.box, blocks[k]))
        region_labels[owner].append(label)
    regions = []
    for k, caption in enumerate(captions):
        boxes = [blocks[k]] + [tuple(lab.box) for lab in region_labels[k]]
        boxes += [
            tuple(v * CELL for v in found.boxes[p]) for p, owner in assignment.owner.items() if owner == k
        ]
        regions.append(
            FigureRegion(
                caption=caption.text,
                figure_num=figure_number(caption.text),
                box=clip(union(boxes), width, height),
                labels=tuple(region_labels[k]),
                split="caption",
                captions=(caption.text,),
            )
        )
    return regions
