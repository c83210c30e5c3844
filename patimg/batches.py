"""The user's inputs one batch at a time, each archive unpacked only while its publications are used.

Plain files and folders come first (:func:`patimg.sources.plain_batch`), then each ZIP
(:func:`patimg.sources.unpacked_batch`) and each TAR member (:func:`patimg.bulk.iter_tar`), so disk use is
bounded by one archive however many a folder holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from patimg.bulk import iter_tar
from patimg.errors import BadInputError
from patimg.sources import PublicationUnit, is_tar, plain_batch, unpacked_batch
from patimg.vocabulary import Progress


def iter_publications(
    paths: Sequence[str | Path],
    *,
    work_dir: Path,
    is_stored: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[list[PublicationUnit], list[BadInputError]]]:
    """:func:`patimg.sources.find_publications` one batch at a time, deleting each archive's files when it is used.

    For each path, the first batch holds its plain files and folders; then each ZIP of it that is not
    inside another ZIP (the path itself, or one found in its folders) is one batch, unpacked under
    ``work_dir`` only when that batch is produced, and deleted when the caller asks for the next batch or
    closes the iterator (``contextlib.closing``), failed or not. So disk use is bounded by one archive
    (:data:`patimg.sources.MAX_EXTRACTED_BYTES`), however many ZIPs a folder holds. Units are not repeated across batches.
    A TAR is streamed by :func:`patimg.bulk.iter_tar`, one batch per member.

    Args:
        paths: As for :func:`patimg.sources.find_publications`, and TAR archives.
        work_dir: Where archives are unpacked.
        is_stored: ``is_stored(key)`` tells whether a unit is stored already. A TAR member all of whose
            units are stored is then not unpacked: its units are handed out without their files on disk,
            for the caller to skip (see :func:`patimg.bulk.iter_tar`).
        progress: Told how far into each TAR the reading is (stage :data:`patimg.bulk.PROGRESS_STAGE`).

    Yields:
        ``(units, errors)`` as :func:`patimg.sources.find_publications` returns them, for one batch; the units' files
        exist until the next batch is asked for.
    """
    seen: set[str] = set()
    for path in paths:
        units, errors, archives = plain_batch(
            Path(path), label=str(path), work_dir=Path(work_dir), seen_keys=seen
        )
        if units or errors:
            yield units, errors
        for archive, label in archives:
            if is_tar(archive):
                yield from iter_tar(
                    archive,
                    label=label,
                    work_dir=Path(work_dir),
                    seen_keys=seen,
                    is_stored=is_stored,
                    progress=progress,
                )
            else:
                yield from unpacked_batch(archive, label=label, work_dir=Path(work_dir), seen_keys=seen)
