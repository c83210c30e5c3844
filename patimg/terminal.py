"""What the command line writes on a terminal: escaped text, tqdm progress bars on stderr, JSON on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def printable(text: object) -> str:
    """``text`` safe to print on a terminal: control and other unprintable characters escaped (``\\x1b``).

    File names may hold any character but ``/`` and NUL; printed raw, an escape sequence in one would move
    the cursor, clear the screen or hide the rest of the line. Spaces and printable non-ASCII stay as they are.
    """
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def progress_bar():
    """A ``progress(stage, done, total, item)`` callback drawing tqdm bars on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int, item: str) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="item", file=sys.stderr, leave=True)
        bar.total = total
        bar.n = done
        bar.set_postfix_str(printable(Path(item).name[:40]) if item else "")
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


def print_json(payload) -> None:
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
