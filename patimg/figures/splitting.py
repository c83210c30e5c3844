"""Split an upright drawing sheet into one region per figure caption.

How: the sheet is binarised and reduced by max-pooling (a cell is ink when any of its pixels is), the boxes
of the text read on it are painted in as solid ink so that numerals join their leader lines, the ink is
dilated by ``min_gap`` so that the strokes of one drawing join, and each connected blob is given to the
caption nearest to it (gap distance between boxes: captions sit below, above or beside their figure).
A blob that touches two captions is split again with less dilation. The split is refused (one
``"whole-sheet"`` region instead) when a caption gets no drawing or two regions overlap heavily.

The sheet header ("U.S. Patent  Oct. 21, 2025  Sheet 3 of 12  US 12,448,249 B2") is printed in the
margin band on the page's own top edge; after an upright rotation that edge may be the left, right or
bottom side. When text in that band reads like a header, the band is blanked and its labels dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from patimg.figures.captions import figure_number, find_captions, header_band
from patimg.figures.geometry import center_in, clip, gap, mask_box, to_cells, too_much_overlap, union
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
    min_gap: int = 28,
    rotation: int = 0,
    max_overlap: float = 0.35,
) -> list[FigureRegion]:
    """Split an upright drawing sheet into one region per figure caption.

    Args:
        image: The upright sheet (any mode; ink is dark).
        labels: Text read on the upright sheet (captions have ``kind == "figure"``).
        min_gap: Blank gap in pixels (at 300 dpi ~2.4 mm) that still separates two drawings; smaller gaps
            are bridged so leader lines, numerals and parts of one drawing stay together.
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


def _split_by_captions(ink, labels, captions, *, min_gap: int) -> list[FigureRegion] | None:
    import numpy as np

    height, width = ink.shape
    cell = 4  # 300 dpi -> 75 dpi working grid: plenty to tell drawings apart, 16x less work.
    grid_h, grid_w = -(-height // cell), -(-width // cell)
    padded = np.zeros((grid_h * cell, grid_w * cell), dtype=bool)
    padded[:height, :width] = ink
    grid = padded.reshape(grid_h, cell, grid_w, cell).any(axis=(1, 3))
    caption_set = {id(part) for c in captions for part in c.parts}
    caption_cells = [to_cells(c.box, cell, grid_w, grid_h) for c in captions]
    for x0, y0, x1, y1 in caption_cells:
        grid[y0:y1, x0:x1] = False  # captions are seeds, not ink: they must not glue drawings together
    for label in labels:
        if id(label) not in caption_set and label.kind != "figure":
            x0, y0, x1, y1 = to_cells(label.box, cell, grid_w, grid_h)
            grid[y0:y1, x0:x1] = True
    blobs = _blobs(grid, caption_cells, radius=max(1, round(min_gap / cell / 2)))
    if blobs is None:
        return None
    owner_boxes, blob_owner = _grow_regions(blobs["boxes"], caption_cells)
    if any(len(boxes) < 2 for boxes in owner_boxes):
        return None  # a caption without a drawing: the split is not trustworthy
    region_labels: list[list[Label]] = [list(c.parts) for c in captions]
    for label in labels:
        if id(label) in caption_set:
            continue
        owner = _label_owner(label, blobs["map"], blob_owner, cell, caption_cells)
        region_labels[owner].append(label)
    regions = []
    for k, caption in enumerate(captions):
        gx0, gy0, gx1, gy1 = union(owner_boxes[k])
        box = clip((gx0 * cell, gy0 * cell, gx1 * cell, gy1 * cell), width, height)
        box = clip(union([box] + [tuple(lab.box) for lab in region_labels[k]]), width, height)
        regions.append(
            FigureRegion(
                caption=caption.text,
                figure_num=figure_number(caption.text),
                box=box,
                labels=tuple(region_labels[k]),
                split="caption",
                captions=(caption.text,),
            )
        )
    return regions


def _grow_regions(
    blob_boxes: dict[int, tuple], caption_cells: list[tuple]
) -> tuple[list[list[tuple]], dict[int, int]]:
    """Greedy growth: repeatedly give the blob nearest to any region (its box so far) to that region.

    Growing from the closest pairs first means a drawing's main blob (touching its caption) is taken
    first; the region's box then covers the drawing, so stray parts inside it (a section-line letter, a
    numeral with a broken leader) go to it rather than to a caption that is merely nearer.
    """
    region_boxes = list(caption_cells)
    owner_boxes: list[list[tuple]] = [[box] for box in caption_cells]
    blob_owner: dict[int, int] = {}
    pending = dict(blob_boxes)
    while pending:
        *_, blob_id, owner = min(
            (*_closeness(box, region_boxes[k], caption_cells[k]), blob_id, k)
            for blob_id, box in pending.items()
            for k in range(len(region_boxes))
        )
        box = pending.pop(blob_id)
        owner_boxes[owner].append(box)
        region_boxes[owner] = union([region_boxes[owner], box])
        blob_owner[blob_id] = owner
    return owner_boxes, blob_owner


def _closeness(box, region_box, caption_box) -> tuple[float, float, float]:
    """Sort key of a blob for a region: box gap, then (ties, e.g. a caption sitting on the drawing's edge)
    how much of the caption the blob's box covers, then the distance to the caption's centre."""
    cx, cy = (caption_box[0] + caption_box[2]) / 2, (caption_box[1] + caption_box[3]) / 2
    inner_w = max(0, min(box[2], caption_box[2]) - max(box[0], caption_box[0]))
    inner_h = max(0, min(box[3], caption_box[3]) - max(box[1], caption_box[1]))
    area = max(1, (caption_box[2] - caption_box[0]) * (caption_box[3] - caption_box[1]))
    return gap(box, region_box), -inner_w * inner_h / area, gap(box, (cx, cy, cx, cy))


def _blobs(grid, caption_cells, *, radius: int, min_cells: int = 6) -> dict | None:
    """Connected blobs of the dilated grid; blobs touching two captions are re-split with less dilation."""
    import cv2
    import numpy as np

    result_map = np.zeros(grid.shape, dtype=np.int32)
    boxes: dict[int, tuple[int, int, int, int]] = {}
    next_id = 1
    todo = [(np.ones(grid.shape, dtype=bool), radius)]
    while todo:
        area, r = todo.pop()
        mask = grid & area
        if r > 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
            grown = cv2.dilate(mask.astype(np.uint8), kernel) > 0
            grown &= area
        else:
            grown = mask
        count, comp = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
        for c in range(1, count):
            member = comp == c
            ink_cells = member & mask
            if np.count_nonzero(ink_cells) < min_cells:
                continue  # specks of scanner noise would stretch a region across its neighbour
            box = mask_box(ink_cells)
            touching = sum(1 for cb in caption_cells if gap(box, cb) <= 0 and _touches(member, cb))
            if touching >= 2 and r > 0:
                todo.append((member, r // 2))
                continue
            result_map[ink_cells] = next_id
            boxes[next_id] = box
            next_id += 1
    return {"map": result_map, "boxes": boxes} if boxes else None


def _touches(member, cell_box) -> bool:
    x0, y0, x1, y1 = cell_box
    h, w = member.shape
    return bool(member[max(0, y0 - 1) : min(h, y1 + 1), max(0, x0 - 1) : min(w, x1 + 1)].any())


def _label_owner(label, blob_map, blob_owner, cell, caption_cells) -> int:
    """Region of a label: the blob under its box (most cells), else the nearest caption."""
    import numpy as np

    h, w = blob_map.shape
    x0, y0, x1, y1 = to_cells(label.box, cell, w, h)
    ids = blob_map[y0:y1, x0:x1]
    ids = ids[ids > 0]
    if ids.size:
        blob = int(np.bincount(ids).argmax())
        if blob in blob_owner:
            return blob_owner[blob]
    box = (x0, y0, x1, y1)
    return min(range(len(caption_cells)), key=lambda k: gap(box, caption_cells[k]))
