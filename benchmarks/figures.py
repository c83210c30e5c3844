"""Sheet → figures on real drawings: rotation and caption splitting against the hand-made ground truth.

For every drawing in ``../shared/data/numerals_groundtruth.json``: detect the rotation, read the text, split
the sheet, and compare with the ground truth's ``rotation`` and printed ``figures`` (captions). An image that
prints one caption or none counts as right when it stays one figure.

Usage::

    python benchmarks/figures.py [--ocr rapidocr] [--limit N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from shared_data import DATA


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocr", default="rapidocr")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    truth_path = DATA / "numerals_groundtruth.json"
    if not truth_path.exists():
        print(f"skipped: ground truth not found at {truth_path}", file=sys.stderr)
        return 0

    from patimg.figures import figure_number, figures_from_drawing, load_drawing
    from patimg.ocr import get_ocr

    truth = json.loads(truth_path.read_text())["images"]
    items = sorted(truth.items())[: args.limit or None]
    ocr = get_ocr(args.ocr)
    rows = []
    for key, expected in items:
        start = time.perf_counter()
        image = load_drawing(DATA / key, name=key)
        kind = "abstract" if "/imgaf" in key else ("figure" if "/ep/" in key else "sheet")
        result = figures_from_drawing(image, ocr=ocr, kind=kind)
        seconds = time.perf_counter() - start
        wanted = sorted(figure_number(c).upper() for c in expected["figures"])
        got = sorted(figure_number(r.caption).upper() for r in result.regions if r.split != "whole-sheet")
        multi = len(wanted) >= 2
        right = wanted == got if multi else len(result.regions) == 1
        rows.append(
            {
                "image": key,
                "kind": kind,
                "rotation_ok": result.rotation == expected["rotation"],
                "captions": len(wanted),
                "regions": len(result.regions),
                "split_ok": right,
                "seconds": round(seconds, 2),
            }
        )

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(f"{'image':55s} {'rot':>4s} {'capt':>4s} {'regs':>4s} {'split':>5s} {'sec':>6s}")
    for row in rows:
        print(
            f"{row['image']:55s} {'ok' if row['rotation_ok'] else 'BAD':>4s} {row['captions']:4d} "
            f"{row['regions']:4d} {'ok' if row['split_ok'] else 'BAD':>5s} {row['seconds']:6.2f}"
        )
    multi = [r for r in rows if r["captions"] >= 2]
    single = [r for r in rows if r["captions"] < 2]
    total_seconds = sum(r["seconds"] for r in rows)
    print(
        f"rotation right: {sum(r['rotation_ok'] for r in rows)}/{len(rows)}; "
        f"multi-caption images split exactly: {sum(r['split_ok'] for r in multi)}/{len(multi)}; "
        f"single-figure images kept whole: {sum(r['split_ok'] for r in single)}/{len(single)}; "
        f"{total_seconds / max(len(rows), 1):.2f} s per image on {os.cpu_count()} cores"
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
