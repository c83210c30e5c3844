"""A channel's index as it is searched: the FAISS index, its figure ids, its infos, and for the compressed kind
the exact vectors it re-ranks with. One record that building, tuning and searching share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


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

    @property
    def positions(self) -> dict[str, int]:
        """Figure id to index row."""
        if self._positions is None:
            self._positions = {fid: i for i, fid in enumerate(self.ids)}
        return self._positions

    def __len__(self) -> int:
        return len(self.ids)
