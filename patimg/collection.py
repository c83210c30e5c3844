"""The on-disk collection: one folder holding everything PatImg knows about a set of publications.

Layout::

    <collection>/
      collection.json        format marker, name, creation time, encoders that built the indexes
      collection.sqlite      patents, sentences, figures, labels, links, ingested sources, errors
      figures/<id>.png       one upright, cropped image per figure
      work/                  archives unpacked during ingest
      vectors/<channel>.npy  row-aligned embeddings (+ <channel>_ids.json), reused when adding publications
      indexes/CURRENT        names the current generation of indexes (see patimg.indexes.generations)
      indexes/<gen>/<channel>/  one FAISS index per channel with index_infos.json beside it
      judgments.sqlite       relevance judgments and the search audit log

Why SQLite rather than parquet tables: ingest writes one publication at a time,
and a transaction per publication makes a crash leave either the whole publication or none of it; a re-run
then skips what is done. Tables can still be exported (``Collection.table``) to parquet or CSV.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from patimg.collection_schema import SCHEMA, add_missing_columns
from patimg.errors import BadInputError, PatImgError
from patimg.fileio import atomic_write_json
from patimg.types import Figure, Label, Patent, Sentence, SignLink

FORMAT = "patimg-collection"
FORMAT_VERSION = 1

_TUPLE_FIELDS = ("applicants", "ipc", "cpc")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class Collection:
    """A collection folder. Open with :meth:`open`, make with :meth:`create` or :meth:`open_or_create`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db_path = self.path / "collection.sqlite"

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, *, name: str | None = None) -> Collection:
        """Create an empty collection at ``path`` (the folder may exist but must not be another collection).

        Args:
            path: Folder to create.
            name: Display name; defaults to the folder name.
        """
        folder = Path(path)
        if (folder / "collection.json").exists():
            return cls.open(folder)
        if folder.exists() and not folder.is_dir():
            raise BadInputError(str(folder), "exists and is not a folder; choose another collection path")
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": name or folder.resolve().name,
            "created": _now(),
            "encoders": {},
        }
        collection = cls(folder)
        with collection._connect() as db:
            db.executescript(SCHEMA)
        atomic_write_json(folder / "collection.json", meta)
        return collection

    @classmethod
    def open(cls, path: str | Path) -> Collection:
        """Open an existing collection.

        Raises:
            BadInputError: ``path`` is missing or is not a PatImg collection.
        """
        folder = Path(path)
        marker = folder / "collection.json"
        if not folder.is_dir():
            raise BadInputError(str(folder), "no such collection folder (create one with `patimg ingest`)")
        if not marker.is_file():
            raise BadInputError(str(folder), "not a PatImg collection (collection.json is missing)")
        try:
            meta = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BadInputError(str(marker), f"unreadable collection marker: {error}") from error
        if meta.get("format") != FORMAT:
            raise BadInputError(str(marker), "not a PatImg collection marker")
        collection = cls(folder)
        if not collection.read_only:
            with collection._connect() as db:
                db.executescript(SCHEMA)  # older collections gain new tables
                add_missing_columns(db)  # ... and new columns
        return collection

    @classmethod
    def open_or_create(cls, path: str | Path) -> Collection:
        """Open ``path`` if it is a collection, else create one there; concurrent processes create it one at a
        time (SQLite refuses, without waiting, to switch a new database to WAL while another connection has it
        open, so two ingests creating one collection at once would fail)."""
        from patimg.workspace import file_lock

        path = Path(path)
        if cls.is_collection(path):
            return cls.open(path)
        try:
            (path / "work").mkdir(parents=True, exist_ok=True)
        except OSError:
            return cls.create(path)  # raises the message saying what is wrong with the path
        with file_lock(path / "work" / "create.lock"):
            return cls.open(path) if cls.is_collection(path) else cls.create(path)

    @staticmethod
    def is_collection(path: str | Path) -> bool:
        """Whether ``path`` holds a collection (its ``collection.json`` marker), without opening it."""
        return (Path(path) / "collection.json").is_file()

    @property
    def read_only(self) -> bool:
        """Whether the collection cannot be written (a read-only mount, another user's folder): it can still be
        searched, browsed and listed; ingest, index and the audit log refuse with a message."""
        if not os.access(self.path, os.W_OK):
            return True
        return self._db_path.exists() and not os.access(self._db_path, os.W_OK)

    def require_writable(self, action: str) -> None:
        """Raise a clear error when the collection is read-only.

        Raises:
            PatImgError: Naming the collection and ``action`` (``"ingest into it"``).
        """
        if self.read_only:
            raise PatImgError(
                f"collection {self.path} is read-only: cannot {action} (searching and browsing it still work)"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            # No journal can be written beside a read-only database; nobody can change it either, so it is
            # read as immutable.
            uri = f"file:{urllib.parse.quote(str(self._db_path.resolve()))}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, timeout=30)
            db.row_factory = sqlite3.Row
        else:
            db = sqlite3.connect(self._db_path, timeout=30)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    def _figure_kind_column(self) -> str:
        """What to select as a figure's kind: its column, or ``''`` in a read-only collection made before figures
        had kinds (it cannot gain the column; its figures are not classified)."""
        with self._connect() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(figures)")}
        return "f.kind" if "kind" in columns else "''"

    # -- metadata --------------------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, Any]:
        """Contents of ``collection.json``."""
        return json.loads((self.path / "collection.json").read_text(encoding="utf-8"))

    def update_meta(self, **changes: Any) -> None:
        """Merge ``changes`` into ``collection.json`` (atomically)."""
        self.require_writable("change its settings")
        meta = self.meta
        meta.update(changes)
        atomic_write_json(self.path / "collection.json", meta)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.path.name))

    # -- writing (used by ingest) ----------------------------------------------------------------

    def has_source(self, key: str) -> bool:
        """Whether the publication unit with this key was ingested completely."""
        with self._connect() as db:
            return db.execute("SELECT 1 FROM sources WHERE key = ?", (key,)).fetchone() is not None

    def write_publication(
        self,
        *,
        source_key: str,
        source: str,
        source_kind: str,
        patent: Patent,
        sentences: Sequence[Sentence],
        figure_descriptions: dict[str, str],
        figures: Sequence[Figure] | None,
        labels: dict[str, Sequence[Label]],
        links: Sequence[SignLink],
    ) -> None:
        """Store one publication in a single transaction, updating an earlier copy of the same patent.

        The bibliography, sentences and figure descriptions always replace the stored ones. With
        ``figures``, the stored figures (with their labels and links) are replaced too and images of
        figures that are gone are deleted; with ``figures=None`` (an input without drawings, such as a
        full-text XML) the stored figures and their labels are kept and only their links are replaced by
        ``links``, which must be links of exactly those figures (signs re-linked to the new sentences).
        Earlier inputs of the patent that this one supersedes are forgotten (all of them when figures are
        replaced, else those that brought no figure), so running one of them again stores it again.

        Args:
            source_key: Stable key of the input unit; marks it done so a re-run skips it.
            source: The input's path, for reports.
            source_kind: ``"uspto"``, ``"epo"`` or ``"images"``.
            patent: Bibliography.
            sentences: Its sentences.
            figure_descriptions: Brief description of the drawings by figure number.
            figures: Its figures (their images already written under ``figures/``), or None to keep the
                stored ones.
            labels: Text read on each figure, by figure id (unused when ``figures`` is None).
            links: Reference signs of each figure with their sentences.

        Raises:
            PatImgError: ``figures=None`` and the stored figures changed since ``links`` were made.
        """
        self.require_writable(f"store {patent.patent_id}")
        pid = patent.patent_id
        row = asdict(patent)
        for name in _TUPLE_FIELDS:
            row[name] = json.dumps(list(row[name]))
        keep = figures is None
        with self._connect() as db:
            old = [r[0] for r in db.execute("SELECT figure_id FROM figures WHERE patent_id = ?", (pid,))]
            if keep and not {link.figure_id for link in links} <= set(old):
                raise PatImgError(f"{pid}: its figures changed while it was being updated; run again")
            db.executemany("DELETE FROM links WHERE figure_id = ?", [(f,) for f in old])
            tables = ["sentences", "figure_descriptions", "patents"]
            if not keep:
                db.executemany("DELETE FROM labels WHERE figure_id = ?", [(f,) for f in old])
                tables.append("figures")
            for table in tables:
                db.execute(f"DELETE FROM {table} WHERE patent_id = ?", (pid,))
            db.execute(
                f"INSERT INTO patents ({','.join(row)}) VALUES ({','.join('?' * len(row))})",
                list(row.values()),
            )
            db.executemany(
                "INSERT INTO sentences VALUES (?, ?, ?, ?)",
                [(pid, s.index, s.text, s.section) for s in sentences],
            )
            db.executemany(
                "INSERT INTO figure_descriptions VALUES (?, ?, ?)",
                [(pid, num, text) for num, text in figure_descriptions.items()],
            )
            if not keep:
                db.executemany(
                    "INSERT INTO figures (figure_id, patent_id, caption, figure_num, sheet, box, rotation, image, "
                    "split, position, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            f.figure_id,
                            pid,
                            f.caption,
                            f.figure_num,
                            f.sheet,
                            json.dumps(list(f.box)),
                            f.rotation,
                            f.image,
                            f.split,
                            position,
                            f.kind,
                        )
                        for position, f in enumerate(figures)
                    ],
                )
                db.executemany(
                    "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (fid, lab.text, lab.kind, *lab.box, lab.confidence)
                        for fid, items in labels.items()
                        for lab in items
                    ],
                )
            db.executemany(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?)",
                [
                    (link.figure_id, link.sign, link.term, json.dumps(list(link.sentence_indexes)))
                    for link in links
                ],
            )
            superseded = "" if not keep else " AND n_figures = 0"
            db.execute(f"DELETE FROM sources WHERE patent_id = ?{superseded}", (pid,))
            db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                (source_key, source, source_kind, pid, 0 if keep else len(figures), _now()),
            )
        if not keep:
            stale = set(old) - {f.figure_id for f in figures}
            for figure_id in stale:
                (self.path / "figures" / f"{figure_id}.png").unlink(missing_ok=True)

    def set_figure_kinds(self, kinds: dict[str, str]) -> None:
        """Store what figures show (``{figure id: kind}``, :data:`~patimg.vocabulary.FIGURE_KINDS` or ``""``), in
        one transaction; ids no longer in the collection are ignored.

        Raises:
            BadInputError: A kind that is not one.
            PatImgError: The collection is read-only.
        """
        from patimg.vocabulary import figure_kinds

        figure_kinds((kind for kind in kinds.values() if kind), "kind")
        self.require_writable("store figure kinds")
        with self._connect() as db:
            db.executemany(
                "UPDATE figures SET kind = ? WHERE figure_id = ?",
                [(kind, fid) for fid, kind in kinds.items()],
            )

    def remove_publication(self, patent_id: str) -> int:
        """Remove a publication, its figures (images too) and the marks that its inputs were ingested, in one
        transaction; returns how many figures went. Searches never return them from then on, and the next
        ``patimg index`` rebuilds the indexes without them.

        Raises:
            BadInputError: No such publication.
            PatImgError: The collection is read-only.
        """
        self.require_writable(f"remove {patent_id}")
        with self._connect() as db:
            figures = [
                r[0] for r in db.execute("SELECT figure_id FROM figures WHERE patent_id = ?", (patent_id,))
            ]
            if not db.execute("SELECT 1 FROM patents WHERE patent_id = ?", (patent_id,)).fetchone():
                raise BadInputError(patent_id, f"no such publication in {self.path}")
            for table in ("labels", "links"):
                db.executemany(f"DELETE FROM {table} WHERE figure_id = ?", [(f,) for f in figures])
            for table in ("figures", "sentences", "figure_descriptions", "sources", "patents"):
                db.execute(f"DELETE FROM {table} WHERE patent_id = ?", (patent_id,))
        for figure_id in figures:
            (self.path / "figures" / f"{figure_id}.png").unlink(missing_ok=True)
        return len(figures)

    def record_error(self, *, source: str, problem: str) -> None:
        """Remember that an input failed, and why (shown in the ingest report and the app)."""
        self.require_writable("record an import problem")
        with self._connect() as db:
            db.execute("INSERT INTO errors VALUES (?, ?, ?)", (source, problem, _now()))

    # -- reading ---------------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._connect() as db:
            return db.execute(sql, params).fetchall()

    def stats(self) -> dict[str, int]:
        """Counts shown in the app and the CLI: patents, figures, signs, linked signs, links, sentences."""
        with self._connect() as db:

            def count(sql: str) -> int:
                return int(db.execute(sql).fetchone()[0])

            return {
                "patents": count("SELECT COUNT(*) FROM patents"),
                "figures": count("SELECT COUNT(*) FROM figures"),
                "signs": count("SELECT COUNT(*) FROM links"),
                "linked_signs": count("SELECT COUNT(*) FROM links WHERE sentence_indexes != '[]'"),
                "links": count("SELECT COALESCE(SUM(json_array_length(sentence_indexes)), 0) FROM links"),
                "sentences": count("SELECT COUNT(*) FROM sentences"),
                "sources": count("SELECT COUNT(*) FROM sources"),
                "errors": count("SELECT COUNT(*) FROM errors"),
            }

    @staticmethod
    def _patent_from_row(row: sqlite3.Row) -> Patent:
        values = dict(row)
        for name in _TUPLE_FIELDS:
            values[name] = tuple(json.loads(values[name] or "[]"))
        return Patent(**values)

    def patent_records(self) -> list[Patent]:
        """All patents, ordered by id."""
        return [self._patent_from_row(r) for r in self._rows("SELECT * FROM patents ORDER BY patent_id")]

    def figure_counts(self) -> dict[str, int]:
        """Number of figures of each patent that has any, by patent id (one query)."""
        rows = self._rows("SELECT patent_id, COUNT(*) AS n FROM figures GROUP BY patent_id")
        return {r["patent_id"]: int(r["n"]) for r in rows}

    def patents(self):  # -> pandas.DataFrame
        """All patents as a DataFrame (one row per patent, :class:`Patent` fields as columns)."""
        import pandas as pd

        records = [asdict(p) for p in self.patent_records()]
        return pd.DataFrame.from_records(records, columns=list(Patent.__dataclass_fields__))

    def patent(self, patent_id: str) -> Patent:
        """One patent; ``KeyError`` when absent."""
        rows = self._rows("SELECT * FROM patents WHERE patent_id = ?", (patent_id,))
        if not rows:
            raise KeyError(f"no patent {patent_id!r} in collection {self.path}")
        return self._patent_from_row(rows[0])

    @staticmethod
    def _figure_from_row(row: sqlite3.Row) -> Figure:
        stored = set(row.keys())  # a read-only collection made before figures had kinds has no kind column
        values = {k: row[k] for k in Figure.__dataclass_fields__ if k in stored}
        values["box"] = tuple(json.loads(values["box"]))
        return Figure(**values)

    def figure_records(self, patent_id: str | None = None) -> list[Figure]:
        """Figures in collection order (by patent, then position in the publication)."""
        if patent_id is None:
            rows = self._rows("SELECT * FROM figures ORDER BY patent_id, position")
        else:
            rows = self._rows("SELECT * FROM figures WHERE patent_id = ? ORDER BY position", (patent_id,))
        return [self._figure_from_row(r) for r in rows]

    def figures(self, patent_id: str | None = None):  # -> pandas.DataFrame
        """Figures as a DataFrame with :class:`Figure` fields plus ``n_signs`` and ``n_linked``."""
        import pandas as pd

        counts = {
            r["figure_id"]: (r["n"], r["linked"])
            for r in self._rows(
                "SELECT figure_id, COUNT(*) AS n, SUM(sentence_indexes != '[]') AS linked "
                "FROM links GROUP BY figure_id"
            )
        }
        records = []
        for figure in self.figure_records(patent_id):
            record = asdict(figure)
            record["n_signs"], record["n_linked"] = counts.get(figure.figure_id, (0, 0))
            records.append(record)
        columns = [*Figure.__dataclass_fields__, "n_signs", "n_linked"]
        return pd.DataFrame.from_records(records, columns=columns)

    def figure(self, figure_id: str) -> Figure:
        """One figure; ``KeyError`` when absent."""
        rows = self._rows("SELECT * FROM figures WHERE figure_id = ?", (figure_id,))
        if not rows:
            raise KeyError(f"no figure {figure_id!r} in collection {self.path}")
        return self._figure_from_row(rows[0])

    def figure_image_path(self, figure_id: str) -> Path:
        """Path of the figure's PNG image."""
        return self.path / self.figure(figure_id).image

    def labels(self, figure_id: str) -> list[Label]:
        """Text read on a figure (boxes on the figure image)."""
        rows = self._rows("SELECT * FROM labels WHERE figure_id = ? ORDER BY rowid", (figure_id,))
        return [
            Label(
                text=r["text"],
                kind=r["kind"],
                box=(r["x0"], r["y0"], r["x1"], r["y1"]),
                confidence=r["confidence"],
            )
            for r in rows
        ]

    def links(self, figure_id: str) -> list[SignLink]:
        """Reference signs of a figure with the sentences that use them (unlinked signs included)."""
        rows = self._rows("SELECT * FROM links WHERE figure_id = ? ORDER BY rowid", (figure_id,))
        return [self._link_from_row(r) for r in rows]

    @staticmethod
    def _link_from_row(row: sqlite3.Row) -> SignLink:
        return SignLink(
            figure_id=row["figure_id"],
            sign=row["sign"],
            term=row["term"],
            sentence_indexes=tuple(json.loads(row["sentence_indexes"])),
        )

    def all_links(self) -> dict[str, list[SignLink]]:
        """Links of every figure, by figure id (one query, for indexing)."""
        result: dict[str, list[SignLink]] = {}
        for r in self._rows("SELECT * FROM links ORDER BY rowid"):
            result.setdefault(r["figure_id"], []).append(self._link_from_row(r))
        return result

    def sentences(self, patent_id: str, indexes: Sequence[int] | None = None) -> list[Sentence]:
        """Sentences of a patent in document order, optionally only those with the given indexes."""
        rows = self._rows("SELECT * FROM sentences WHERE patent_id = ? ORDER BY idx", (patent_id,))
        wanted = None if indexes is None else set(indexes)
        return [
            Sentence(patent_id=patent_id, index=r["idx"], text=r["text"], section=r["section"])
            for r in rows
            if wanted is None or r["idx"] in wanted
        ]

    def figure_descriptions(self, patent_id: str) -> dict[str, str]:
        """Brief description of the drawings, figure number to sentence."""
        rows = self._rows(
            "SELECT figure_num, text FROM figure_descriptions WHERE patent_id = ?", (patent_id,)
        )
        return {r["figure_num"]: r["text"] for r in rows}

    def ingest_errors(self) -> list[dict[str, str]]:
        """Inputs that failed, with the problem, oldest first."""
        return [dict(r) for r in self._rows("SELECT source, problem, time FROM errors ORDER BY rowid")]

    def ingested_sources(self) -> list[dict[str, Any]]:
        """Input units ingested completely."""
        return [dict(r) for r in self._rows("SELECT * FROM sources ORDER BY time")]

    def index_infos(self) -> dict[str, dict[str, Any]]:
        """``index_infos.json`` of each channel's index, by channel."""
        infos = {}
        for info_path in sorted(self.index_dir().glob("*/index_infos.json")):
            infos[info_path.parent.name] = json.loads(info_path.read_text(encoding="utf-8"))
        return infos

    def index_version(self) -> str:
        """A token that changes whenever an index is rebuilt or grown (caches of loaded indexes key on it)."""
        folder = self.index_dir()
        stamps = sorted(folder.glob("*/index_infos.json"))
        return folder.name + "|" + "|".join(f"{p.parent.name}:{p.stat().st_mtime_ns}" for p in stamps)

    def index_dir(self) -> Path:
        """The folder of the current generation of indexes, one sub-folder per channel."""
        from patimg.indexes.generations import current_generation

        return current_generation(self.path / "indexes")

    def table(self, name: str):  # -> pandas.DataFrame
        """A raw table (``patents``, ``sentences``, ``figures``, ``labels``, ``links``...) for export."""
        import pandas as pd

        if name not in {
            "sources",
            "patents",
            "sentences",
            "figure_descriptions",
            "figures",
            "labels",
            "links",
            "errors",
        }:
            raise KeyError(f"unknown table {name!r}")
        with self._connect() as db:
            return pd.read_sql_query(f"SELECT * FROM {name}", db)

    def publication_filter_rows(self) -> list[tuple[int, str, str, str]]:
        """``(rowid, patent id, office, date)`` of each publication, in rowid order (what date and office
        filters look at, as plain tuples)."""
        with self._connect() as db:
            db.row_factory = None
            return db.execute("SELECT rowid, patent_id, office, date FROM patents ORDER BY rowid").fetchall()

    def publication_classes(self) -> list[tuple[int, str]]:
        """``(publication rowid, class)`` of each IPC and CPC class of each publication (unpacked by SQLite: no
        JSON decoding a publication here)."""
        each = "json_each(COALESCE(NULLIF(p.{0}, ''), '[]'))"
        with self._connect() as db:
            db.row_factory = None
            return db.execute(
                f"SELECT p.rowid, j.value FROM patents p, {each.format('ipc')} j "
                f"UNION ALL SELECT p.rowid, j.value FROM patents p, {each.format('cpc')} j"
            ).fetchall()

    def figure_publications(self) -> list[tuple[str, int, str]]:
        """``(figure id, publication rowid, figure kind)`` of every figure whose publication is stored (plain
        tuples: a million of them stay small)."""
        kind = self._figure_kind_column()
        with self._connect() as db:
            db.row_factory = None
            return db.execute(
                f"SELECT f.figure_id, p.rowid, {kind} FROM figures f JOIN patents p ON p.patent_id = f.patent_id"
            ).fetchall()

    def figure_summaries(self, figure_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """``(patent id, caption, figure kind)`` of each of ``figure_ids`` that exists with its publication, by
        figure id (a search's hits)."""
        out: dict[str, tuple[str, str, str]] = {}
        unique = list(dict.fromkeys(figure_ids))
        kind = self._figure_kind_column()
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            sql = (
                f"SELECT f.figure_id, f.patent_id, f.caption, {kind} AS figure_kind FROM figures f JOIN patents p "
                f"ON p.patent_id = f.patent_id WHERE f.figure_id IN ({','.join('?' * len(chunk))})"
            )
            out.update(
                {
                    r["figure_id"]: (r["patent_id"], r["caption"], r["figure_kind"])
                    for r in self._rows(sql, chunk)
                }
            )
        return out

    def figure_filter_rows(self) -> list[dict[str, Any]]:
        """Per figure, what search filters look at: patent, office, date, classes, figure kind."""
        rows = self._rows(
            f"SELECT f.figure_id, f.patent_id, f.caption, {self._figure_kind_column()} AS figure_kind, p.office, "
            "p.date, p.ipc, p.cpc, p.title FROM figures f JOIN patents p ON p.patent_id = f.patent_id"
        )
        out = []
        for r in rows:
            record = dict(r)
            record["classes"] = tuple(json.loads(r["ipc"] or "[]")) + tuple(json.loads(r["cpc"] or "[]"))
            out.append(record)
        return out
