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
from collections.abc import Sequence
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
    """A float16 ``.npy`` written by :func:`write_half_vectors`, memory-mapped read-only (nothing is read yet)."""
    return np.load(path, mmap_mode="r")
