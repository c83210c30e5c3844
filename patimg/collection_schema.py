"""The tables of a collection's ``collection.sqlite``, and how an older collection is brought up to them."""

from __future__ import annotations

import sqlite3

#: Every table and index of ``collection.sqlite``; ``IF NOT EXISTS``, so an older collection gains new tables.
SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY, source TEXT, kind TEXT, patent_id TEXT, n_figures INTEGER, time TEXT);
CREATE TABLE IF NOT EXISTS patents (
    patent_id TEXT PRIMARY KEY, office TEXT, number TEXT, kind TEXT, date TEXT, title TEXT, abstract TEXT,
    applicants TEXT, ipc TEXT, cpc TEXT, language TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS sentences (
    patent_id TEXT, idx INTEGER, text TEXT, section TEXT, PRIMARY KEY (patent_id, idx));
CREATE TABLE IF NOT EXISTS figure_descriptions (
    patent_id TEXT, figure_num TEXT, text TEXT, PRIMARY KEY (patent_id, figure_num));
CREATE TABLE IF NOT EXISTS figures (
    figure_id TEXT PRIMARY KEY, patent_id TEXT, caption TEXT, figure_num TEXT, sheet TEXT, box TEXT,
    rotation INTEGER, image TEXT, split TEXT, position INTEGER, kind TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS figures_by_patent ON figures (patent_id, position);
CREATE TABLE IF NOT EXISTS labels (
    figure_id TEXT, text TEXT, kind TEXT, x0 REAL, y0 REAL, x1 REAL, y1 REAL, confidence REAL);
CREATE INDEX IF NOT EXISTS labels_by_figure ON labels (figure_id);
CREATE TABLE IF NOT EXISTS links (
    figure_id TEXT, sign TEXT, term TEXT, sentence_indexes TEXT, PRIMARY KEY (figure_id, sign));
CREATE TABLE IF NOT EXISTS errors (source TEXT, problem TEXT, time TEXT);
"""

#: Columns added to a table after collections were made with it: ``ALTER TABLE`` adds them on open, so an older
#: collection keeps every row it has, which reads as the column's default (a figure kind ``""``: not classified).
ADDED_COLUMNS = {"figures": {"kind": "TEXT NOT NULL DEFAULT ''"}}


def add_missing_columns(db: sqlite3.Connection) -> None:
    """Add the :data:`ADDED_COLUMNS` an older collection's tables lack."""
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns.items():
            if name in present:
                continue
            try:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
            except sqlite3.OperationalError as error:
                if "duplicate column" not in str(error):  # another process opening it just added it
                    raise
