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

import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from patimg.types import Label

#: Split kinds: split by captions; several captions but kept whole; one figure (nothing to split).
SPLIT_KINDS = ("caption", "whole-sheet", "single")

_CAPTION = re.compile(
    r"^\s*fig(?:ure)?s?\s*\.?\s*([0-9]+\s*[A-Za-z]?(?:\s*\(\s*[A-Za-z0-9]{1,3}\s*\))?(?:\s*-\s*[0-9A-Za-z]+)?)",
    re.IGNORECASE,
)
_HEADER_TEXT = re.compile(
    r"patent|sheet|\bof\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b|\bU\.?\s?S\.?\b|\b[AB][12]\b"
    r"|\d{1,3},\d{3},\d{3}|\d{4}/\d{7}",
    re.IGNORECASE,
)


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


def figure_number(caption: str) -> str:
    """Figure number of a caption: ``"FIG. 3"`` -> ``"3"``, ``"Fig.3 (a)"`` -> ``"3(a)"``, else ``""``."""
    match = _CAPTION.match(caption or "")
    return re.sub(r"\s+", "", match.group(1)) if match else ""


def header_band(
    size: tuple[int, int], labels: Sequence[Label], *, rotation: int = 0, band_fraction: float = 0.1
) -> tuple[int, int, int, int] | None:
    """Box of the sheet header band on the upright image, or ``None`` when no header text was read.

    Args:
        size: Upright image size ``(width, height)``.
        labels: Labels read on the upright image.
        rotation: Degrees clockwise that were applied to make the sheet upright (locates the page's top edge).
        band_fraction: How deep into the page, as a fraction of its height, the header may reach.
    """
    width, height = size
    side = {0: "top", 90: "right", 180: "bottom", 270: "left"}.get(int(rotation) % 360, "top")
    depth = (width if side in ("left", "right") else height) * band_fraction
    reach = 0.0
    for label in labels:
        if label.kind == "figure" or not _HEADER_TEXT.search(label.text):
            continue
        x0, y0, x1, y1 = label.box
        inner = {"top": y1, "bottom": height - y0, "left": x1, "right": width - x0}[side]
        if inner <= depth:
            reach = max(reach, inner)
    if reach <= 0:
        return None
    pad = 0.01 * (width if side in ("left", "right") else height)
    reach = int(round(reach + pad))
    return {
        "top": (0, 0, width, reach),
        "bottom": (0, height - reach, width, height),
        "left": (0, 0, reach, height),
        "right": (width - reach, 0, width, height),
    }[side]


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
        labels = [lab for lab in labels if not _center_in(lab.box, band)]
    labels = list(labels)
    captions = find_captions(labels)
    content = _content_box(ink, labels)
    if len(captions) < 2:
        caption = captions[0].text if captions else ""
        return [_whole(content, labels, captions, split="single", caption=caption)]
    regions = _split_by_captions(ink, labels, captions, min_gap=min_gap)
    if regions is None or _too_much_overlap([r.box for r in regions], max_overlap):
        return [_whole(content, labels, captions, split="whole-sheet")]
    return regions


@dataclass(frozen=True)
class Caption:
    """A figure caption read on a sheet.

    Attributes:
        text: Caption with any sub-figure letter joined on (``"FIG. 3(a)"``).
        box: Box of the caption (and its letter) on the upright image.
        parts: The labels it was read from: the caption label, then the letter label if any.
    """

    text: str
    box: tuple[float, float, float, float]
    parts: tuple[Label, ...]


_SUB_LETTER = re.compile(r"^\(?\s*([A-Za-z]|[ivx]{2,3})\s*\)?$")


def find_captions(labels: Sequence[Label]) -> list[Caption]:
    """The distinct figure captions among the labels, in figure-number order.

    A one-letter label just right of a caption (``"(a)"`` read apart from ``"FIG. 3"``) is the sub-figure
    letter and is joined on; two reads of one caption (same text, overlapping boxes) count once. Two
    captions with the same text far apart stay two captions (two figures, the OCR missed what tells them apart).
    """
    captions = [lab for lab in labels if lab.kind == "figure"]
    others = [lab for lab in labels if lab.kind != "figure" and _SUB_LETTER.match(lab.text.strip())]
    found: list[Caption] = []
    used: set[int] = set()
    for cap in sorted(captions, key=lambda lab: -lab.confidence):
        text, parts, box = cap.text, [cap], tuple(cap.box)
        number = figure_number(cap.text)
        if number and number[-1].isdigit():
            letter = _letter_after(cap, [o for o in others if id(o) not in used])
            if letter is not None:
                used.add(id(letter))
                text = f"{cap.text.rstrip()}({_SUB_LETTER.match(letter.text.strip()).group(1)})"
                parts.append(letter)
                box = _union([box, tuple(letter.box)])
        key = text.upper().replace(" ", "")
        if any(key == c.text.upper().replace(" ", "") and _overlaps(box, c.box) for c in found):
            continue  # a second read of the same caption
        found.append(Caption(text=text, box=box, parts=tuple(parts)))
    return sorted(found, key=lambda c: (_natural_key(figure_number(c.text) or c.text), c.box[1], c.box[0]))


def _letter_after(caption: Label, candidates: Sequence[Label]) -> Label | None:
    x0, y0, x1, y1 = caption.box
    height = y1 - y0
    best = None
    for lab in candidates:
        lx0, ly0, lx1, ly1 = lab.box
        cy = (ly0 + ly1) / 2
        gap = lx0 - x1
        if -0.3 * height <= gap <= 1.0 * height and y0 <= cy <= y1 and (best is None or lx0 < best.box[0]):
            best = lab
    return best


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part.upper() for part in re.split(r"(\d+)", text))


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
    return _clip(_union(boxes), width, height)


def _split_by_captions(ink, labels, captions, *, min_gap: int) -> list[FigureRegion] | None:
    import numpy as np

    height, width = ink.shape
    cell = 4  # 300 dpi -> 75 dpi working grid: plenty to tell drawings apart, 16x less work.
    grid_h, grid_w = -(-height // cell), -(-width // cell)
    padded = np.zeros((grid_h * cell, grid_w * cell), dtype=bool)
    padded[:height, :width] = ink
    grid = padded.reshape(grid_h, cell, grid_w, cell).any(axis=(1, 3))
    caption_set = {id(part) for c in captions for part in c.parts}
    caption_cells = [_to_cells(c.box, cell, grid_w, grid_h) for c in captions]
    for x0, y0, x1, y1 in caption_cells:
        grid[y0:y1, x0:x1] = False  # captions are seeds, not ink: they must not glue drawings together
    for label in labels:
        if id(label) not in caption_set and label.kind != "figure":
            x0, y0, x1, y1 = _to_cells(label.box, cell, grid_w, grid_h)
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
        gx0, gy0, gx1, gy1 = _union(owner_boxes[k])
        box = _clip((gx0 * cell, gy0 * cell, gx1 * cell, gy1 * cell), width, height)
        box = _clip(_union([box] + [tuple(lab.box) for lab in region_labels[k]]), width, height)
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
        region_boxes[owner] = _union([region_boxes[owner], box])
        blob_owner[blob_id] = owner
    return owner_boxes, blob_owner


def _closeness(box, region_box, caption_box) -> tuple[float, float, float]:
    """Sort key of a blob for a region: box gap, then (ties, e.g. a caption sitting on the drawing's edge)
    how much of the caption the blob's box covers, then the distance to the caption's centre."""
    cx, cy = (caption_box[0] + caption_box[2]) / 2, (caption_box[1] + caption_box[3]) / 2
    inner_w = max(0, min(box[2], caption_box[2]) - max(box[0], caption_box[0]))
    inner_h = max(0, min(box[3], caption_box[3]) - max(box[1], caption_box[1]))
    area = max(1, (caption_box[2] - caption_box[0]) * (caption_box[3] - caption_box[1]))
    return _gap(box, region_box), -inner_w * inner_h / area, _gap(box, (cx, cy, cx, cy))


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
            box = _mask_box(ink_cells)
            touching = sum(1 for cb in caption_cells if _gap(box, cb) <= 0 and _touches(member, cb))
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
    x0, y0, x1, y1 = _to_cells(label.box, cell, w, h)
    ids = blob_map[y0:y1, x0:x1]
    ids = ids[ids > 0]
    if ids.size:
        blob = int(np.bincount(ids).argmax())
        if blob in blob_owner:
            return blob_owner[blob]
    box = (x0, y0, x1, y1)
    return min(range(len(caption_cells)), key=lambda k: _gap(box, caption_cells[k]))


def _mask_box(mask) -> tuple[int, int, int, int]:
    import numpy as np

    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _to_cells(box, cell: int, grid_w: int, grid_h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    gx0 = min(max(0, int(x0 // cell)), grid_w - 1)
    gy0 = min(max(0, int(y0 // cell)), grid_h - 1)
    return (
        gx0,
        gy0,
        max(gx0 + 1, min(grid_w, -(-int(x1) // cell))),
        max(gy0 + 1, min(grid_h, -(-int(y1) // cell))),
    )


def _gap(a, b) -> float:
    """Euclidean gap between two boxes (0 when they touch or overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return float((dx * dx + dy * dy) ** 0.5)


def _union(boxes) -> tuple:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _clip(box, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = min(max(0, x0), width - 1), min(max(0, y0), height - 1)
    return x0, y0, max(x0 + 1, min(width, x1)), max(y0 + 1, min(height, y1))


def _center_in(box, band) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return band[0] <= cx <= band[2] and band[1] <= cy <= band[3]


def _too_much_overlap(boxes, max_overlap: float) -> bool:
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            inter_w = min(a[2], b[2]) - max(a[0], b[0])
            inter_h = min(a[3], b[3]) - max(a[1], b[1])
            if inter_w <= 0 or inter_h <= 0:
                continue
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if inter_w * inter_h > max_overlap * smaller:
                return True
    return False
