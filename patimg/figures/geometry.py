"""Box arithmetic on pixel boxes ``(x0, y0, x1, y1)`` (exclusive end) used by the sheet splitter."""

from __future__ import annotations


def overlaps(a, b) -> bool:
    """Whether two boxes share any area."""
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def mask_box(mask) -> tuple[int, int, int, int]:
    """Tight box of the true cells of a non-empty boolean mask."""
    import numpy as np

    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def to_cells(box, cell: int, grid_w: int, grid_h: int) -> tuple[int, int, int, int]:
    """A pixel box on the reduced grid (``cell`` pixels a cell), at least one cell, clipped to the grid."""
    x0, y0, x1, y1 = box
    gx0 = min(max(0, int(x0 // cell)), grid_w - 1)
    gy0 = min(max(0, int(y0 // cell)), grid_h - 1)
    return (
        gx0,
        gy0,
        max(gx0 + 1, min(grid_w, -(-int(x1) // cell))),
        max(gy0 + 1, min(grid_h, -(-int(y1) // cell))),
    )


def gap(a, b) -> float:
    """Euclidean gap between two boxes (0 when they touch or overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return float((dx * dx + dy * dy) ** 0.5)


def union(boxes) -> tuple:
    """Smallest box holding all the boxes."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def clip(box, width: int, height: int) -> tuple[int, int, int, int]:
    """Integer box clipped to the image, at least one pixel."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = min(max(0, x0), width - 1), min(max(0, y0), height - 1)
    return x0, y0, max(x0 + 1, min(width, x1)), max(y0 + 1, min(height, y1))


def center_in(box, band) -> bool:
    """Whether the centre of ``box`` lies in ``band``."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return band[0] <= cx <= band[2] and band[1] <= cy <= band[3]


def too_much_overlap(boxes, max_overlap: float) -> bool:
    """Whether any two boxes share more than ``max_overlap`` of the smaller one."""
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
