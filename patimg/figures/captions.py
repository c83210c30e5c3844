"""Figure captions and the sheet header band, found among the labels read on a drawing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from patimg.figure_numbers import normalise_figure_number
from patimg.figures.geometry import overlaps, union
from patimg.types import Label

_CAPTION = re.compile(
    r"^\s*fig(?:ure)?s?\s*\.?\s*([0-9]+\s*[A-Za-z]?(?:\s*\(\s*[A-Za-z0-9]{1,3}\s*\))?(?:\s*-\s*[0-9A-Za-z]+)?)",
    re.IGNORECASE,
)
#: Text only a sheet header prints ("U.S. Patent", "Sheet 3 of 12", "Oct. 21, 2025", "US 12,448,249 B2",
#: "US 2021/0123456 A1"); kept strict so that a reference sign near the top edge never starts a header band.
_HEADER_TEXT = re.compile(
    r"patent|sheet|\d{1,3},\d{3},\d{3}|\d{4}/\d{7}"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d{1,2},\s*\d{4}",
    re.IGNORECASE,
)


def figure_number(caption: str) -> str:
    """Figure number of a printed caption: ``"FIG. 3"`` -> ``"3"``, ``"Fig.3 (a)"`` -> ``"3(a)"``, else ``""``
    (normal form: :func:`patimg.figure_numbers.normalise_figure_number`)."""
    match = _CAPTION.match(caption or "")
    return normalise_figure_number(match.group(1)) if match else ""


def header_band(
    size: tuple[int, int], labels: Sequence[Label], *, rotation: int = 0, band_fraction: float = 0.1
) -> tuple[int, int, int, int] | None:
    """Box of the sheet header band on the upright image, or ``None`` when no header text was read.

    The band runs from the page's top edge to the far side of the deepest header-like ``"other"`` label
    ("U.S. Patent", "Sheet 3 of 12", a date, a patent number) lying within ``band_fraction`` of that edge.

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
        if label.kind != "other" or not _HEADER_TEXT.search(label.text):
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
                box = union([box, tuple(letter.box)])
        key = text.upper().replace(" ", "")
        if any(key == c.text.upper().replace(" ", "") and overlaps(box, c.box) for c in found):
            continue  # a second read of the same caption
        found.append(Caption(text=text, box=box, parts=tuple(parts)))
    return sorted(found, key=lambda c: (_natural_key(figure_number(c.text) or c.text), c.box[1], c.box[0]))


_SUBTITLE = re.compile(r"[A-Za-z]{3}")


def subtitles(caption: Caption, labels: Sequence[Label]) -> list[Label]:
    """Words printed just under a caption as part of it ("Prior art", "PRIOR ART").

    They belong to the caption, not to the ink: left in, a subtitle under every caption would look like a
    figure below each caption to the layout analysis. A subtitle is an ``"other"`` label with letters, no
    more than one caption height below the caption and overlapping it across.
    """
    x0, y0, x1, y1 = caption.box
    height = y1 - y0
    found = []
    for lab in labels:
        lx0, ly0, lx1, ly1 = lab.box
        if lab.kind != "other" or not _SUBTITLE.search(lab.text) or _HEADER_TEXT.search(lab.text):
            continue
        if 0 <= ly0 - y1 <= height and min(lx1, x1) > max(lx0, x0) and ly1 - ly0 <= 1.5 * height:
            found.append(lab)
    return found


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


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part.upper() for part in re.split(r"(\d+)", text))
