"""What a publication unit's drawing images are called: which images count, in what order, and the ids of their
figures (``<patent>-<sheet>-f<k>``); and the patent record of a plain folder of images.

Every engine names figures here, before any image is read, so the same publication gets the same figure ids
whichever engine reads it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from patimg.collection import Collection
from patimg.reading import SheetJob
from patimg.types import DrawingRef, ParsedDocument, Patent


def folder_patent(unit, collection: Collection) -> Patent:
    """A patent record for a plain folder of images (no text).

    A folder's identity is its full path (for a ZIP member: the ZIP's full path and the member's path in
    it), kept as the patent's ``source``. Its id is ``FOLDER-<folder name>``, unless that id already belongs
    to another folder with the same name; then it is ``FOLDER-<folder name>-<first 8 hex digits of the
    SHA-256 of the full path>``. So ``a/scans`` and ``b/scans`` are two publications, and the same folder
    ingested again (its images changed) updates its own publication.
    """
    identity = _full_path(str(unit.source))
    name = Path(str(unit.source)).name or "images"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    patent_id = f"FOLDER-{safe}"
    try:
        holder = collection.patent(patent_id)
    except KeyError:
        holder = None
    if holder is not None and _full_path(holder.source) != identity:
        patent_id = f"{patent_id}-{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:8]}"
    return Patent(patent_id=patent_id, title=name, source=identity)


def _full_path(source: str) -> str:
    """``source`` with its file-system part made absolute: ``scans`` -> ``/home/me/scans``,
    ``x.zip!scans`` -> ``/home/me/x.zip!scans``."""
    head, bang, member = source.partition("!")
    if not head:
        return source
    return str(Path(head).resolve()) + bang + member


def drawing_refs(document: ParsedDocument | None, images: Sequence[Path]) -> list[tuple[Path, DrawingRef]]:
    """Pair each image file with what the XML says of it (sheet, figure, abstract), in document order."""
    by_name = {d.file.lower(): d for d in document.drawings} if document else {}
    default_kind = "sheet"
    if document is not None and document.patent.office == "EP":
        default_kind = "figure"
    pairs = []
    for image in images:
        ref = by_name.get(image.name.lower()) or DrawingRef(file=image.name, kind=default_kind)
        pairs.append((image, ref))
    order = {d.file.lower(): i for i, d in enumerate(document.drawings)} if document else {}
    pairs.sort(key=lambda pair: (order.get(pair[0].name.lower(), len(order)), pair[0].name))
    # USPTO's front-page drawing (-D00000) repeats one of the sheets: kept only when there is nothing else,
    # so that searches do not return every front-page figure twice.
    sheets = [pair for pair in pairs if not _is_front_page(pair[0])]
    return sheets or pairs


def _is_front_page(image: Path) -> bool:
    return image.stem.upper().endswith("-D00000")


def sheet_jobs(patent_id: str, drawings: Sequence[tuple[Path, DrawingRef]]) -> list[SheetJob]:
    """One :class:`~patimg.reading.SheetJob` per drawing image of a publication."""
    sheets = sheet_names([image_path.name for image_path, _ in drawings])
    return [
        SheetJob(path=image_path, ref=ref, patent_id=patent_id, sheet=sheets[image_path.name])
        for image_path, ref in drawings
    ]


def figure_id_for(*, patent_id: str, image_name: str, position: int) -> str:
    """Stable, file-name-safe figure id: ``<patent>-<sheet>-f<k>`` (``US12448249B2-D00003-f1``).

    A USPTO sheet contributes only its ``D0000n`` suffix (the rest repeats the patent), so ids stay short
    on the command line; any other image contributes its whole stem (``imgf0001``, ``scan-12``). Within one
    publication use :func:`sheet_names`, which keeps the ids of different images apart.
    """
    return f"{patent_id}-{_sheet_name(image_name)}-f{position}"


def _sheet_name(image_name: str) -> str:
    stem = Path(image_name).stem
    suffix = stem.rsplit("-", 1)[-1]
    sheet = suffix if re.fullmatch(r"D\d{5}", suffix) else stem
    return re.sub(r"[^A-Za-z0-9_-]+", "_", sheet) or "image"


def sheet_names(image_names: Sequence[str]) -> dict[str, str]:
    """The sheet part of the figure ids of one publication's images, by image name, one per image.

    Each image gets the part :func:`figure_id_for` would give it. Images whose parts would be equal
    (``fig 1.png`` and ``fig_1.png``; ``a.png`` and ``a.tif``) all get it followed by ``-`` and the first
    8 hex digits of the SHA-256 of their file name instead: deterministic, whatever the order of the images.
    """
    plain = {name: _sheet_name(name) for name in dict.fromkeys(image_names)}
    counts: dict[str, int] = {}
    for part in plain.values():
        counts[part] = counts.get(part, 0) + 1
    names: dict[str, str] = {}
    for name, part in plain.items():
        if counts[part] > 1:
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
            for width in range(8, len(digest) + 1):  # longer only if a file is named like another's id
                candidate = f"{part}-{digest[:width]}"
                if candidate not in counts and candidate not in names.values():
                    break
            part = candidate
        names[name] = part
    return names
