"""The read stage of ingest: one drawing image in, its figures out, nothing written.

:func:`read_sheet` is the unit of work every engine runs — in this process, in a pool of worker processes
(:class:`SheetReaders`), or in Ray actors (:mod:`patimg.engines.ray_reading`): it loads a drawing, reads its text
upright, cuts it into figures, tells what each shows (:func:`patimg.figures.figure_kind`) and returns them as a
:class:`SheetReading` (PNG bytes, labels, the figure records), which pickles. Only the writer
(:mod:`patimg.ingest`) touches the collection, so every engine gives the same collection.

Reading is the slow part of ingest (seconds a sheet on a CPU, almost all of it the OCR networks), so sheets are
read in parallel, many publications' at once: one worker process per core as memory allows, each with its OCR
backend loaded once and its networks on two threads (a fixed count, so that every reader reads alike; processes beat one process
with many threads on the small inputs a recogniser gets, and keep the cores busy while a reader is in Python).
"""

from __future__ import annotations

import io
import os
import sys
import types
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from patimg.errors import BadInputError
from patimg.types import DrawingRef, Figure, Label


@dataclass(frozen=True)
class SheetJob:
    """One drawing image to read.

    Attributes:
        path: The image file.
        ref: What the publication says of it (kind, figure number).
        patent_id: Owning patent (figure ids start with it).
        sheet: The sheet part of its figure ids (:func:`patimg.sheet_naming.sheet_names`).
        data: The image file's bytes, when they travel with the job (:func:`with_image_bytes`); else the
            reader opens ``path``.
    """

    path: Path
    ref: DrawingRef
    patent_id: str
    sheet: str
    data: bytes | None = field(default=None, repr=False, compare=False)


def with_image_bytes(job: SheetJob) -> SheetJob:
    """``job`` carrying its image's bytes, for a reader that cannot open the file: a Ray worker on another
    machine, or one that reads after the archive the file came from was deleted. A file that cannot be read
    goes as it is, so that its reader reports why, as it would here."""
    if job.data is not None:
        return job
    try:
        return replace(job, data=job.path.read_bytes())
    except OSError:
        return job


@dataclass(frozen=True)
class FigureCrop:
    """One figure cut out of a drawing, ready to be stored.

    Attributes:
        figure: Its record (``image`` is where the PNG goes, relative to the collection).
        png: The figure image, PNG-encoded.
        labels: What was read on it, boxes on the figure image.
    """

    figure: Figure
    png: bytes
    labels: tuple[Label, ...]


@dataclass(frozen=True)
class SheetReading:
    """What reading one drawing image gave: its figures, or the problem that stopped it.

    Attributes:
        image_name: The image's file name.
        crops: Its figures, in caption order (empty when ``problem`` is set).
        problem: Why it could not be read (corrupt, not an image, too large, too small), else ``None``.
    """

    image_name: str
    crops: tuple[FigureCrop, ...] = ()
    problem: str | None = None


def _png_bytes(image) -> bytes:
    """A figure image as PNG bytes, fast for the black-and-white drawings most figures are."""
    histogram = image.histogram() if image.mode == "L" else None
    if histogram and not any(histogram[1:255]):
        import cv2
        import numpy as np

        # Black and white only: rows unfiltered and zlib's run-length strategy (OpenCV's encoder; Pillow always
        # tries its row filters): as small as Pillow's best (1% larger) in a third of the time, 9 ms a sheet of
        # pixels instead of 26.
        settings = (
            *(cv2.IMWRITE_PNG_COMPRESSION, 1),
            *(cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE),
            *(cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE),
        )
        encoded, png = cv2.imencode(".png", np.asarray(image), list(settings))
        if encoded:
            return png.tobytes()
    buffer = io.BytesIO()
    # Grey: zlib's run-length strategy, half the time of its default on drawings for files 8% larger;
    # ``optimize`` made them 10% smaller at 6x the time.
    image.save(buffer, format="PNG", compress_level=6, compress_type=zlib.Z_RLE)
    return buffer.getvalue()


def padded_box(size: tuple[int, int], box, *, margin: int = 12) -> tuple[int, int, int, int]:
    """The figure's box grown by a small white margin (strokes on the edge stay whole), clipped to the sheet."""
    width, height = size
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin)


def labels_on_crop(labels: Sequence[Label], origin: tuple[int, int]) -> tuple[Label, ...]:
    """Labels read on a sheet, their boxes moved onto a crop of it whose top-left corner is ``origin``."""
    x0, y0 = origin
    return tuple(
        Label(
            text=lab.text,
            kind=lab.kind,
            confidence=lab.confidence,
            box=(lab.box[0] - x0, lab.box[1] - y0, lab.box[2] - x0, lab.box[3] - y0),
        )
        for lab in labels
    )


def read_sheet(job: SheetJob, *, ocr) -> SheetReading:
    """Read one drawing image and cut it into figures (pure: nothing is written).

    Args:
        job: The image and what the publication says of it.
        ocr: OCR backend (``patimg.ocr.get_ocr``).

    Returns:
        The figures with their PNG bytes and labels, or the problem that made the image unreadable.
    """
    from patimg.figures import figure_kind, figures_from_drawing, load_drawing

    try:
        sheet = load_drawing(job.path if job.data is None else job.data, name=job.path.name)
        result = figures_from_drawing(sheet, ocr=ocr, kind=job.ref.kind, figure_num=job.ref.figure_num)
    except BadInputError as error:
        return SheetReading(image_name=job.path.name, problem=error.problem)
    crops = []
    for k, region in enumerate(result.regions, start=1):
        figure_id = f"{job.patent_id}-{job.sheet}-f{k}"
        x0, y0, x1, y1 = padded_box(result.image.size, region.box)
        image = result.image.crop((x0, y0, x1, y1))
        labels = labels_on_crop(region.labels, (x0, y0))  # labels are kept on the figure image
        figure = Figure(
            figure_id=figure_id,
            patent_id=job.patent_id,
            caption=region.caption,
            figure_num=region.figure_num or job.ref.figure_num,
            sheet=job.path.name,
            box=(x0, y0, x1, y1),
            rotation=result.rotation,
            image=f"figures/{figure_id}.png",
            split=getattr(region, "split", "single"),
            kind=figure_kind(image, labels),
        )
        crops.append(FigureCrop(figure=figure, png=_png_bytes(image), labels=labels))
    return SheetReading(image_name=job.path.name, crops=tuple(crops))


#: Cores per reader. One, though its OCR networks run on two threads (:data:`patimg.ocr.rapid.OPENVINO_THREADS`):
#: a reader spends about a third of a sheet in single-threaded Python. Measured on 2 cores, 42 sheets read after
#: the start: 2 readers 0.47 s a sheet, 1 reader 0.56 s.
READER_CORES = 1
#: Memory one reader may hold, bytes: its networks, and what OpenVINO compiles for the input shapes it keeps
#: (peak 1.4 GB over 247 real sheets of many sizes, ``benchmarks/reader_memory.py``). The default number of
#: readers fits the machine's memory; a Ray reader actor asks for this much.
READER_MEMORY = 2 * 2**30
#: Sheets a pool's :meth:`SheetReaders.read` is given at once, per worker.
SHEETS_PER_WORKER = 8


def default_workers() -> int:
    """Worker processes for reading: ``PATIMG_WORKERS`` when set, else one per :data:`READER_CORES` cores, as
    many as the machine's memory holds (:data:`READER_MEMORY` each)."""
    configured = os.environ.get("PATIMG_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    by_cores = (os.cpu_count() or 1) // READER_CORES
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not on every OS
        return max(1, by_cores)
    return max(1, min(by_cores, memory // READER_MEMORY))


# The backend of a worker process, loaded once by the pool's initializer.
_worker_ocr = None


def reader_ocr(ocr_name: str, threads: int):
    """The OCR backend of one reader among several: its ONNX Runtime limited to ``threads`` (its share of the
    cores), where the backend has such a limit. OpenCV in this process runs on one thread: its calls on a
    reader's images are small (crops, one sheet's components), and splitting them over threads that the other
    readers keep busy cost 15% more CPU for the image work around the networks (0.147 CPU-s a sheet on one
    thread, 0.161-0.171 on two)."""
    import cv2

    from patimg.ocr import get_ocr

    cv2.setNumThreads(1)
    options = {"threads": threads} if ocr_name == "rapidocr" else {}
    return get_ocr(ocr_name, **options)


def _start_worker(ocr_name: str, threads: int) -> None:
    global _worker_ocr
    _worker_ocr = reader_ocr(ocr_name, threads)


def _read_in_worker(job: SheetJob) -> SheetReading:
    return read_sheet(job, ocr=_worker_ocr)


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start worker processes without the parent's ``__main__``.

    A spawned worker runs the parent's main script again unless it is a module; under Streamlit that script is
    the page itself, which must not run in a worker (it would start a pool of its own). The workers need
    nothing of it: what they run lives in this module. Workers are started inside ``submit``, so that is
    where the main module is hidden.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class SheetReaders:
    """Reads drawing images in this process (``workers=1``) or in a pool of worker processes.

    Args:
        ocr: OCR backend name.
        workers: Processes reading at once (default :func:`default_workers`); 1 reads in this process.

    Use as a context manager; :meth:`submit` returns a future per image, :meth:`close` stops the pool.
    """

    def __init__(self, ocr: str = "rapidocr", *, workers: int | None = None) -> None:
        self.ocr = ocr
        self.workers = workers or default_workers()
        # Sheets to give read() at once (patimg.ingest_ahead): many publications' for a pool, so that no worker
        # waits at the end of each publication (16 workers on 10-sheet publications would idle a third of the
        # time); one publication when reading in this process.
        self.window_sheets = 1 if self.workers == 1 else SHEETS_PER_WORKER * self.workers
        self._pool = None
        self._local_ocr = None

    def __enter__(self) -> SheetReaders:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit(self, job: SheetJob) -> Future:
        """Start reading ``job``; the future's result is its :class:`SheetReading`."""
        if self.workers == 1:
            future: Future = Future()
            try:
                future.set_result(read_sheet(job, ocr=self._ocr_here()))
            except BaseException as error:  # noqa: BLE001 - handed to the caller through the future
                if not isinstance(error, Exception):
                    raise
                future.set_exception(error)
            return future
        with _main_module_hidden():
            return self._worker_pool().submit(_read_in_worker, job)

    def read(self, jobs: Sequence[SheetJob]) -> Iterator[SheetReading]:
        """Readings of ``jobs`` in their order (read in parallel when there are workers)."""
        if self.workers == 1:  # one at a time, so that a caller's progress moves with each
            for job in jobs:
                yield read_sheet(job, ocr=self._ocr_here())
            return
        futures = [self.submit(job) for job in jobs]
        for future in futures:
            yield future.result()

    def _ocr_here(self):
        if self._local_ocr is None:
            from patimg.ocr import get_ocr

            self._local_ocr = get_ocr(self.ocr)
        return self._local_ocr

    def _worker_pool(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            threads = max(1, (os.cpu_count() or 1) // self.workers)
            # spawn: a fresh interpreter per worker (no inherited ONNX/torch thread state, same on every OS).
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.ocr, threads),
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker processes (pending reads are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
