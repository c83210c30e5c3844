"""What two ingests of the same inputs must agree on, read straight from a collection's files."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def stored_rows(collection: Path) -> dict[str, list]:
    """Every stored row that reading decides (patents, figures, labels, links), and the figure PNG bytes."""
    db = sqlite3.connect(collection / "collection.sqlite")
    try:
        rows = {
            table: sorted(map(repr, db.execute(f"SELECT * FROM {table}")))  # noqa: S608 - fixed names
            for table in ("patents", "figures", "labels", "links")
        }
    finally:
        db.close()
    rows["pngs"] = sorted((p.name, p.read_bytes()) for p in (collection / "figures").glob("*.png"))
    return rows
