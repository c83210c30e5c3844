"""Where the real patent data lives (``../shared/data``), how tests reach it, and the one rule for a missing
prerequisite: skip, or fail under CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PATIMG_SHARED_DATA", REPO.parent / "shared" / "data"))


def skip_or_fail(message: str) -> None:
    """Skip the test for a missing prerequisite; under CI (``CI=true``), where every one is provided, fail."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def shared_data_path(*parts: str) -> Path:
    """Path under the shared real-data folder; skip (or fail under CI) when it is absent.

    Under CI (``CI=true``) the data is always provided, so its absence is a failure, not a skip.
    """
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        skip_or_fail(
            f"real patent data not found at {path} (set PATIMG_SHARED_DATA or check out ../shared/data)"
        )
    return path
