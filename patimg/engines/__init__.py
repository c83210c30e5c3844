"""What ingest and indexing run on: this machine (``local``) or a Ray cluster (``ray``).

The work is the same stage functions either way (:func:`patimg.reading.read_sheet` for ingest, the encoders'
``encode`` for indexing); an engine only says where they run. Nothing here imports Ray unless the Ray engine is
asked for, so ``import patimg`` and the local engine work without it (``pip install "patimg[ray]"`` adds it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from patimg.errors import BadInputError
from patimg.vocabulary import ENGINES


def check_engine(engine: str, ray_address: str | None) -> None:
    """Raise :class:`BadInputError` for an unknown engine, a Ray address given to the local engine (it would be
    ignored), or a Ray address where nothing answers: before anything is created or started."""
    if engine not in ENGINES:
        raise BadInputError(engine, f"unknown engine; choose one of {', '.join(ENGINES)}")
    if ray_address and engine != "ray":
        raise BadInputError(ray_address, "a Ray address needs --engine ray")
    if ray_address:
        from patimg.engines.ray_session import check_address_answers

        check_address_answers(ray_address)


@contextlib.contextmanager
def open_readers(engine: str, *, ocr: str, workers: int | None, ray_address: str | None) -> Iterator:
    """Readers of drawing sheets on ``engine``, each with ``read(jobs)`` giving the readings in job order.

    Args:
        engine: ``"local"`` (:class:`patimg.reading.SheetReaders`) or ``"ray"``
            (:class:`patimg.engines.ray_reading.RaySheetReaders`).
        ocr: OCR backend name.
        workers: Readers at once (processes, or Ray actors); default one per core (of the Ray cluster).
        ray_address: The Ray cluster to use; default a Ray started on this machine for as long as this lasts.

    Raises:
        BadInputError: Ray is not installed, or no cluster answers at ``ray_address`` (see :func:`check_engine`
            to say so before starting anything).
    """
    if engine == "local":
        from patimg.reading import SheetReaders

        with SheetReaders(ocr, workers=workers) as readers:
            yield readers
        return
    from patimg.engines.ray_reading import RaySheetReaders
    from patimg.engines.ray_session import ray_session
    from patimg.reading import READER_CORES

    # Each reader actor asks for READER_CORES CPUs: a Ray started here gets that many per actor asked for.
    with ray_session(ray_address, cpus=workers * READER_CORES if workers else None) as cluster:
        yield RaySheetReaders(ocr, actors=workers or max(1, cluster.cpus // READER_CORES))


@contextlib.contextmanager
def open_encoders(engine: str, *, ray_address: str | None, actors: int | None = None) -> Iterator:
    """Where indexing encodes: None for this process (``local``), else
    :class:`patimg.engines.ray_encoding.RayEncoders` on the Ray cluster, for as long as the ``with`` lasts."""
    if engine == "local":
        yield None
        return
    from patimg.engines.ray_encoding import RayEncoders
    from patimg.engines.ray_session import ray_session

    with ray_session(ray_address) as cluster:
        yield RayEncoders(cluster, actors=actors)
