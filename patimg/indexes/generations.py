"""A collection's indexes come in generations, so that a search never mixes two builds.

``indexes/CURRENT`` names the current generation, a folder ``indexes/<generation>/`` holding one folder per
channel. ``patimg index`` writes a whole new generation (channels that did not change are hard links to the old
files, so nothing large is copied) and then replaces ``CURRENT`` atomically: a search that opens the indexes while
a build runs gets every channel from the old generation or every channel from the new one. The generation a
build replaced is kept (a search may be loading it at that moment); older ones are removed by the next build.

A collection built before generations (``indexes/<channel>/``) is read as it is until its next build.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

from patimg.fileio import atomic_write_text

POINTER = "CURRENT"


def current_generation(root: Path) -> Path:
    """The folder holding the current channel folders (``root`` itself for an older collection)."""
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except OSError:
        return root
    return root / name if name and (root / name).is_dir() else root


def new_generation(root: Path) -> Path:
    """A new, empty generation folder (published by :func:`publish`)."""
    folder = root / f"g{time.time_ns()}-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    return folder


def link_channel(source: Path, target: Path) -> None:
    """Make ``target`` a copy of the channel folder ``source`` by hard links (a real copy where links fail).

    Files are replaced by atomic renames, never written in place, so a generation never changes another one.
    """

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def publish(root: Path, generation: Path) -> None:
    """Make ``generation`` current, then remove the generations before the one it replaces."""
    replaced = current_generation(root)
    atomic_write_text(root / POINTER, generation.name)
    keep = {generation.resolve(), replaced.resolve()}
    for folder in root.iterdir():
        if not folder.is_dir() or folder.resolve() in keep:
            continue
        is_generation = folder.name.startswith("g") and not (folder / "index_infos.json").exists()
        is_old_channel = replaced.resolve() != root.resolve() and (folder / "index_infos.json").exists()
        if is_generation or is_old_channel:
            shutil.rmtree(folder, ignore_errors=True)
