"""A collection's ``work/`` folder: where ingest unpacks archives, and the locks that let several processes share
one collection (each run unpacks into a locked folder of its own; each publication unit is ingested under a
lock of its own; whatever a killed run left is removed by the next one)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

#: A folder or lock under ``work/`` whose lock is free and that is older than this was left by a killed run.
ABANDONED_AFTER_S = 60


@contextlib.contextmanager
def private_work_dir(work: Path) -> Iterator[Path]:
    """A folder of this run's own under ``work/`` for unpacked archives, deleted when the run ends.

    Its own, so that concurrent runs never unpack into (or delete) each other's folders; locked while in
    use, so that a later run can tell a folder left by a killed process (lock free) from one in use.
    """
    work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a file system without locks on folders: never seen as abandoned
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created), and delete the file when done.

    Each publication unit is ingested holding ``work/<unit key>.lock``: concurrent ingests of the same unit
    then run one after the other, and the later ones find it stored and skip it. The file is deleted by its
    holder; a waiter that then gets the lock of the deleted file sees that the path is no longer that file
    and locks again (the usual flock-and-unlink rule), so nothing is left and no two hold one path.
    """
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            held, now = os.fstat(fd), os.stat(path)
            if (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino):
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def remove_abandoned_work(work: Path) -> None:
    """Delete what killed ingest runs left under ``work/`` (their run folders and unit locks).

    Only entries whose lock nobody holds (a lock dies with its process) and that are older than
    :data:`ABANDONED_AFTER_S` (a run that has just made its folder may not hold its lock yet) are deleted.
    """
    try:
        entries = list(work.iterdir())
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith("run-") or entry.name.endswith(".lock")):
            continue
        try:
            if time.time() - entry.lstat().st_mtime < ABANDONED_AFTER_S:
                continue
            fd = os.open(entry, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # in use
        try:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        finally:
            os.close(fd)
