"""Session fixtures shared by all tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import shared_data_path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ``../shared/data`` with real USPTO and EPO publications (skips, or fails under CI)."""
    return shared_data_path()
