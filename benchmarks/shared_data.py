"""Where the benchmarks find the real patent data: ``$PATIMG_SHARED_DATA``, else ``../shared/data`` beside the
checkout. The benchmarks import the installed ``patimg`` (``pip install -e .``), never this folder's parent."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PATIMG_SHARED_DATA", REPO.parent / "shared" / "data"))
