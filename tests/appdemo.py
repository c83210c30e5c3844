"""One demo collection per test session, shared by the app tests (``test_app``) and the browser test.

Set ``PATIMG_TEST_DEMO_COLLECTION`` to an already built demo collection to skip the build (local runs).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_BUILT: dict[str, Path] = {}


def demo_collection(tmp_path_factory) -> Path:
    """Build the demo collection once per test session (ingest + indexes) and return its folder."""
    if "path" not in _BUILT:
        given = os.environ.get("PATIMG_TEST_DEMO_COLLECTION")
        if given:
            _BUILT["path"] = Path(given)
        else:
            from patimg.demo import build_demo_collection

            path = tmp_path_factory.mktemp("app") / "demo"
            build_demo_collection(path)
            _BUILT["path"] = path
    return _BUILT["path"]


def demo_collection_copy(tmp_path_factory, folder: Path) -> Path:
    """A copy of the session's demo collection in ``folder``, without judgments, for a test that writes."""
    copy = folder / "demo"
    shutil.copytree(
        demo_collection(tmp_path_factory), copy, ignore=shutil.ignore_patterns("judgments.sqlite*")
    )
    return copy
