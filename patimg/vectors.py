"""Stored embeddings: row-aligned float32 vectors with string ids, one store per channel under ``vectors/``.

A store is ``<name>.npy`` (the matrix, memory-mapped on load), ``<name>_ids.json`` (row ids) and
``<name>_info.json`` (the encoder that made them), each written atomically. Stores: ``visual`` and ``text``
(per figure), ``sentences`` (per sentence text digest, the text channel's raw material). They let
new publications be encoded alone and a figure of the collection be a query without re-encoding it.

A compressed index keeps its own float16 copy of the vectors beside it (:func:`write_half_vectors`), row-aligned
with the index, to re-rank candidates exactly: half the bytes of float32, memory-mapped
(:func:`open_half_vectors`) so a search reads only the rows it re-ranks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from patimg.fileio import atomic_write, atomic_write_bytes, atomic_write_json
from patimg.matrix_rows import NpyRowWriter, row_batches
from patimg.vocabulary import INDEXED_CHANNELS

if TYPE_CHECKING:
    from patimg.collection import Collection

VISUAL, TEXT = INDEXED_CHANNELS


class VectorStore:
    """Row-aligned float32 vectors with string ids, stored as ``<name>.npy`` + ``<name>_ids.json``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.npy = folder / f"{name}.npy"
        self.ids_path = folder / f"{name}_ids.json"
        self.info_path = folder / f"{name}_info.json"

    @classmethod
    def of(cls, collection: Collection, name: str) -> VectorStore:
        """The store ``name`` of a collection (``vectors/<name>.npy`` ...)."""
        return cls(collection.path / "vectors", name)

    def load(self) -> tuple[list[str], np.ndarray | None, dict[str, Any] | None]:
        """``(ids, vectors, encoder info)``; ``([], None, None)`` when absent or torn by a crash."""
        if not self.npy.exists() or not self.ids_path.exists():
            return [], None, None
        ids = json.loads(self.ids_path.read_text(encoding="utf-8"))
        vectors = np.load(self.npy, mmap_mode="r")
        info = json.loads(self.info_path.read_text(encoding="utf-8")) if self.info_path.exists() else None
        if len(ids) != len(vectors):
            return [], None, None  # torn write from an old crash: re-encode
        return ids, np.asarray(vectors, dtype=np.float32), info

    def save(self, ids: Sequence[str], vectors: np.ndarray, info: dict[str, Any]) -> None:
        """Replace the store's content (each file atomically, ids after the matrix)."""
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32))
        atomic_write_bytes(self.npy, buffer.getvalue())
        atomic_write_json(self.ids_path, list(ids))
        atomic_write_json(self.info_path, info)


class IdRows:
    """The row of an id in a list of ids, through a sorted array of their hashes (12 bytes an id, where a dict
    takes about 100): a lookup is a binary search, then a comparison of the candidates with the id."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = ids
        hashes = np.fromiter(map(hash, ids), np.int64, count=len(ids))
        self._order = np.argsort(hashes, kind="stable").astype(np.int32 if len(ids) < 2**31 else np.int64)
        self._hashes = hashes[self._order]

    def row(self, key: str) -> int | None:
        """The row of ``key``, ``None`` when absent (the first row if it occurs twice)."""
        code = hash(key)
        first = int(np.searchsorted(self._hashes, code, side="left"))
        stop = int(np.searchsorted(self._hashes, code, side="right"))
        return next((int(r) for r in sorted(self._order[first:stop]) if self.ids[r] == key), None)


class StoredVectors(Mapping[str, np.ndarray]):
    """A channel's stored vectors by figure id, as :func:`stored_vectors` gives them but read on first use and
    without a dict of every figure: the ids, their :class:`IdRows`, and the matrix memory-mapped (a vector is
    read when asked for).

    Args:
        collection: The collection.
        channel: The store's name.
        index_rows: Returns the :class:`IdRows` of the channel's index; used instead of making new ones when the
            store holds the same ids in the same order (a collection indexed since it last changed).
    """

    def __init__(
        self, collection: Collection, channel: str, index_rows: Callable[[], IdRows] | None = None
    ) -> None:
        self.store = VectorStore.of(collection, channel)
        self._index_rows = index_rows
        self._lock = threading.Lock()
        self._data: tuple[IdRows, np.ndarray | None] | None = None

    def _rows(self) -> tuple[IdRows, np.ndarray | None]:
        with self._lock:
            if self._data is None:
                ids, vectors, _ = self.store.load()
                shared = self._index_rows() if self._index_rows is not None else None
                self._data = (shared if shared is not None and shared.ids == ids else IdRows(ids), vectors)
            return self._data

    def __getitem__(self, figure_id: str) -> np.ndarray:
        rows, vectors = self._rows()
        row = rows.row(figure_id) if isinstance(figure_id, str) else None
        if row is None or vectors is None:
            raise KeyError(figure_id)
        return vectors[row]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows()[0].ids)

    def __len__(self) -> int:
        return len(self._rows()[0].ids)


def stored_vectors(collection: Collection, channel: str) -> dict[str, np.ndarray]:
    """A channel's stored vectors by figure id (used to query by a figure already in the collection)."""
    ids, vectors, _ = VectorStore.of(collection, channel).load()
    if vectors is None:
        return {}
    return {fid: vectors[i] for i, fid in enumerate(ids)}


def write_half_vectors(path: str | Path, parts: Sequence[Any]) -> int:
    """Write the rows of ``parts`` (float arrays of one width, in order) as one float16 ``.npy``, atomically.

    The parts may be memory maps (the old file when an index grows): they are copied a batch at a time, never
    concatenated in memory (:mod:`patimg.matrix_rows`), and the file is written under a temporary name, so a
    generation's hard-linked copy is never changed in place.

    Returns:
        The number of rows written.
    """
    widths = {int(np.shape(part)[1]) for part in parts if len(part)}
    if len(widths) > 1:
        raise ValueError(f"parts of different widths {sorted(widths)}")
    dim = widths.pop() if widths else (int(np.shape(parts[0])[1]) if parts else 0)
    rows = sum(len(part) for part in parts)

    def write(tmp: str) -> None:
        with NpyRowWriter(tmp, rows, dim, np.float16) as out:
            for part in parts:
                for _, batch in row_batches(part, dtype=np.float16):
                    out.write(batch)

    atomic_write(path, write)
    return rows


def open_half_vectors(path: str | Path) -> np.ndarray:
    """A float16 ``.npy`` written by :func:`write_half_vectors`, memory-mapped read-only (nothing is read yet).

    The kernel's read-around is left on although re-ranking reads scattered rows: each fault then reads
    megabytes around its row, so a cold 1M-row file is in the page cache after a few dozen queries (p50 4 ms
    from the first hundred queries on), where page-by-page reads (``MADV_RANDOM``) read 8x less a query but stay
    at 20-25 ms for hundreds of queries (measured on this project's machine).
    """
    return np.load(path, mmap_mode="r")
