"""Session fixtures shared by all tests: the real data folder and the demo collection.

The demo collection (``patimg.demo``: made-up publications drawn by PatImg, ingested and indexed by the ordinary
pipeline) is built once per session and only read; a test that writes takes ``demo_copy``. Set
``PATIMG_TEST_DEMO_COLLECTION`` to an already built demo collection to skip the build (local runs).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.realdata import shared_data_path

# Ingest reads drawings in this process during tests: a worker pool per ingest call would start two fresh
# interpreters (each loading the OCR models) dozens of times. The pool itself is tested in test_reading.py,
# which asks for it by ``workers=``.
os.environ.setdefault("PATIMG_WORKERS", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ``../shared/data`` with real USPTO and EPO publications (skips, or fails under CI)."""
    return shared_data_path()


@pytest.fixture(scope="session")
def demo_collection(tmp_path_factory) -> Path:
    """The demo collection, built once per session (ingest + indexes). Read only: see ``demo_copy``."""
    given = os.environ.get("PATIMG_TEST_DEMO_COLLECTION")
    if given:
        return Path(given)
    from patimg.demo import build_demo_collection

    path = tmp_path_factory.mktemp("app") / "demo"
    build_demo_collection(path)
    return path


@pytest.fixture
def demo_copy(demo_collection: Path, tmp_path: Path, monkeypatch) -> Path:
    """A copy of the demo collection without judgments, opened by the app: for tests that write."""
    copy = tmp_path / "demo"
    shutil.copytree(demo_collection, copy, ignore=shutil.ignore_patterns("judgments.sqlite*"))
    monkeypatch.setenv("PATIMG_COLLECTION", str(copy))
    return copy


@pytest.fixture
def with_collection(demo_collection: Path, monkeypatch) -> Path:
    """The demo collection opened (read only) by the app."""
    monkeypatch.setenv("PATIMG_COLLECTION", str(demo_collection))
    return demo_collection
