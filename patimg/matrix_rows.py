"""Large ``(n, d)`` matrices a batch of rows at a time: read from memory maps, written to ``.npy`` files.

Ten million 512-d float32 vectors are 20 GB, most of this project's machine's RAM, so building an index over
them must never hold them whole. These helpers read a matrix (an array, or a memory map of a vector store's
``.npy``) a batch at a time as contiguous rows of the wanted type, and write ``.npy`` files the same way.

Reading a memory map makes its pages part of the reading process's resident set, and they stay there until the
kernel needs the memory: a pass over a 20 GB file would show a 20 GB process although it holds no more than a
batch of its own. After each batch the pages just read are therefore handed back (``madvise(MADV_DONTNEED)``:
they stay in the page cache, so a second pass is as fast, but leave the process), which keeps the resident set
(and ``ru_maxrss``) a measure of what the process itself needs. Files are written with plain writes rather than
through a writable memory map for the same reason: written pages then belong to the page cache, not the writer.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: Rows read or written at a time (256 MB of 512-d float32).
ROW_BATCH = 131_072


def row_batches(
    matrix: Any, *, batch: int | None = None, dtype: Any = np.float32
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, rows)`` of ``matrix``, ``batch`` rows (default :data:`ROW_BATCH`) at
    a time, each a C-contiguous ``dtype`` array (a view when the matrix already is one, else a copy of the
    batch alone).

    The pages of a memory-mapped ``matrix`` are released once the caller has used a batch (see the module
    docstring), so use each batch before asking for the next.
    """
    batch = batch or ROW_BATCH
    for first in range(0, len(matrix), batch):
        rows = np.ascontiguousarray(matrix[first : first + batch], dtype=dtype)
        yield first, rows
        release_pages(matrix, first, first + len(rows))


#: Rows of a sample read at a time: sparse rows of a large file map a page-cache folio each (up to megabytes on
#: a kernel with large folios), so the pages are released every few thousand rows.
SAMPLE_BATCH = 4096


def take_rows(matrix: Any, rows: np.ndarray, *, dtype: Any = np.float32) -> np.ndarray:
    """``matrix[rows]`` (sorted row numbers) as a new ``dtype`` array, the pages read released as it goes."""
    out = np.empty((len(rows), matrix.shape[1]), dtype)
    for at in range(0, len(rows), SAMPLE_BATCH):
        chunk = rows[at : at + SAMPLE_BATCH]
        out[at : at + len(chunk)] = matrix[chunk]
        if len(chunk):
            release_pages(matrix, int(chunk[0]), int(chunk[-1]) + 1)
    return out


def _shared_mapping(array: Any) -> mmap.mmap | None:
    """The shared file mapping ``array`` is a view of, or None (not a memory map, or a private copy-on-write
    one, whose written pages releasing would lose)."""
    base = array
    while base is not None:
        if isinstance(base, np.memmap):
            mapping = getattr(base, "_mmap", None)
            return mapping if isinstance(mapping, mmap.mmap) and base.mode != "c" else None
        base = getattr(base, "base", None)
    return None


def release_pages(matrix: Any, first: int, stop: int) -> None:
    """Drop rows ``first:stop`` of a memory-mapped ``matrix`` from this process's resident set (a no-op for
    anything else, or where the system cannot). Later reads fault them back in from the page cache."""
    mapping = _shared_mapping(matrix)
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if mapping is None or advice is None or stop <= first or not isinstance(matrix, np.ndarray):
        return
    if not matrix.flags.c_contiguous:
        return
    try:
        base_address = np.frombuffer(mapping, np.uint8).__array_interface__["data"][0]
    except (TypeError, ValueError):  # a closed or empty mapping
        return
    row_bytes = matrix.strides[0]
    offset = matrix.__array_interface__["data"][0] - base_address + first * row_bytes
    begin = offset // mmap.PAGESIZE * mmap.PAGESIZE
    end = offset + (stop - first) * row_bytes
    if 0 <= begin < len(mapping):
        try:
            mapping.madvise(advice, begin, min(end, len(mapping)) - begin)
        except OSError:
            pass


class NpyRowReader:
    """Rows of a 2-D ``.npy`` file read with plain reads, not a memory map: ``reader[rows]`` is an array of those
    rows. For a pass that reads scattered rows of a large file once (the build's tuning re-ranks a few hundred
    thousand): a mapping would keep each page-cache folio it touched in the resident set.
    """

    def __init__(self, path: str | Path) -> None:
        mapped = np.load(path, mmap_mode="r")  # for the header only: shape, type, where the rows start
        self.shape, self.dtype, self._offset = mapped.shape, mapped.dtype, mapped.offset
        del mapped
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> np.ndarray:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        out = np.empty((len(rows), self.shape[1]), self.dtype)
        buffer = memoryview(out).cast("B")
        size = self._row_bytes
        for at, row in enumerate(rows.tolist()):
            os.preadv(self._fd, [buffer[at * size : (at + 1) * size]], self._offset + row * size)
        return out

    def close(self) -> None:
        os.close(self._fd)


class NpyRowWriter:
    """Writes a ``(rows, dim)`` ``.npy`` file a batch at a time, with plain file writes (see the module docstring).

    The row count is fixed up front (it is in the header); :meth:`close` checks that exactly that many came.

    Args:
        path: The file (created or replaced).
        rows: Rows the file will hold.
        dim: Columns.
        dtype: Type the rows are stored as (each batch is converted).
    """

    def __init__(self, path: str | Path, rows: int, dim: int, dtype: Any) -> None:
        self.path = Path(path)
        self.rows, self.dim, self.dtype = rows, dim, np.dtype(dtype)
        self.written = 0
        self._handle = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (rows, dim),
        }
        np.lib.format.write_array_header_1_0(self._handle, header)

    def write(self, batch: Any) -> None:
        """Append rows (any float type; converted)."""
        data = np.ascontiguousarray(batch, dtype=self.dtype).reshape(-1, self.dim)
        if self.written + len(data) > self.rows:
            raise ValueError(f"{self.path}: more than the {self.rows} rows announced")
        self._handle.write(memoryview(data).cast("B"))
        self.written += len(data)

    def close(self) -> None:
        """Finish the file; raises ``ValueError`` when fewer rows than announced were written."""
        self._handle.close()
        if self.written != self.rows:
            raise ValueError(f"{self.path}: {self.written} rows written, {self.rows} announced")

    def __enter__(self) -> NpyRowWriter:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self._handle.close()
