"""Layout analysis of a sheet's ink: which piece of ink belongs to which caption.

Why this way: rules fitted to a few sheets ("the nearest caption wins", "blobs after a fixed dilation")
break on the next layout (captions above a grid, beside a turned sheet, a subtitle under each caption).
What holds on every sheet is how drafters lay one out:

1. A figure is ink that lies closer to the rest of its figure than to any other figure. Numerals join their
   leader lines because their boxes are painted in as ink, so a numeral goes with the part its line touches.
2. Every caption sits on the same side of its figure across a sheet (below, above, left or right), next to
   it. So each caption is paired with the piece of ink nearest to it on one side, the side being the one
   that pairs every caption with a piece of its own at the least total distance (an assignment, so two
   captions never share a piece).
3. Then the pieces are joined nearest first (single linkage on the gap between pieces of ink), never joining
   two pieces that already belong to different captions: the constrained linkage gives every leftover piece
   (a detached part, a numeral, a section letter) to the figure whose ink it lies closest to.

Everything runs on a grid of ``CELL`` x ``CELL`` pixel cells (max-pooled: a cell is ink when any pixel is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patimg.figures.geometry import mask_box, to_cells

#: Pixels per grid cell: a 300-dpi sheet becomes a 75-dpi grid, plenty to tell figures apart.
CELL = 4
#: Where a caption sits relative to its figure (the same for every figure of a sheet).
CAPTION_SIDES = ("below", "above", "left", "right")


@dataclass(frozen=True)
class Pieces:
    """The ink of a sheet cut into pieces.

    Attributes:
        grid: Piece id per cell (0 where there is no ink or only specks).
        boxes: Cell box ``(x0, y0, x1, y1)`` of each piece id.
    """

    grid: object
    boxes: dict[int, tuple[int, int, int, int]]


@dataclass(frozen=True)
class Assignment:
    """Which caption each piece belongs to.

    Attributes:
        side: Where the captions sit relative to their figures (see :data:`CAPTION_SIDES`).
        owner: Caption index of every piece id.
    """

    side: str
    owner: dict[int, int]


def ink_grid(ink, cell: int = CELL):
    """Max-pool a boolean ink mask onto the working grid."""
    import numpy as np

    height, width = ink.shape
    grid_h, grid_w = -(-height // cell), -(-width // cell)
    padded = np.zeros((grid_h * cell, grid_w * cell), dtype=bool)
    padded[:height, :width] = ink
    return padded.reshape(grid_h, cell, grid_w, cell).any(axis=(1, 3))


def pieces(grid, *, radius: int = 1, min_cells: int = 6) -> Pieces:
    """Connected pieces of ink, strokes closer than ``2 * radius`` cells counting as touching (dashes, hatching,
    the letters of one word); pieces under ``min_cells`` cells are scanner specks and dropped (a speck between
    two figures would otherwise bridge them)."""
    import cv2
    import numpy as np

    mask = grid.astype(np.uint8)
    if radius > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    labels = np.where(grid, labels, 0).astype(np.int32)
    sizes = np.bincount(labels.ravel(), minlength=count)
    keep = np.flatnonzero(sizes >= min_cells)
    keep = keep[keep > 0]
    remap = np.zeros(count, dtype=np.int32)
    remap[keep] = np.arange(1, keep.size + 1, dtype=np.int32)
    labels = remap[labels]
    boxes = {}
    for new_id, old_id in enumerate(keep, start=1):
        x, y, w, h = stats[old_id, :4]
        boxes[new_id] = mask_box(labels[y : y + h, x : x + w] == new_id)
        bx0, by0, bx1, by1 = boxes[new_id]
        boxes[new_id] = (int(x + bx0), int(y + by0), int(x + bx1), int(y + by1))
    return Pieces(grid=labels, boxes=boxes)


def assign_pieces(found: Pieces, caption_boxes: Sequence[tuple[int, int, int, int]]) -> Assignment | None:
    """Give every piece to a caption (caption boxes in cells), or ``None`` when some caption has no ink of its
    own on any side: then the split cannot be trusted."""
    if not found.boxes:
        return None
    seeds = _caption_seeds(found, caption_boxes)
    if seeds is None:
        return None
    side, seed_of = seeds
    return Assignment(side=side, owner=_constrained_linkage(found, seed_of))


def _caption_seeds(found: Pieces, caption_boxes) -> tuple[str, dict[int, int]] | None:
    """The side every caption sits on and the piece each caption is paired with (its seed)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    ys, xs = np.nonzero(found.grid)
    ids = found.grid[ys, xs]
    n_pieces = max(found.boxes) + 1
    far = float(sum(found.grid.shape))  # a caption with nothing on that side costs a whole sheet
    best: tuple[float, str, dict[int, int]] | None = None
    costs = {side: np.full((len(caption_boxes), n_pieces), far) for side in CAPTION_SIDES}
    for k, (x0, y0, x1, y1) in enumerate(caption_boxes):
        dx = np.maximum(np.maximum(x0 - xs, xs - (x1 - 1)), 0)
        dy = np.maximum(np.maximum(y0 - ys, ys - (y1 - 1)), 0)
        dist = np.hypot(dx, dy)
        reach = max(y1 - y0, x1 - x0) / 2
        # The figure of a caption printed below it lies above it: ink above the caption's top, within a
        # cone widening from the caption's own span (a caption is often off-centre under its figure).
        beyond = {
            "below": (ys < y0) & (dx <= (y0 - ys) + reach),
            "above": (ys >= y1) & (dx <= (ys - y1) + reach),
            "right": (xs < x0) & (dy <= (x0 - xs) + reach),
            "left": (xs >= x1) & (dy <= (xs - x1) + reach),
        }
        for side, inside in beyond.items():
            row = np.full(n_pieces, far)
            np.minimum.at(row, ids[inside], dist[inside])
            costs[side][k] = row
    for side in CAPTION_SIDES:
        rows, cols = linear_sum_assignment(costs[side])
        total = float(costs[side][rows, cols].sum())
        if any(costs[side][r, c] >= far for r, c in zip(rows, cols, strict=True)):
            total += far * len(caption_boxes)  # a caption left without ink on this side
            pairs = None
        else:
            pairs = {int(c): int(r) for r, c in zip(rows, cols, strict=True)}
        if pairs is not None and (best is None or total < best[0]):
            best = (total, side, pairs)
    return None if best is None else (best[1], best[2])


def _constrained_linkage(found: Pieces, seed_of: dict[int, int]) -> dict[int, int]:
    """Join pieces nearest first, never two pieces owned by different captions; every piece ends owned."""
    parent = {p: p for p in found.boxes}
    owner = {p: seed_of.get(p) for p in found.boxes}

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for _, a, b in _neighbour_gaps(found):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        oa, ob = owner[ra], owner[rb]
        if oa is not None and ob is not None and oa != ob:
            continue
        parent[rb] = ra
        owner[ra] = oa if oa is not None else ob
    result = {p: owner[root(p)] for p in found.boxes}
    return {p: (k if k is not None else 0) for p, k in result.items()}


def _neighbour_gaps(found: Pieces) -> list[tuple[float, int, int]]:
    """Gap between every two pieces whose zones of nearest ink touch, smallest first.

    Each blank cell is given to the piece nearest to it (a Voronoi partition of the grid, one Euclidean
    distance transform); two pieces whose zones meet are neighbours, and the gap between them is the sum of
    the distances on either side of where they meet. Single linkage only ever needs these pairs.
    """
    import numpy as np
    from scipy import ndimage

    grid = found.grid
    dist, (iy, ix) = ndimage.distance_transform_edt(grid == 0, return_indices=True)
    nearest = grid[iy, ix]
    gaps: dict[tuple[int, int], float] = {}
    for a, b, da, db in (
        (nearest[:, :-1], nearest[:, 1:], dist[:, :-1], dist[:, 1:]),
        (nearest[:-1, :], nearest[1:, :], dist[:-1, :], dist[1:, :]),
    ):
        differ = (a != b) & (a > 0) & (b > 0)
        lo = np.minimum(a[differ], b[differ]).astype(np.int64)
        hi = np.maximum(a[differ], b[differ]).astype(np.int64)
        gap = da[differ] + db[differ]
        key = lo * (int(grid.max()) + 1) + hi
        order = np.lexsort((gap, key))
        key, gap = key[order], gap[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        for k, g in zip(key[first].tolist(), gap[first].tolist(), strict=True):
            pair = divmod(k, int(grid.max()) + 1)
            if g < gaps.get(pair, float("inf")):
                gaps[pair] = g
    return sorted((g, a, b) for (a, b), g in gaps.items())


def label_cells(box, grid_shape) -> tuple[int, int, int, int]:
    """A pixel box on the working grid."""
    height, width = grid_shape
    return to_cells(box, CELL, width, height)
