"""Relevance judgments, judged queries and the search audit log, in one SQLite file (``judgments.sqlite``).

Several annotators (threads or processes, e.g. Streamlit sessions) may write at once: the database runs
in WAL mode, every call opens its own connection with a busy timeout, and every write is one short
``BEGIN IMMEDIATE`` transaction, so concurrent writers queue instead of failing and nothing is lost.

Tables:
    queries            one row per judged query: a collection figure, an uploaded image (by sha256, with a
                       stored copy) and/or a text; the id is derived from that content (``q`` + 12 hex
                       digits), so the same query always gets the same id, and it is a valid TREC qid.
    judgments          the CURRENT grade per (query, figure, annotator).
    judgment_history   every judgment ever made, append-only (triggers refuse UPDATE and DELETE).
    search_log         audit trail: time, user, query, settings JSON, result list JSON.

Grades: 0 not relevant, 1 relevant; higher integers are allowed for graded relevance.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError, PatImgError
from patimg.evaluation.judgment_schema import SCHEMA
from patimg.evaluation.judgments import (
    ADJUDICATOR,
    GRADES,
    QUERY_KINDS,
    TAGS,
    WITHDRAWN,
    JudgedQuery,
    Judgment,
    SearchLogEntry,
    qrels_from_judgments,
)

#: What a judgment is lives in :mod:`patimg.evaluation.judgments`; named here too, where judgments are stored.
__all__ = [
    "ADJUDICATOR",
    "GRADES",
    "QUERY_KINDS",
    "TAGS",
    "WITHDRAWN",
    "JudgedQuery",
    "Judgment",
    "JudgmentStore",
    "SearchLogEntry",
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _judgment(row: sqlite3.Row) -> Judgment:
    values = dict(row)
    values["tags"] = tuple(t for t in values.get("tags", "").split(",") if t)
    return Judgment(**values)


def _check_token(value: str, *, what: str) -> str:
    value = str(value)
    if not value or any(ch.isspace() for ch in value):
        raise BadInputError(what, f"{value!r} is empty or contains whitespace")
    return value


class JudgmentStore:
    """Judgments of one collection, kept in ``<path>`` (a ``judgments.sqlite`` file, or a folder holding one).

    Safe to share between threads and processes: each call uses its own connection.
    """

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0) -> None:
        path = Path(path)
        self.db_path = path / "judgments.sqlite" if path.is_dir() or not path.suffix else path
        self.folder = self.db_path.parent
        self.timeout_s = timeout_s
        # A read-only collection (a read-only mount, another user's folder) can still be evaluated: its
        # judgments are read as they are, and every write says it cannot.
        self.read_only = self.folder.is_dir() and not os.access(self.folder, os.W_OK)
        if self.read_only:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            for table in ("judgments", "judgment_history"):  # stores from before tags and notes gain them
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column in ("tags", "note"):
                    if column not in columns:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.read_only:
            db = sqlite3.connect(self.db_path, timeout=self.timeout_s, isolation_level=None)
        elif self.db_path.exists():
            uri = f"file:{urllib.parse.quote(str(self.db_path.resolve()))}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:  # nothing judged yet, and nothing can be: an empty store
            db = sqlite3.connect(":memory:", isolation_level=None)
            db.executescript(SCHEMA)
        try:
            db.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    def _require_writable(self) -> None:
        if self.read_only:
            raise PatImgError(f"{self.db_path}: the collection is read-only, nothing can be recorded in it")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; IMMEDIATE takes the write lock up front so writers queue, not deadlock."""
        self._require_writable()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------------------------------------ queries

    def add_query(
        self,
        *,
        figure_id: str = "",
        image: bytes | str | Path | None = None,
        text: str = "",
    ) -> str:
        """Register a query (idempotent: the same content gives the same id) and return its id.

        Args:
            figure_id: A collection figure used as the query.
            image: An uploaded image (bytes or a file path); a copy is kept under ``query_images/``.
            text: Query text, alone or with a figure/image.

        Raises:
            BadInputError: Nothing to query with, or both a figure and an image, or an unreadable image.
        """
        self._require_writable()
        text = (text or "").strip()
        if figure_id and image is not None:
            raise BadInputError("query", "give a figure id or an image, not both")
        sha, image_rel = "", ""
        if image is not None:
            data, suffix = self._image_bytes(image)
            sha = hashlib.sha256(data).hexdigest()
            image_rel = f"query_images/{sha}{suffix}"
            target = self.folder / image_rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
        kind = "figure" if figure_id else "image" if sha else "text" if text else ""
        if not kind:
            raise BadInputError("query", "a query needs a figure id, an image or a text")
        key = json.dumps([kind, figure_id, sha, text], ensure_ascii=False)
        query_id = "q" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO queries (query_id, kind, figure_id, image_sha256, image_path, text, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (query_id, kind, figure_id, sha, image_rel, text, _now()),
            )
        return query_id

    @staticmethod
    def _image_bytes(image: bytes | str | Path) -> tuple[bytes, str]:
        if isinstance(image, bytes):
            return image, ".img"
        path = Path(image)
        try:
            return path.read_bytes(), path.suffix.lower() or ".img"
        except OSError as error:
            raise BadInputError(str(path), f"cannot read query image: {error}") from None

    def get_query(self, query_id: str) -> JudgedQuery | None:
        """The query with this id, or ``None`` when there is none (e.g. a qid of an imported qrels file)."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM queries WHERE query_id = ?", (query_id,)).fetchone()
        return None if row is None else self._query_from_row(row)

    def list_queries(self) -> list[JudgedQuery]:
        """All queries, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM queries ORDER BY created, query_id").fetchall()
        return [self._query_from_row(row) for row in rows]

    def _query_from_row(self, row: sqlite3.Row) -> JudgedQuery:
        # The database keeps the image path relative to its folder (so the folder can move); callers get
        # a path they can open.
        values = dict(row)
        if values["image_path"]:
            values["image_path"] = str(self.folder / values["image_path"])
        return JudgedQuery(**values)

    # ---------------------------------------------------------------------------------------- judgments

    def judge(
        self,
        query_id: str,
        figure_id: str,
        grade: int,
        *,
        annotator: str,
        tags: Sequence[str] = (),
        note: str = "",
    ) -> None:
        """Record ``annotator``'s grade of ``figure_id`` for ``query_id`` (replaces their earlier one;
        the history keeps both), with optional tags (:data:`TAGS`) and a note.

        Raises:
            BadInputError: An id or the annotator is empty or has whitespace, the grade is not an integer
                >= 0, or a tag is unknown.
        """
        unknown = sorted(set(tags) - set(TAGS))
        if unknown:
            raise BadInputError("tags", f"unknown tag(s) {', '.join(unknown)}; use {', '.join(TAGS)}")
        self.judge_many([(query_id, figure_id, grade)], annotator=annotator, tags=tags, note=note)

    def judge_many(
        self,
        items: Sequence[tuple[str, str, int]],
        *,
        annotator: str,
        tags: Sequence[str] = (),
        note: str = "",
    ) -> int:
        """Record several ``(query_id, figure_id, grade)`` judgments in one transaction; returns how many."""
        annotator = _check_token(annotator, what="annotator")
        rows = []
        for query_id, figure_id, grade in items:
            if isinstance(grade, bool) or not isinstance(grade, int) or grade < 0:
                raise BadInputError(
                    "grade", f"{grade!r} is not an integer >= 0 (0 not relevant ... 3 highly relevant)"
                )
            rows.append(
                (_check_token(query_id, what="query id"), _check_token(figure_id, what="figure id"), grade)
            )
        time, tag_text = _now(), ",".join(tags)
        with self._write() as db:
            db.executemany(
                "INSERT INTO judgment_history (query_id, figure_id, annotator, grade, time, tags, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(q, f, annotator, g, time, tag_text, note) for q, f, g in rows],
            )
            db.executemany(
                "INSERT INTO judgments (query_id, figure_id, annotator, grade, time, tags, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (query_id, figure_id, annotator) DO UPDATE SET grade = excluded.grade,"
                " time = excluded.time, tags = excluded.tags, note = excluded.note",
                [(q, f, annotator, g, time, tag_text, note) for q, f, g in rows],
            )
        return len(rows)

    @property
    def guidelines_path(self) -> Path:
        """The collection's judging guidelines (plain text beside the database)."""
        return self.folder / "guidelines.md"

    def guidelines(self) -> str:
        """The judging guidelines annotators read beside the pool (``""`` when none are written yet)."""
        try:
            return self.guidelines_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def save_guidelines(self, text: str) -> None:
        """Replace the judging guidelines (atomically)."""
        from patimg.fileio import atomic_write_text

        self._require_writable()
        atomic_write_text(self.guidelines_path, text)

    def withdraw(self, query_id: str, figure_id: str, *, annotator: str) -> None:
        """Take ``annotator``'s judgment back (undo of a first judgment): the result is unjudged again; the
        history records :data:`WITHDRAWN`."""
        annotator = _check_token(annotator, what="annotator")
        with self._write() as db:
            db.execute(
                "INSERT INTO judgment_history (query_id, figure_id, annotator, grade, time, note)"
                " VALUES (?, ?, ?, ?, ?, 'withdrawn')",
                (query_id, figure_id, annotator, WITHDRAWN, _now()),
            )
            db.execute(
                "DELETE FROM judgments WHERE query_id = ? AND figure_id = ? AND annotator = ?",
                (query_id, figure_id, annotator),
            )

    def judgments(self, query_id: str | None = None, *, annotator: str | None = None) -> list[Judgment]:
        """Current judgments (of one query and/or one annotator), sorted by query, figure, annotator."""
        sql, params = (
            "SELECT query_id, figure_id, grade, annotator, time, tags, note FROM judgments WHERE 1=1",
            [],
        )
        if query_id is not None:
            sql, params = sql + " AND query_id = ?", [*params, query_id]
        if annotator is not None:
            sql, params = sql + " AND annotator = ?", [*params, annotator]
        with self._connect() as db:
            rows = db.execute(sql + " ORDER BY query_id, figure_id, annotator", params).fetchall()
        return [_judgment(row) for row in rows]

    def history(self, query_id: str, figure_id: str) -> list[Judgment]:
        """Every judgment ever made of this figure for this query (all annotators), oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT query_id, figure_id, grade, annotator, time, tags, note FROM judgment_history"
                " WHERE query_id = ? AND figure_id = ? ORDER BY id",
                (query_id, figure_id),
            ).fetchall()
        return [_judgment(row) for row in rows]

    def qrels(self, *, aggregate: str = "max", annotator: str | None = None) -> dict[str, dict[str, int]]:
        """Current judgments as qrels: query id -> figure id -> grade (``aggregate`` and ``annotator`` as in
        :func:`patimg.evaluation.judgments.qrels_from_judgments`)."""
        return qrels_from_judgments(
            self.judgments(annotator=annotator), aggregate=aggregate, annotator=annotator
        )

    def import_qrels(self, path: str | Path, *, annotator: str) -> int:
        """Record every line of a TREC qrels file as ``annotator``'s judgment (one transaction); returns how many."""
        from patimg.evaluation.trec import read_qrels

        qrels = read_qrels(path)
        items = [(qid, doc, grade) for qid, docs in qrels.items() for doc, grade in docs.items()]
        for _, doc, grade in items:
            if grade < 0:
                raise BadInputError(str(path), f"grade {grade} of {doc} is negative; PatImg grades are >= 0")
        return self.judge_many(items, annotator=annotator)

    def export_qrels(self, path: str | Path, *, aggregate: str = "max", annotator: str | None = None) -> int:
        """Write :meth:`qrels` as a TREC qrels file; returns the number of lines."""
        from patimg.evaluation.trec import write_qrels

        qrels = self.qrels(aggregate=aggregate, annotator=annotator)
        write_qrels(qrels, path)
        return sum(len(docs) for docs in qrels.values())

    # --------------------------------------------------------------------------------------- search log

    def log_search(
        self,
        *,
        user: str,
        query: Mapping[str, Any],
        settings: Mapping[str, Any],
        hits: Sequence[Any],
        query_id: str = "",
    ) -> int:
        """Append one search to the audit log; returns its entry id.

        Args:
            user: Who searched.
            query: What was asked (e.g. ``{"figure_id": ..., "text": ...}``).
            settings: Channel, fusion rule, k, filters, backends.
            hits: The results: ``Hit`` records, dicts, or figure ids.
            query_id: The judged query it belongs to, if any.
        """
        hit_list = [dataclasses.asdict(hit) if dataclasses.is_dataclass(hit) else hit for hit in hits]
        try:
            row = (
                _now(),
                str(user),
                str(query_id),
                json.dumps(dict(query), sort_keys=True, default=str),
                json.dumps(dict(settings), sort_keys=True, default=str),
                json.dumps(hit_list, default=str),
            )
        except (TypeError, ValueError) as error:
            raise BadInputError("search log", f"cannot store as JSON: {error}") from None
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO search_log (time, user, query_id, query_json, settings_json, hits_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    def search_log(
        self, *, user: str | None = None, query_id: str | None = None, limit: int | None = None
    ) -> list[SearchLogEntry]:
        """Logged searches, newest first (optionally of one user / query)."""
        sql, params = "SELECT * FROM search_log WHERE 1=1", []
        if user is not None:
            sql, params = sql + " AND user = ?", [*params, user]
        if query_id is not None:
            sql, params = sql + " AND query_id = ?", [*params, query_id]
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql, params = sql + " LIMIT ?", [*params, int(limit)]
        with self._connect() as db:
            rows = db.execute(sql, params).fetchall()
        return [
            SearchLogEntry(
                entry_id=row["id"],
                time=row["time"],
                user=row["user"],
                query_id=row["query_id"],
                query=json.loads(row["query_json"]),
                settings=json.loads(row["settings_json"]),
                hits=json.loads(row["hits_json"]),
            )
            for row in rows
        ]
