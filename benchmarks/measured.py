"""What several benchmarks do alike: their command line and JSON report, and the OCR's reads of real drawings kept
in a file between runs (``--reads``), so a change after the OCR is re-measured in seconds."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def add_measure_options(parser: argparse.ArgumentParser, *, what: str, held_out_start: int) -> None:
    """The options of a benchmark measured on real drawings and on generated ones (``what``: "sheets")."""
    parser.add_argument("--reads", type=Path, help="cache of the OCR reads of the real images")
    parser.add_argument("--generated", type=int, default=500, help=f"generated {what} (0: none)")
    parser.add_argument("--seed-start", type=int, default=held_out_start)
    parser.add_argument("--ocr-sample", type=int, default=0, help=f"generated {what} also read by the OCR")
    parser.add_argument("--ocr", default="rapidocr")
    parser.add_argument("--real", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--json", type=Path)


def run_sections(args: argparse.Namespace, script: str, *, real: Callable, generated: Callable) -> int:
    """Print the command line, measure on the real drawings (unless ``--no-real``) and on the generated ones
    (unless ``--generated 0``), each a function of ``args``, and write what they return to ``--json``."""
    print(f"command: python benchmarks/{Path(script).name} {' '.join(sys.argv[1:])}")
    sections = {"real": real if args.real else None, "generated": generated if args.generated else None}
    report = {name: section(args) for name, section in sections.items() if section is not None}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


class KeptReads:
    """The OCR's reads (rotation and labels) of real images by key, read from and written back to ``path``."""

    def __init__(self, path: Path | None, ocr_name: str) -> None:
        self.path, self.ocr_name = path, ocr_name
        self.reads = json.loads(path.read_text()) if path and path.exists() else {}
        self._ocr = None
        self.used_ocr = False

    def figures(self, key: str, image, kind: str):
        """``figures_from_drawing(image, kind=kind)``, the OCR skipped when ``key`` was read before."""
        from patimg.figures import figures_from_drawing
        from patimg.ocr import DrawingText, rotate_image
        from patimg.types import Label

        read = None
        if key in self.reads:
            labels = tuple(Label(t, k, tuple(b), c) for t, k, b, c in self.reads[key]["labels"])
            turned = self.reads[key]["rotation"]
            read = DrawingText(rotation=turned, image=rotate_image(image, turned), labels=labels)
        elif self._ocr is None:
            from patimg.ocr import get_ocr

            self._ocr, self.used_ocr = get_ocr(self.ocr_name), True
        result = figures_from_drawing(image, ocr=self._ocr, kind=kind, read=read)
        self.reads[key] = {
            "rotation": result.rotation,
            "labels": [[lab.text, lab.kind, list(lab.box), lab.confidence] for lab in result.labels],
        }
        return result

    def save(self) -> None:
        """Write the reads back (when a path was given)."""
        if self.path:
            self.path.write_text(json.dumps(self.reads))
