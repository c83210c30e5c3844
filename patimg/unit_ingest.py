"""One publication unit read, linked and stored: the steps :func:`patimg.ingest.ingest` runs per unit.

:func:`plan_unit` parses the unit and names its drawing images, :func:`read_sheets` reads them (here, in
worker processes or, through :mod:`patimg.ingest_ahead`, on a Ray cluster), :func:`store_readings` links the
reference signs read to the sentences that use them and writes the publication in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patimg.collection import Collection
from patimg.errors import BadInputError
from patimg.fileio import atomic_write_bytes
from patimg.reading import SheetJob, SheetReaders, SheetReading, read_sheet
from patimg.sheet_naming import drawing_refs, folder_patent, sheet_jobs
from patimg.types import DrawingRef, Figure, Label, ParsedDocument, Patent, SignLink
from patimg.vocabulary import Progress

log = logging.getLogger(__name__)

READ_STAGE = "read sheets"


def read_sheets(
    jobs: Sequence[SheetJob],
    *,
    ocr=None,
    readers: SheetReaders | None = None,
    progress: Progress | None = None,
    source: str = "",
) -> list[SheetReading]:
    """Read a publication's drawing images, with ``ocr`` here or with ``readers`` (in parallel).

    ``progress("read sheets", done, total, "<image name>")`` is called before each image, so a
    publication of many sheets is seen to move.
    """
    readings = readers.read(jobs) if readers is not None else (read_sheet(job, ocr=ocr) for job in jobs)
    return collect_readings(jobs, iter(readings), progress=progress, source=source)


def collect_readings(
    jobs: Sequence[SheetJob], readings: Iterator[SheetReading], *, progress: Progress | None, source: str
) -> list[SheetReading]:
    """The next ``len(jobs)`` readings of ``readings`` (those of ``jobs``, in their order), calling
    ``progress("read sheets", ...)`` before each image and once when all are read."""
    collected = []
    for i, job in enumerate(jobs):
        if progress:
            progress(READ_STAGE, i, len(jobs), job.path.name)
        collected.append(next(readings))
    if progress and jobs:
        progress(READ_STAGE, len(jobs), len(jobs), source)
    return collected


def write_figures(
    collection: Collection, readings: Sequence[SheetReading], *, problems: list[str] | None = None
) -> tuple[list[Figure], dict[str, list[Label]]]:
    """Write the figure images of ``readings`` under ``figures/``; the figures and their labels.

    An unreadable image is described in ``problems`` when a list is given, else its problem is raised.
    When this raises, the images no stored figure uses are removed again.
    """
    figures: list[Figure] = []
    labels: dict[str, list[Label]] = {}
    try:
        for reading in readings:
            if reading.problem is not None:
                if problems is None:
                    raise BadInputError(reading.image_name, reading.problem)
                problems.append(f"{reading.image_name}: {reading.problem}")
                continue
            for crop in reading.crops:
                atomic_write_bytes(collection.path / crop.figure.image, crop.png)
                figures.append(crop.figure)
                labels[crop.figure.figure_id] = list(crop.labels)
    except BaseException:
        discard_unstored_images(collection, figures)
        raise
    return figures, labels


def read_figures(
    *,
    collection: Collection,
    patent_id: str,
    drawings: Sequence[tuple[Path, DrawingRef]],
    ocr,
    problems: list[str] | None = None,
) -> tuple[list[Figure], dict[str, list[Label]]]:
    """Turn a publication's drawing images into stored figures with the text read on each.

    An unreadable image (corrupt, not an image, too large, too small to read) is skipped and described in
    ``problems`` when a list is given (the rest of the publication is still stored), else its error is
    raised. When this raises, the figure images no stored figure uses are removed again.

    Args:
        collection: Where figure images are written.
        patent_id: Owning patent.
        drawings: Image files with what the XML says of them.
        ocr: OCR backend (``patimg.ocr.get_ocr``).
        problems: Collects ``"<image>: <problem>"`` for images that could not be read.

    Returns:
        The figures and, by figure id, the labels read on each (boxes on the figure image).
    """
    readings = read_sheets(sheet_jobs(patent_id, drawings), ocr=ocr)
    return write_figures(collection, readings, problems=problems)


def discard_unstored_images(collection: Collection, figures: Sequence[Figure]) -> None:
    """Delete the images of ``figures`` that no stored figure uses (after a failed ingest)."""
    try:
        stored = {f.image for f in collection.figure_records(figures[0].patent_id)} if figures else set()
    except Exception:  # noqa: BLE001 - an unreadable store: keep every file rather than guess
        log.warning("could not check which figure images are stored; none removed", exc_info=True)
        return
    for figure in figures:
        if figure.image not in stored:
            (collection.path / figure.image).unlink(missing_ok=True)


def link_figures(
    *, document: ParsedDocument | None, figures: Sequence[Figure], labels: dict[str, list[Label]]
) -> list[SignLink]:
    """Link each figure's reference signs to the sentences of its patent (unlinked signs kept)."""
    from patimg.linking import build_mention_index, link_numerals_to_sentences

    sentences = document.sentences if document else ()
    mention_index = build_mention_index(sentences)  # once per patent, shared by its figures
    links: list[SignLink] = []
    for figure in figures:
        signs = list(
            dict.fromkeys(lab.text for lab in labels.get(figure.figure_id, ()) if lab.kind == "reference")
        )
        links.extend(
            link_numerals_to_sentences(
                figure_id=figure.figure_id, signs=signs, sentences=sentences, index=mention_index
            )
        )
    return links


@dataclass(frozen=True)
class UnitPlan:
    """A publication unit ready to be read: its text parsed, its patent named, one job per drawing image.

    Attributes:
        unit: The :class:`patimg.sources.PublicationUnit`.
        document: Its parsed text (None for a folder of images).
        patent: Its patent record (figure ids start with its id).
        jobs: One job per drawing image, in document order (none when the unit brings no images).
    """

    unit: Any
    document: ParsedDocument | None
    patent: Patent
    jobs: tuple[SheetJob, ...]


def plan_unit(unit, *, collection: Collection) -> UnitPlan:
    """Parse a unit's text and name its patent and figures (nothing is read or written yet).

    Raises:
        PatImgError: The unit's XML is unusable.
    """
    document = unit.read_document()
    patent = document.patent if document else folder_patent(unit, collection)
    jobs = sheet_jobs(patent.patent_id, drawing_refs(document, unit.images)) if unit.images else []
    return UnitPlan(unit=unit, document=document, patent=patent, jobs=tuple(jobs))


def ingest_unit(
    unit,
    *,
    collection: Collection,
    ocr=None,
    readers: SheetReaders | None = None,
    problems: list[str] | None = None,
    progress: Progress | None = None,
) -> tuple[str, int]:
    """Ingest one publication unit; returns ``(patent_id, number of figures it stored)``.

    :func:`plan_unit`, :func:`read_sheets`, then :func:`store_readings`.

    Args:
        unit: A :class:`patimg.sources.PublicationUnit`.
        collection: Where it is stored.
        ocr: OCR backend, reading here (when ``readers`` is None).
        readers: Worker processes reading the drawings in parallel.
        progress: ``progress("read sheets", done, total, item)`` per drawing image.
        problems: Collects images that could not be read (the rest is stored); ``None`` raises instead.

    Raises:
        PatImgError: The unit's XML is unusable, or none of its images could be read (or one image, when
            ``problems`` is None).
    """
    plan = plan_unit(unit, collection=collection)
    readings = read_sheets(plan.jobs, ocr=ocr, readers=readers, progress=progress, source=str(unit.source))
    return store_readings(plan, readings, collection=collection, problems=problems)


def store_readings(
    plan: UnitPlan,
    readings: Sequence[SheetReading],
    *,
    collection: Collection,
    problems: list[str] | None = None,
) -> tuple[str, int]:
    """Store a planned unit with the readings of its jobs; returns ``(patent_id, number of figures stored)``.

    The rule for a publication that is already stored: its bibliography and text are replaced by the
    unit's; its figures are replaced only when the unit brings drawings, else the stored figures are kept
    and their reference signs are linked again to the new sentences (a full-text XML never wipes figures).
    A unit with images none of which can be read stores nothing and raises.

    Args:
        plan: The unit as :func:`plan_unit` planned it.
        readings: The readings of ``plan.jobs``, in their order.
        collection: Where it is stored.
        problems: Collects images that could not be read (the rest is stored); ``None`` raises instead.

    Raises:
        PatImgError: None of its images could be read (or one image, when ``problems`` is None).
    """
    unit, document, patent = plan.unit, plan.document, plan.patent
    if not plan.jobs:
        kept = collection.figure_records(patent.patent_id)
        kept_labels = {f.figure_id: collection.labels(f.figure_id) for f in kept}
        _store_unit(
            collection,
            unit,
            patent,
            document,
            None,
            {},
            link_figures(document=document, figures=kept, labels=kept_labels),
        )
        return patent.patent_id, 0  # the kept figures were stored by an earlier run
    unreadable: list[str] = []
    figures, labels = write_figures(collection, readings, problems=unreadable)
    if not figures:
        found = f"no drawing could be read ({'; '.join(unreadable)})" if unreadable else "no figure found"
        raise BadInputError(str(unit.source), found)
    if unreadable and problems is None:
        discard_unstored_images(collection, figures)
        raise BadInputError(str(unit.source), "; ".join(unreadable))
    try:
        links = link_figures(document=document, figures=figures, labels=labels)
        _store_unit(collection, unit, patent, document, figures, labels, links)
    except BaseException:
        discard_unstored_images(collection, figures)
        raise
    if problems is not None:
        problems.extend(unreadable)
    return patent.patent_id, len(figures)


def _store_unit(collection: Collection, unit, patent: Patent, document, figures, labels, links) -> None:
    """One publication unit into the collection, in its one transaction (``figures=None`` keeps the stored ones)."""
    collection.write_publication(
        source_key=unit.key,
        source=str(unit.source),
        source_kind=unit.kind,
        patent=patent,
        sentences=document.sentences if document else (),
        figure_descriptions=document.figure_descriptions if document else {},
        figures=figures,
        labels=labels,
        links=links,
    )
