"""One demo collection per test session, shared by the app tests (``test_app``) and the browser test."""

from __future__ import annotations

from pathlib import Path

_BUILT: dict[str, Path] = {}


def demo_collection(tmp_path_factory) -> Path:
    """Build the demo collection once per test session (ingest + indexes) and return its folder."""
    if "path" not in _BUILT:
        from patimg.demo import build_demo_collection

        path = tmp_path_factory.mktemp("app") / "demo"
        build_demo_collection(path)
        _BUILT["path"] = path
    return _BUILT["path"]
