"""What an ingest run reports: each publication unit added, skipped or failed (named), and how far the run is.

The engines' loops (:func:`patimg.ingest.ingest`, :func:`patimg.ingest_ahead.ingest_ahead`) share these, so a
failure reads the same whichever engine met it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from patimg.collection import Collection
from patimg.errors import BadInputError, PatImgError
from patimg.vocabulary import Progress

log = logging.getLogger("patimg.ingest")


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


@dataclass
class UnitTally:
    """How many publication units were found and how many taken up so far, for ``progress("ingest", ...)``."""

    progress: Progress | None
    found: int = 0
    done: int = 0

    def announce(self, unit) -> None:
        """Tell ``progress`` that ``unit`` is the one being ingested now."""
        if self.progress:
            self.progress("ingest", self.done, self.found, str(unit.source))
        self.done += 1


def found_units(batches, *, store: Collection, report: IngestReport, tally: UnitTally) -> Iterator:
    """The units of each batch in turn, its problems recorded first; a batch's files last until the next."""
    for units, problems in batches:
        for problem in problems:
            record_failure(store, report, problem.source, problem.problem)
        tally.found += len(units)
        yield from units


_Result = TypeVar("_Result")


def attempt_unit(
    unit, *, store: Collection, report: IngestReport, action: Callable[[], _Result]
) -> _Result | None:
    """``action()``, a step of ingesting ``unit``; when it fails, the failure is recorded under the unit's
    source and None returned (one bad publication must not stop the batch)."""
    try:
        return action()
    except PatImgError as error:
        source = error.source if isinstance(error, BadInputError) else str(unit.source)
        problem = error.problem if isinstance(error, BadInputError) else str(error)
        if source != str(unit.source):
            problem = f"{Path(source).name}: {problem}"
        record_failure(store, report, str(unit.source), problem)
    except Exception as error:  # noqa: BLE001 - one bad publication must not stop the batch
        log.exception("ingest of %s failed", unit.source)
        record_failure(store, report, str(unit.source), f"unexpected {type(error).__name__}: {error}")
    return None


def record_added(
    unit, result: tuple[str, int], image_problems: Sequence[str], *, store: Collection, report: IngestReport
) -> None:
    """Record a stored unit (``result`` is ``(patent_id, figures)``) and the images of it that failed."""
    for problem in image_problems:
        record_failure(store, report, str(unit.source), problem)
    patent_id, n_figures = result
    report.added.append(patent_id)
    report.figures += n_figures
    report.notes.extend((str(unit.source), note) for note in unit.notes)


def record_failure(store: Collection, report: IngestReport, source: str, problem: str) -> None:
    store.record_error(source=source, problem=problem)
    report.errors.append((source, problem))
