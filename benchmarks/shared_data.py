"""Where the benchmarks find the real patent data: ``$PATIMG_SHARED_DATA``, else ``../shared/data`` beside the
checkout. The benchmarks import the installed ``patimg`` (``pip install -e .``), never this folder's parent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PATIMG_SHARED_DATA", REPO.parent / "shared" / "data"))


def real_sources(given: list[Path], *defaults: str) -> list[Path] | None:
    """The publications a benchmark reads: those given, else ``defaults`` under :data:`DATA`; None (after saying
    which are missing) when any is absent, for the benchmark to skip."""
    sources = given or [DATA / default for default in defaults]
    missing = [s for s in sources if not s.exists()]
    if missing:
        print(f"skipped: real data not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return None
    return sources
