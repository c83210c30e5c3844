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
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patimg.collection import Collection
from patimg.errors import BadInputError, PatImgError
from patimg.fileio import atomic_write_bytes
from patimg.reading import SheetJob, SheetReaders, SheetReading, read_sheet
from patimg.types import DrawingRef, Figure, Label, ParsedDocument, Patent, SignLink
from patimg.vocabulary import Progress
from patimg.workspace import file_lock, private_work_dir, remove_abandoned_work

log = logging.getLogger(__name__)

#: The progress stage of reading one publication's drawing images (``done``/``total`` are its images).
READ_STAGE = "read sheets"

"""``progress(stage, done, total, item)``: called before each unit and once at the end."""


@dataclass
class IngestReport:
    """What one ingest run did.

    Attributes:
        added: Patent ids stored by this run.
        skipped: Sources skipped because they were already ingested.
        errors: ``(source, problem)`` for each input that failed.
        figures: Figures stored by this run.
        notes: ``(source, note)`` for inputs ingested with a limit the user should know of (a PDF without
            a text layer: its figures have no links).
    """

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    figures: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "skipped": self.skipped,
            "figures": self.figures,
            "errors": [{"source": s, "problem": p} for s, p in self.errors],
            "notes": [{"source": s, "note": n} for s, n in self.notes],
        }


def _folder_patent(unit, collection: Collection) -> Patent:
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
    futures = [readers.submit(job) for job in jobs] if readers is not None else None
    readings = []
    for i, job in enumerate(jobs):
        if progress:
            progress(READ_STAGE, i, len(jobs), job.path.name)
        readings.append(futures[i].result() if futures is not None else read_sheet(job, ocr=ocr))
    if progress and jobs:
        progress(READ_STAGE, len(jobs), len(jobs), source)
    return readings


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

    The rule for a publication that is already stored: its bibliography and text are replaced by the
    unit's; its figures are replaced only when the unit brings drawings, else the stored figures are kept
    and their reference signs are linked again to the new sentences (a full-text XML never wipes figures).
    A unit with images none of which can be read stores nothing and raises.

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
    document = unit.read_document()
    patent = document.patent if document else _folder_patent(unit, collection)
    if not unit.images:
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
    jobs = sheet_jobs(patent.patent_id, drawing_refs(document, unit.images))
    readings = read_sheets(jobs, ocr=ocr, readers=readers, progress=progress, source=str(unit.source))
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
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest publications into a collection (created when absent).

    Args:
        sources: USPTO ZIPs, XML files, USPTO or EPO package folders, EPO package ZIPs, PDFs, folders of images,
            or folders holding any of those.
        collection: Collection folder.
        ocr: OCR backend name (``"rapidocr"`` offline default, ``"easyocr"`` reference).
        workers: Processes reading drawings in parallel (default: ``PATIMG_WORKERS`` or one per core; 1 reads
            in this process). The collection is the same whatever the number.
        progress: Optional ``progress(stage, done, total, item)`` callback: stage ``"ingest"`` per
            publication, ``"read sheets"`` per drawing image of the publication being read.

    Returns:
        What was added, skipped and what failed (each failure names its input and the problem).
    """
    from patimg.sources import iter_publications

    store = Collection.open_or_create(collection)
    store.require_writable("ingest into it")
    report = IngestReport()
    work = store.path / "work"
    remove_abandoned_work(work)
    done = found = 0
    with private_work_dir(work) as work_dir, SheetReaders(ocr, workers=workers) as readers:
        found_units = iter_publications(
            [Path(s) for s in sources], work_dir=work_dir, is_stored=store.has_source, progress=progress
        )
        with contextlib.closing(found_units) as batches:
            for units, problems in batches:
                for problem in problems:
                    _record(store, report, problem.source, problem.problem)
                found += len(units)
                for unit in units:
                    if progress:
                        progress("ingest", done, found, str(unit.source))
                    done += 1
                    with file_lock(work / f"{unit.key}.lock"):
                        _ingest_one(unit, store=store, report=report, readers=readers, progress=progress)
    if progress:
        progress("ingest", done, done, "")
    return report


def _ingest_one(
    unit, *, store: Collection, report: IngestReport, readers: SheetReaders, progress: Progress | None
) -> None:
    """Ingest one unit into ``report``: skipped when stored, else added or failed (never raises for input)."""
    if store.has_source(unit.key):
        report.skipped.append(str(unit.source))
        return
    try:
        image_problems: list[str] = []
        patent_id, n_figures = ingest_unit(
            unit, collection=store, readers=readers, problems=image_problems, progress=progress
        )
        for problem in image_problems:
            _record(store, report, str(unit.source), problem)
    except PatImgError as error:
        source = error.source if isinstance(error, BadInputError) else str(unit.source)
        problem = error.problem if isinstance(error, BadInputError) else str(error)
        if source != str(unit.source):
            problem = f"{Path(source).name}: {problem}"
        _record(store, report, str(unit.source), problem)
        return
    except Exception as error:  # noqa: BLE001 - one bad publication must not stop the batch
        log.exception("ingest of %s failed", unit.source)
        _record(store, report, str(unit.source), f"unexpected {type(error).__name__}: {error}")
        return
    report.added.append(patent_id)
    report.figures += n_figures
    report.notes.extend((str(unit.source), note) for note in unit.notes)


def _record(store: Collection, report: IngestReport, source: str, problem: str) -> None:
    store.record_error(source=source, problem=problem)
    report.errors.append((source, problem))
