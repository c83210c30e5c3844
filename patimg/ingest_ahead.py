"""Ingest reading ahead: many publications' drawings read in one pass of the engine, stored one by one in order.

The Ray engine starts its readers for each pass (:mod:`patimg.engines.ray_reading`), so one publication at a
time would spend more time starting than reading; a local pool of workers would wait at the end of each
publication for its last sheet. Here publication units are planned (:func:`plan_unit`: text
parsed, figures named, each image's bytes taken, so an archive's files may be deleted once its batch is
planned) until a window holds ``readers.window_sheets`` sheets; the engine then reads the whole window, and each
unit is stored, in order, as soon as its readings are in, by this process alone, with the same functions as the
local engine: the collection is the same.

Two rules keep it so. A unit is checked and stored under its lock (another process may have stored it while it
was read: then it is skipped). A unit whose patent id is in the window already (two folders of the same name,
one publication given twice) waits for the window to be stored: its id, and what it replaces, depend on what is
stored before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from patimg.collection import Collection
from patimg.ingest_report import IngestReport, UnitTally, attempt_unit, record_added
from patimg.reading import SheetReading, with_image_bytes
from patimg.unit_ingest import UnitPlan, collect_readings, plan_unit, store_readings
from patimg.workspace import file_lock


@dataclass
class _Waiting:
    """A unit in the window: planned, already stored (skipped), or failed while planned (recorded)."""

    unit: object
    plan: UnitPlan | None = None
    stored_already: bool = False


def ingest_ahead(
    units: Iterable, *, store: Collection, report: IngestReport, readers, tally: UnitTally
) -> None:
    """Ingest ``units`` into ``store``, reading their drawings a window at a time with ``readers``.

    Args:
        units: Publication units, in order (each batch's files last until the next batch is asked for).
        store: The collection.
        report: Gets each unit added, skipped or failed.
        readers: The engine's readers (``read(jobs)`` in job order, ``window_sheets``).
        tally: Progress per unit (``"ingest"``); the readings give it per sheet (``"read sheets"``).
    """
    window: list[_Waiting] = []
    for unit in units:
        waiting = _planned(unit, store=store, report=report)
        if waiting.plan is not None and _in_window(waiting.plan.patent.patent_id, window):
            _store_window(window, store=store, report=report, readers=readers, tally=tally)
            window = []
            waiting = _planned(unit, store=store, report=report)
        window.append(waiting)
        if sum(len(w.plan.jobs) for w in window if w.plan) >= readers.window_sheets:
            _store_window(window, store=store, report=report, readers=readers, tally=tally)
            window = []
    _store_window(window, store=store, report=report, readers=readers, tally=tally)


def _planned(unit, *, store: Collection, report: IngestReport) -> _Waiting:
    if store.has_source(unit.key):
        return _Waiting(unit, stored_already=True)
    plan = attempt_unit(unit, store=store, report=report, action=lambda: plan_unit(unit, collection=store))
    if plan is not None:  # the bytes now: the unit's files go when its batch is done with, before it is read
        plan = replace(plan, jobs=tuple(with_image_bytes(job) for job in plan.jobs))
    return _Waiting(unit, plan=plan)


def _in_window(patent_id: str, window: list[_Waiting]) -> bool:
    return any(w.plan is not None and w.plan.patent.patent_id == patent_id for w in window)


def _store_window(
    window: list[_Waiting], *, store: Collection, report: IngestReport, readers, tally: UnitTally
) -> None:
    """Read the window's sheets in one pass of ``readers`` and store each unit as its readings come in."""
    jobs = [job for w in window if w.plan is not None for job in w.plan.jobs]
    readings: Iterator[SheetReading] = iter(readers.read(jobs) if jobs else ())
    for position, waiting in enumerate(window):
        tally.announce(waiting.unit)
        if waiting.stored_already:
            report.skipped.append(str(waiting.unit.source))
        elif waiting.plan is not None and not _store_unit(
            waiting.unit, waiting.plan, readings, store=store, report=report, tally=tally
        ):  # the engine failed (recorded for this unit) and its pass ended: the rest is read again
            _store_window(window[position + 1 :], store=store, report=report, readers=readers, tally=tally)
            return


def _store_unit(
    unit, plan: UnitPlan, readings: Iterator[SheetReading], *, store: Collection, report: IngestReport, tally
) -> bool:
    """Take the unit's readings off ``readings`` and store it; False when the readings failed to come."""
    source = str(unit.source)
    collected = attempt_unit(
        unit,
        store=store,
        report=report,
        action=lambda: collect_readings(plan.jobs, readings, progress=tally.progress, source=source),
    )
    if collected is None:
        return False
    with file_lock(store.path / "work" / f"{unit.key}.lock"):
        if store.has_source(unit.key):  # another process stored it while it was read here
            report.skipped.append(source)
            return True
        image_problems: list[str] = []
        result = attempt_unit(
            unit,
            store=store,
            report=report,
            action=lambda: store_readings(plan, collected, collection=store, problems=image_problems),
        )
    if result is not None:
        record_added(unit, result, image_problems, store=store, report=report)
    return True
