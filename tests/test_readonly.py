"""A read-only collection (a read-only mount, another user's folder) can be listed, searched and evaluated; ingest
and index say they cannot write, with no traceback and nothing changed.

The collection is mounted read-only with a bind mount in a private mount namespace (``unshare -m``, as root);
where that is not allowed the test skips (fails under CI, which runs as root).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.realdata import skip_or_fail

pytestmark = pytest.mark.slow


def _readonly(folder: Path, *argv: str) -> subprocess.CompletedProcess:
    """Run ``python -m patimg ARGV`` with ``folder`` mounted read-only."""
    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "patimg", *argv))
    script = (
        f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
        f"mount -o remount,ro,bind {shlex.quote(str(folder))} || exit 99; exec {command}"
    )
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def readonly_copy(demo_collection: Path, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("ro") / "demo"
    shutil.copytree(demo_collection, copy, ignore=shutil.ignore_patterns("judgments.sqlite*"))
    probe = _readonly(copy, "--help")
    if probe.returncode == 99 or shutil.which("unshare") is None:
        skip_or_fail(f"cannot mount {copy} read-only here (unshare -m needs root): {probe.stderr.strip()}")
    return copy


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


def test_a_readonly_collection_is_listed_searched_and_evaluated(readonly_copy: Path) -> None:
    before = _snapshot(readonly_copy)
    figures = _readonly(readonly_copy, "figures", "--collection", str(readonly_copy), "--json")
    assert figures.returncode == 0, figures.stderr
    listed = json.loads(figures.stdout)
    assert len(listed) == 18

    query = listed[0]["figure_id"]
    argv = ["search", "--collection", str(readonly_copy), "--figure", query, "-k", "5", "--json"]
    searched = _readonly(readonly_copy, *argv)
    assert searched.returncode == 0, searched.stderr
    assert "Traceback" not in searched.stderr
    writable = subprocess.run([sys.executable, "-m", "patimg", *argv], capture_output=True, text=True)
    assert (
        json.loads(searched.stdout) == json.loads(writable.stdout) and len(json.loads(searched.stdout)) == 5
    )

    evaluated = _readonly(
        readonly_copy, "eval", "--collection", str(readonly_copy), "--same-patent", "--json"
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert set(json.loads(evaluated.stdout)["runs"]) == {
        "text",
        "visual",
        "fused-max",
        "fused-avg",
        "fused-rrf",
        "fused-weighted",
    }
    (readonly_copy / "judgments.sqlite").unlink()  # the writable search above logged there
    for name in ("judgments.sqlite-wal", "judgments.sqlite-shm"):
        (readonly_copy / name).unlink(missing_ok=True)
    assert _snapshot(readonly_copy) == before


def test_writing_to_a_readonly_collection_is_one_message(readonly_copy: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    drawing = tmp_path / "drawing.png"
    image = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(image).rectangle((50, 50, 250, 250), outline=0, width=4)
    image.save(drawing)
    before = _snapshot(readonly_copy)
    for argv in (
        ["ingest", str(drawing), "--collection", str(readonly_copy)],
        ["index", "--collection", str(readonly_copy), "--quiet"],
    ):
        done = _readonly(readonly_copy, *argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert done.stderr.strip().endswith("(searching and browsing it still work)"), done.stderr
        assert f"collection {readonly_copy} is read-only" in done.stderr
        assert "Traceback" not in done.stderr
    assert _snapshot(readonly_copy) == before
