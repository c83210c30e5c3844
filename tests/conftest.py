"""Session fixtures shared by all tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import shared_data_path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ``../shared/data`` with real USPTO and EPO publications (skips, or fails under CI)."""
    return shared_data_path()


@pytest.fixture
def demo_copy(tmp_path_factory, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the session's demo collection (no judgments), opened by the app: for tests that write."""
    from tests.appdemo import demo_collection_copy

    copy = demo_collection_copy(tmp_path_factory, tmp_path)
    monkeypatch.setenv("PATIMG_COLLECTION", str(copy))
    return copy
