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
from collections.abc import Sequence
from pathlib import Path

from patimg.collection import Collection
from patimg.ingest_report import IngestReport, UnitTally, attempt_unit, found_units, record_added
from patimg.reading import SheetReaders
from patimg.unit_ingest import ingest_unit
from patimg.vocabulary import Engine, Progress
from patimg.workspace import file_lock, private_work_dir, remove_abandoned_work


#: The progress stage of reading one publication's drawing images (``done``/``total`` are its images).
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
        workers: Readers at once. Local engine: processes (default ``PATIMG_WORKERS`` or one per core as memory
            allows; 1 reads in this process). Ray: actors (default one per CPU of the cluster). The collection is
            the same whatever the number.
        engine: ``"local"`` reads on this machine (with several workers, many publications' drawings at once,
            :mod:`patimg.ingest_ahead`); ``"ray"`` reads many publications' drawings at once on a Ray cluster.
            The collection is the same either way: this process alone writes it.
        ray_address: The Ray cluster (``host:port``, ``ray://host:port``, ``auto``); default: Ray is started on
            this machine for the run.
        progress: Optional ``progress(stage, done, total, item)`` callback: stage ``"ingest"`` per
            publication, ``"read sheets"`` per drawing image of the publication being read.

    Returns:
        What was added, skipped and what failed (each failure names its input and the problem).
    """
    from patimg.batches import iter_publications
    from patimg.engines import check_engine, open_readers

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
            if engine == "local" and readers.window_sheets == 1:
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
