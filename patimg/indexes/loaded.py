"""A channel's index as it is searched: the FAISS index, its figure ids, its infos, and for the compressed kind
the exact vectors it re-ranks with. One record that building, tuning and searching share, and how a channel's
folder is opened as one (:func:`load_index`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from patimg.errors import PatImgError
from patimg.vectors import IdRows, open_half_vectors

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
INFOS_FILE = "index_infos.json"


@dataclass
class LoadedIndex:
    """A FAISS index with its ids and infos, as :func:`load_index` returns it."""

    index: Any
    ids: list[str]
    info: dict[str, Any]
    path: Path | None = None
    #: The compressed kind's exact vectors (float16, row-aligned, memory-mapped when loaded from disk).
    exact: np.ndarray | None = None
    #: Candidates searched per result, re-ranked with ``exact``.
    rerank_factor: int = 1
    _positions: dict[str, int] | None = None
    _id_rows: IdRows | None = None

    @property
    def positions(self) -> dict[str, int]:
        """Figure id to index row."""
        if self._positions is None:
            self._positions = {fid: i for i, fid in enumerate(self.ids)}
        return self._positions

    @property
    def id_rows(self) -> IdRows:
        """The row of a figure id, as :attr:`positions` but in arrays (12 bytes an id rather than ~100)."""
        if self._id_rows is None:
            self._id_rows = IdRows(self.ids)
        return self._id_rows

    def __len__(self) -> int:
        return len(self.ids)


def load_index(path: str | Path, *, mmap: bool = True) -> LoadedIndex:
    """Load a channel folder written by :func:`~.build.build_index`.

    A collection of millions opens without reading its index: the IVF lists and flat codes are memory-mapped
    (pages are read as searches touch them), and so are the compressed kind's float16 exact vectors.

    Args:
        path: The channel's folder.
        mmap: Memory-map the index file where FAISS supports it for the type (IVF lists, flat codes);
            otherwise, or if mapping fails, it is read into memory.

    Raises:
        PatImgError: Missing files, or files from different builds (a torn write).
    """
    import faiss

    folder = Path(path)
    missing = [name for name in (INDEX_FILE, IDS_FILE, INFOS_FILE) if not (folder / name).is_file()]
    info = json.loads((folder / INFOS_FILE).read_text(encoding="utf-8")) if not missing else {}
    exact_name = info.get("params", {}).get("exact_vectors")
    if exact_name and not (folder / exact_name).is_file():
        missing.append(exact_name)
    if missing:
        raise PatImgError(f"index folder {folder} lacks {', '.join(missing)}: rebuild it with `patimg index`")
    index = None
    if mmap:
        try:
            index = faiss.read_index(str(folder / INDEX_FILE), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError:
            index = None
    if index is None:
        index = faiss.read_index(str(folder / INDEX_FILE))
    ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
    exact = open_half_vectors(folder / exact_name) if exact_name else None
    if not (index.ntotal == len(ids) == info.get("count")) or (exact is not None and len(exact) != len(ids)):
        raise PatImgError(
            f"index folder {folder} is inconsistent ({index.ntotal} vectors, {len(ids)} ids, infos say "
            f"{info.get('count')}"
            + ("" if exact is None else f", {len(exact)} exact vectors")
            + "): an interrupted write; rebuild it with `patimg index`"
        )
    _apply_search_params(index, info)
    factor = int(info.get("params", {}).get("rerank_factor") or 1)
    return LoadedIndex(index=index, ids=ids, info=info, path=folder, exact=exact, rerank_factor=factor)


def _apply_search_params(index: Any, info: dict[str, Any]) -> None:
    import faiss

    params = info.get("params", {})
    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "efSearch" in params and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(params["efSearch"])
