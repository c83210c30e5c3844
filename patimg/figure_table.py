"""What a search needs to know of every figure, as arrays read from the collection once, on first use.

The searcher used to keep one Python dict a figure (patent, caption, office, date, classes): at a million
figures that is seconds to open and about a gigabyte of RAM, and each figure query then built a set of every
figure to leave the query out. A search needs far less:

* for each channel's index, an int32 array: index row -> number of the figure's publication, -1 when the
  figure (or its publication) is no longer in the collection (an index built before figures were replaced);
  and an int8 array: index row -> the figure's kind (its place in ``FIGURE_KINDS``, -1 when not classified);
* for each publication what the filters look at: office, date and classes, as arrays (the classes on the
  first class filter).

A filter is then evaluated once a publication (a boolean array) and turned into the allowed index rows by one
gather, and a figure-kind filter by one comparison a row; the query figure is left out by its row. The index
search then looks among the allowed rows only, so a filtered search still returns ``k`` figures when ``k`` pass.
Captions, patents and kinds of the hits are read from SQLite for the hits alone.

The arrays are read on the first search that needs them, not when the searcher opens: the first filtered
search, or the first search that returns a figure the collection no longer has (the searcher checks its hits,
and then searches again among the figures still there). An unfiltered search of an index that is up to date
never reads them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from patimg.errors import BadInputError
from patimg.vocabulary import FIGURE_KINDS

if TYPE_CHECKING:
    from patimg.collection import Collection
    from patimg.search_records import SearchFilters


def normalise_class(value: str) -> str:
    """An IPC or CPC class as filters compare it: no spaces, upper case (``"b64c 25/00"`` -> ``"B64C25/00"``)."""
    return "".join(value.split()).upper()


def valid_iso(value: str | None, what: str) -> str | None:
    """``value`` as an ISO date, ``None`` when empty; ``BadInputError`` naming ``what`` when it is not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as error:
        raise BadInputError(what, f"{value!r} is not a date (use YYYY-MM-DD)") from error


class FigureTable:
    """The collection's figures and publications as the searcher filters them (see the module docstring).

    Args:
        collection: The collection (read on first use).
        index_ids: Each channel's index ids, in index order.
    """

    def __init__(self, collection: Collection, index_ids: dict[str, Sequence[str]]) -> None:
        self.collection = collection
        self._index_ids = index_ids
        self._lock = threading.Lock()  # the app shares one searcher between sessions
        self._loaded = False
        self._class_rows: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def loaded(self) -> bool:
        """Whether the arrays have been read."""
        return self._loaded

    def load(self) -> None:
        """Read the arrays (once; later calls return at once)."""
        with self._lock:
            if self._loaded:
                return
            publications = self.collection.publication_filter_rows()
            self._rowids = rowids = np.array([r[0] for r in publications], dtype=np.int64)  # ascending
            self.patent_ids = [r[1] for r in publications]
            self._patent_number = {pid: n for n, pid in enumerate(self.patent_ids)}
            self._office = np.array([(r[2] or "").upper() for r in publications], dtype=str)
            self._date = np.array([r[3] or "" for r in publications], dtype=str)
            # Index row -> publication number (-1 when the figure or its publication is gone) and kind code; the
            # dict of every figure is dropped once the arrays are made.
            figures = self.collection.figure_publications()
            figure_rowids = np.array([rowid for _, rowid, _ in figures] + [-1], dtype=np.int64)
            figure_kinds = np.array([kind_code(kind) for _, _, kind in figures] + [-1], dtype=np.int8)
            position = {fid: n for n, (fid, _, _) in enumerate(figures)}
            del figures
            self._row_patents, self._row_kinds = {}, {}
            for channel, ids in self._index_ids.items():
                at = np.array([position.get(fid, -1) for fid in ids], dtype=np.int64)  # -1: the [-1] put last
                rowid = figure_rowids[at]
                number = np.searchsorted(rowids, rowid).astype(np.int32)
                number[rowid < 0] = -1
                self._row_patents[channel] = number
                self._row_kinds[channel] = figure_kinds[at]
            self._loaded = True

    def _classes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each IPC and CPC class (normalised) with its publication's number, read on the first class filter."""
        with self._lock:
            if self._class_rows is None:
                rows = self.collection.publication_classes()
                numbers = np.searchsorted(self._rowids, np.array([r[0] for r in rows], dtype=np.int64))
                self._class_rows = (numbers, np.array([normalise_class(r[1]) for r in rows], dtype=str))
            return self._class_rows

    def patent_mask(self, filters: SearchFilters | None, *, query_patent: str | None) -> np.ndarray | None:
        """Which publications pass ``filters`` (a boolean array by publication number), ``None`` when the filters
        restrict nothing. ``filters.exclude_patent=True`` leaves out ``query_patent``.

        Raises:
            BadInputError: A date that is not one.
        """
        if filters is None:
            return None
        date_from = valid_iso(filters.date_from, "date_from")
        date_to = valid_iso(filters.date_to, "date_to")
        prefix = normalise_class(filters.class_prefix) if filters.class_prefix else ""
        excluded = (
            filters.exclude_patent
            if isinstance(filters.exclude_patent, str)
            else (query_patent if filters.exclude_patent else None)
        )
        if not any([filters.office, date_from, date_to, prefix, excluded]):
            return None
        self.load()
        keep = np.ones(len(self.patent_ids), dtype=bool)
        if filters.office:
            keep &= self._office == filters.office.upper()
        if date_from:
            keep &= (self._date != "") & (self._date >= date_from)
        if date_to:
            keep &= (self._date != "") & (self._date <= date_to)
        if prefix:
            class_patent, classes = self._classes()
            having = np.zeros(len(self.patent_ids), dtype=bool)
            having[class_patent[np.char.startswith(classes, prefix)]] = True
            keep &= having
        if excluded and excluded in self._patent_number:
            keep[self._patent_number[excluded]] = False
        return keep

    def allowed_rows(
        self,
        channel: str,
        patent_mask: np.ndarray | None,
        excluded_rows: Sequence[int],
        kinds: Sequence[str] = (),
    ) -> np.ndarray | None:
        """Sorted rows of a channel's index that a search may return: figures still in the collection whose
        publication ``patent_mask`` keeps and whose kind is one of ``kinds`` (any kind when empty), less
        ``excluded_rows``; ``None`` when that is every row.

        Before the arrays are read (no filter yet), every figure of the index counts as still there.
        """
        if not self._loaded and patent_mask is None and not kinds:
            if not len(excluded_rows):
                return None
            allowed = np.ones(len(self._index_ids[channel]), dtype=bool)
            allowed[list(excluded_rows)] = False
            return np.flatnonzero(allowed)
        self.load()
        row_patents = self._row_patents[channel]
        present = row_patents >= 0
        if patent_mask is None and not kinds and not len(excluded_rows) and present.all():
            return None
        allowed = present
        if patent_mask is not None:
            allowed &= patent_mask[np.where(present, row_patents, 0)]
        if kinds:
            allowed &= np.isin(self._row_kinds[channel], [kind_code(kind) for kind in kinds])
        allowed[list(excluded_rows)] = False
        return np.flatnonzero(allowed)

    def figures_passing(self, patent_mask: np.ndarray | None, kinds: Sequence[str] = ()) -> set[str]:
        """Ids of the collection's figures whose publication ``patent_mask`` keeps (every figure with a
        publication when ``None``) and whose kind is one of ``kinds`` (any when empty)."""
        self.load()
        figures = self.collection.figure_publications()
        numbers = np.searchsorted(self._rowids, np.array([rowid for _, rowid, _ in figures], dtype=np.int64))
        keep = np.ones(len(figures), dtype=bool) if patent_mask is None else patent_mask[numbers]
        wanted = set(kinds)
        return {
            fid
            for (fid, _, kind), kept in zip(figures, keep, strict=True)
            if kept and (not wanted or kind in wanted)
        }


def kind_code(kind: str) -> int:
    """A figure kind as the int8 the table keeps: its place in ``FIGURE_KINDS``, -1 for ``""`` (not classified)."""
    return FIGURE_KINDS.index(kind) if kind in FIGURE_KINDS else -1
