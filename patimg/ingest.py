"""Ingest: publications in, collection out.

For each publication unit found in the user's inputs: parse the XML, read every drawing (orientation, OCR,
split sheets into figures), link the reference signs read on each figure to the sentences that use them,
and store the publication in one transaction. A unit already stored is skipped, so an interrupted run is
resumed by running it again; a bad input is reported by name and the others go on.

Re-ingesting a publication that is already stored (the same publication number, or the same image folder)
updates it, and never drops figures silently: its bibliography and text are replaced; its stored figures are
replaced only when the new input brings drawings of its own, else they are kept and their reference signs
are linked again to the new sentences. A unit whose every drawing failed to load is a failure: nothing of it
is stored (no patent, no figure image, no mark that it was ingested), so fixing the file and running again
works.

Nothing of an input stays on disk but what the collection stores: archives are unpacked under the
collection's ``work/`` one at a time and deleted as soon as their publications are stored or have failed, and
uploads written by :func:`patimg.imports.ingest_uploads` are deleted after their import. Several processes may ingest into
one collection at once: each publication unit is ingested under a lock of its own, so the same ZIP given to
four processes is read once and the other three report it as skipped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patimg.collection import Collection
from patimg.errors import BadInputError
from patimg.fileio import atomic_write_bytes
from patimg.ingest_report import IngestReport, UnitTally, attempt_unit, found_units, record_added
from patimg.reading import SheetJob, SheetReaders, SheetReading, read_sheet
from patimg.sheet_naming import drawing_refs, folder_patent, sheet_jobs
from patimg.types import DrawingRef, Figure, Label, ParsedDocument, Patent, SignLink
from patimg.vocabulary import Engine, Progress
from patimg.workspace import file_lock, private_work_dir, remove_abandoned_work

log = logging.getLogger(__name__)

#: The progress stage of reading one publication's drawing images (``done``/``total`` are its images).
READ_STAGE = "read sheets"

"""``progress(stage, done, total, item)``: called before each unit and once at the end."""


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


def ingest(
    sources: Sequence[str | Path],
    *,
    collection: str | Path,
    ocr: str = "rapidocr",
    workers: int | None = None,
    engine: Engine = "local",
    ray_address: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest publications into a collection (created when absent).

    Args:
        sources: USPTO ZIPs, XML files, USPTO or EPO package folders, EPO package ZIPs, PDFs, folders of images,
            or folders holding any of those.
        collection: Collection folder.
        ocr: OCR backend name (``"rapidocr"`` offline default, ``"easyocr"`` reference).
        workers: Readers at once. Local engine: processes (default ``PATIMG_WORKERS`` or one per core; 1 reads
            in this process). Ray: actors (default one per CPU of the cluster). The collection is the same
            whatever the number.
        engine: ``"local"`` reads each publication's drawings on this machine; ``"ray"`` reads many
            publications' drawings at once on a Ray cluster (:mod:`patimg.ingest_ahead`). The collection is the
            same either way: this process alone writes it.
        ray_address: The Ray cluster (``host:port``, ``ray://host:port``, ``auto``); default: Ray is started on
            this machine for the run.
        progress: Optional ``progress(stage, done, total, item)`` callback: stage ``"ingest"`` per
            publication, ``"read sheets"`` per drawing image of the publication being read.

    Returns:
        What was added, skipped and what failed (each failure names its input and the problem).
    """
    from patimg.engines import check_engine, open_readers
    from patimg.sources import iter_publications

    check_engine(engine, ray_address)
    store = Collection.open_or_create(collection)
    store.require_writable("ingest into it")
    report = IngestReport()
    work = store.path / "work"
    remove_abandoned_work(work)
    tally = UnitTally(progress)
    engine_readers = open_readers(engine, ocr=ocr, workers=workers, ray_address=ray_address)
    with private_work_dir(work) as work_dir, engine_readers as readers:
        publications = iter_publications(
            [Path(s) for s in sources], work_dir=work_dir, is_stored=store.has_source, progress=progress
        )
        with contextlib.closing(publications) as batches:
            units = found_units(batches, store=store, report=report, tally=tally)
            if engine == "local":
                for unit in units:
                    tally.announce(unit)
                    with file_lock(work / f"{unit.key}.lock"):
                        _ingest_one(unit, store=store, report=report, readers=readers, progress=progress)
            else:
                from patimg.ingest_ahead import ingest_ahead

                ingest_ahead(units, store=store, report=report, readers=readers, tally=tally)
    if progress:
        progress("ingest", tally.done, tally.done, "")
    return report


def _ingest_one(
    unit, *, store: Collection, report: IngestReport, readers: SheetReaders, progress: Progress | None
) -> None:
    """Ingest one unit into ``report``: skipped when stored, else added or failed (never raises for input)."""
    if store.has_source(unit.key):
        report.skipped.append(str(unit.source))
        return
    image_problems: list[str] = []
    result = attempt_unit(
        unit,
        store=store,
        report=report,
        action=lambda: ingest_unit(
            unit, collection=store, readers=readers, problems=image_problems, progress=progress
        ),
    )
    if result is not None:
        record_added(unit, result, image_problems, store=store, report=report)
