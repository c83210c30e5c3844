"""One demo collection per test session, shared by the app tests (``test_app``) and the browser test.

Set ``PATIMG_TEST_DEMO_COLLECTION`` to an already built demo collection to skip the build (local runs).
"""

from __future__ import annotations

import os
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
