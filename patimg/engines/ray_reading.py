"""Reading drawing sheets on Ray: Ray Data ``map_batches`` over the sheets, the OCR in actors.

:meth:`RaySheetReaders.read` puts each sheet's job in a row, with the image's bytes (a worker on another machine
cannot open this machine's files), and maps the rows through :class:`SheetReaderActor`: a pool of actors, one CPU
each, each loading its OCR backend once and calling :func:`patimg.reading.read_sheet` on one sheet at a time, the
stage function the local engine calls. The readings come back to this process, which alone writes the
collection, so the collection is the one the local engine makes.

A Ray Data run starts its actors (a Python process each, and the OCR models) before the first sheet is read:
seconds, so :func:`patimg.ingest_ahead.ingest_ahead` gives it many publications' sheets at a time
(:attr:`RaySheetReaders.window_sheets`).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence

from patimg.reading import (
    READER_CORES,
    READER_MEMORY,
    SheetJob,
    SheetReading,
    read_sheet,
    reader_ocr,
    with_image_bytes,
)

#: Sheets handed to one Ray Data run, per actor: enough that starting the actors is a small part of the run.
SHEETS_PER_ACTOR = 32
#: Fewest sheets handed to one run.
MIN_WINDOW_SHEETS = 64


class SheetReaderActor:
    """A Ray Data actor reading sheets: the OCR backend is loaded once, then each batch's sheets are read.

    Rows carry a job (pickled :class:`~patimg.reading.SheetJob` with its image's bytes) and its position;
    the actor returns the pickled :class:`~patimg.reading.SheetReading` at the same position. The backend is
    a class attribute (:func:`reader_actor`), not a constructor argument, which Ray would keep in its object
    store for restarts and warn about.
    """

    ocr_name = "rapidocr"

    def __init__(self) -> None:
        self.ocr = reader_ocr(self.ocr_name, threads=1)  # one CPU per actor

    def __call__(self, batch: dict) -> dict:
        readings = [pickle.dumps(read_sheet(pickle.loads(job), ocr=self.ocr)) for job in batch["job"]]
        return {"position": batch["position"], "reading": readings}


def reader_actor(ocr_name: str) -> type[SheetReaderActor]:
    """The actor class reading with the OCR backend ``ocr_name``."""
    return type(SheetReaderActor.__name__, (SheetReaderActor,), {"ocr_name": ocr_name})


class RaySheetReaders:
    """Reads drawing images on the Ray cluster this process is connected to (:func:`ray_session`).

    Args:
        ocr: OCR backend name.
        actors: Reader actors at once (:data:`patimg.reading.READER_CORES` CPUs each).
    """

    def __init__(self, ocr: str, *, actors: int) -> None:
        self.ocr = ocr
        self.actors = max(1, actors)

    @property
    def window_sheets(self) -> int:
        """How many sheets to give :meth:`read` at once."""
        return max(MIN_WINDOW_SHEETS, SHEETS_PER_ACTOR * self.actors)

    def read(self, jobs: Sequence[SheetJob]) -> Iterator[SheetReading]:
        """Readings of ``jobs`` in their order, each given as soon as it and those before it are read."""
        import ray.data

        if not jobs:
            return
        rows = [
            {"position": position, "job": pickle.dumps(with_image_bytes(job))}
            for position, job in enumerate(jobs)
        ]
        # One row per block: a block is read by one actor, so fewer blocks would leave actors idle.
        readings = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            reader_actor(self.ocr),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(rows))),
            num_cpus=READER_CORES,
            memory=READER_MEMORY,
        )
        early: dict[int, SheetReading] = {}  # read before a sheet ahead of them
        next_position = 0
        for row in readings.iter_rows():
            early[int(row["position"])] = pickle.loads(row["reading"])
            while next_position in early:
                yield early.pop(next_position)
                next_position += 1
