"""The tables of the judgment store (``judgments.sqlite``, :class:`patimg.evaluation.store.JudgmentStore`): queries,
current judgments, their append-only history (triggers refuse UPDATE and DELETE) and the search audit log."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    query_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('figure', 'image', 'text')),
    figure_id TEXT NOT NULL DEFAULT '',
    image_sha256 TEXT NOT NULL DEFAULT '',
    image_path TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS judgments (
    query_id TEXT NOT NULL,
    figure_id TEXT NOT NULL,
    annotator TEXT NOT NULL,
    grade INTEGER NOT NULL,
    time TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (query_id, figure_id, annotator)
);
CREATE TABLE IF NOT EXISTS judgment_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query_id TEXT NOT NULL,
    figure_id TEXT NOT NULL,
    annotator TEXT NOT NULL,
    grade INTEGER NOT NULL,
    time TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS judgment_history_pair ON judgment_history (query_id, figure_id);
CREATE TRIGGER IF NOT EXISTS judgment_history_no_update BEFORE UPDATE ON judgment_history
BEGIN SELECT RAISE(ABORT, 'judgment_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS judgment_history_no_delete BEFORE DELETE ON judgment_history
BEGIN SELECT RAISE(ABORT, 'judgment_history is append-only'); END;
CREATE TABLE IF NOT EXISTS search_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    user TEXT NOT NULL,
    query_id TEXT NOT NULL DEFAULT '',
    query_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    hits_json TEXT NOT NULL
);
"""
