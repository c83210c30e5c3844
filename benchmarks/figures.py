"""Sheet → figures: rotation, captions and splitting on real drawings, and on generated layouts with true boxes.

Real drawings: every image of ``../shared/data/numerals_groundtruth.json`` (hand-made: rotation and printed
captions, no figure boxes). Rotation is detected, the text read and the sheet split; a sheet printing several
captions counts as split exactly when it becomes one ``"caption"`` region per printed caption, one printing
one caption or none when it stays one figure. These sheets were looked at while the splitter was developed.

Generated layouts (:mod:`patimg.demo.layouts`, seeds from ``--seed-start``, by default the held-out range no
one tunes on): each sheet is split with its true labels (what a perfect OCR reads, so the splitter alone is
measured), and the first ``--ocr-sample`` of them also go through the OCR and rotation like a real sheet.
Per figure: IoU of its region's box with the true box (0 when no region carries its number), and whether each
of its numerals landed in its region.

Usage::

    python benchmarks/figures.py [--ocr rapidocr] [--limit N] [--reads reads.json]
                                 [--generated 500] [--seed-start 1000000] [--ocr-sample 10] [--json out.json]

``--reads`` keeps what the OCR read on each real image (rotation and labels) in a JSON file and reuses it on
the next run, so a change to the splitter is re-measured on the real sheets in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from measured import KeptReads, add_measure_options, run_sections
from shared_data import DATA


def main() -> int:
    from patimg.demo.layouts import HELD_OUT_START

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="real images (0: all)")
    add_measure_options(parser, what="sheets", held_out_start=HELD_OUT_START)
    args = parser.parse_args()
    return run_sections(args, __file__, real=real_sheets, generated=generated_sheets)


def _ocr(args):
    from patimg.ocr import get_ocr

    return get_ocr(args.ocr)


def real_sheets(args) -> list[dict]:
    truth_path = DATA / "numerals_groundtruth.json"
    if not truth_path.exists():
        print(f"real sheets skipped: ground truth not found at {truth_path}", file=sys.stderr)
        return []
    from patimg.figures import figure_number, find_captions, load_drawing

    truth = json.loads(truth_path.read_text())["images"]
    items = sorted(truth.items())[: args.limit or None]
    reads = KeptReads(args.reads, args.ocr)
    rows = []
    for key, expected in items:
        start = time.perf_counter()
        image = load_drawing(DATA / key, name=key)
        kind = "abstract" if "/imgaf" in key else ("figure" if "/ep/" in key else "sheet")
        result = reads.figures(key, image, kind)
        seconds = time.perf_counter() - start
        wanted = sorted(figure_number(c).upper() for c in expected["figures"])
        read_numbers = {figure_number(c.text).upper() for c in find_captions(result.labels)}
        got = sorted(figure_number(r.caption).upper() for r in result.regions if r.split == "caption")
        multi = len(wanted) >= 2
        rows.append(
            {
                "image": key,
                "kind": kind,
                "rotation_ok": result.rotation == expected["rotation"],
                "captions": len(wanted),
                "captions_found": sum(n in read_numbers for n in wanted),
                "regions": len(result.regions),
                "split": ",".join(sorted({r.split for r in result.regions})),
                "split_ok": wanted == got if multi else len(result.regions) == 1,
                "seconds": round(seconds, 2),
            }
        )
    reads.save()
    print(f"{'real image':68s} {'rot':>4s} {'capt':>4s} {'found':>5s} {'regs':>4s} {'split':>5s} {'sec':>6s}")
    for row in rows:
        print(
            f"{row['image']:68s} {'ok' if row['rotation_ok'] else 'BAD':>4s} {row['captions']:4d} "
            f"{row['captions_found']:5d} {row['regions']:4d} {'ok' if row['split_ok'] else 'BAD':>5s} "
            f"{row['seconds']:6.2f}"
        )
    multi = [r for r in rows if r["captions"] >= 2]
    single = [r for r in rows if r["captions"] < 2]
    print(
        f"REAL: rotation right {sum(r['rotation_ok'] for r in rows)}/{len(rows)}; "
        f"captions found {sum(r['captions_found'] for r in rows)}/{sum(r['captions'] for r in rows)}; "
        f"multi-caption images split exactly {sum(r['split_ok'] for r in multi)}/{len(multi)}; "
        f"single-figure images kept whole {sum(r['split_ok'] for r in single)}/{len(single)}; "
        f"{sum(r['seconds'] for r in rows) / max(len(rows), 1):.2f} s per image on {os.cpu_count()} cores "
        f"(OCR reads {'made' if reads.used_ocr else 'cached'}); no true boxes, so no IoU"
    )
    return rows


def score_sheet(sheet, regions) -> dict:
    """Compare regions found on a generated sheet with its truth (exposed for the tests)."""
    from patimg.figures import figure_number

    by_number: dict[str, object] = {}
    for region in regions:
        if region.split != "whole-sheet" and region.figure_num:
            by_number.setdefault(figure_number(region.caption).upper(), region)
    ious, numerals_ok, numerals = [], 0, 0
    for figure in sheet.figures:
        region = by_number.get(figure.figure_num.upper())
        if region is None and len(sheet.figures) == 1 and len(regions) == 1:
            region = regions[0]
        ious.append(box_iou(region.box, figure.box) if region is not None else 0.0)
        for numeral in figure.numerals:
            numerals += 1
            inside = region is not None and any(
                lab.text == numeral.text and box_iou(lab.box, numeral.box) >= 0.5 for lab in region.labels
            )
            numerals_ok += inside
    wanted = sorted(f.figure_num.upper() for f in sheet.figures)
    got = sorted(figure_number(r.caption).upper() for r in regions if r.split == "caption")
    exact = wanted == got if len(wanted) >= 2 else len(regions) == 1
    return {"ious": ious, "numerals": numerals, "numerals_ok": numerals_ok, "exact": exact}


def box_iou(a, b) -> float:
    """Intersection over union of two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def generated_sheets(args) -> dict:
    from patimg.demo.layouts import layout_sheet
    from patimg.figures import figure_number, figures_from_drawing, find_captions, split_sheet

    seeds = range(args.seed_start, args.seed_start + args.generated)
    ocr = _ocr(args) if args.ocr_sample else None
    results = {"true labels": [], "OCR": []}
    failures = []
    split_seconds = 0.0
    for i, seed in enumerate(seeds):
        sheet = layout_sheet(seed)
        start = time.perf_counter()
        regions = split_sheet(sheet.upright, sheet.labels, rotation=sheet.rotation)
        split_seconds += time.perf_counter() - start
        scored = score_sheet(sheet, regions)
        results["true labels"].append(scored)
        if not scored["exact"] or min(scored["ious"]) < 0.8:
            failures.append(
                f"seed {seed} ({sheet.layout}): IoU {', '.join(f'{v:.2f}' for v in scored['ious'])}"
            )
        if i < args.ocr_sample:
            found = figures_from_drawing(sheet.image, ocr=ocr, kind="sheet")
            scored = score_sheet(sheet, found.regions)
            scored["rotation_ok"] = found.rotation == sheet.rotation
            scored["captions"] = len(sheet.figures)
            read = {figure_number(c.text).upper() for c in find_captions(found.labels)}
            scored["captions_found"] = sum(f.figure_num.upper() in read for f in sheet.figures)
            results["OCR"].append(scored)
            if not scored["exact"] or min(scored["ious"]) < 0.8 or not scored["rotation_ok"]:
                failures.append(
                    f"seed {seed} read by OCR ({sheet.layout}): rotation {found.rotation} for {sheet.rotation}; "
                    f"captions read {sorted(read)}; IoU {', '.join(f'{v:.2f}' for v in scored['ious'])}"
                )
    print(f"generated sheets, seeds {seeds.start}..{seeds.stop - 1}; failures (IoU < 0.8 or not exact):")
    for line in failures[:40]:
        print("  " + line)
    for name, rows in results.items():
        if not rows:
            continue
        ious = [v for r in rows for v in r["ious"]]
        multi = [r for r in rows if len(r["ious"]) >= 2]
        single = [r for r in rows if len(r["ious"]) < 2]
        extra = ""
        if name == "OCR":
            extra = (
                f"; rotation right {sum(r['rotation_ok'] for r in rows)}/{len(rows)}"
                f"; captions found {sum(r['captions_found'] for r in rows)}/{sum(r['captions'] for r in rows)}"
            )
        print(
            f"GENERATED ({name}, {len(rows)} sheets, {len(ious)} figures): "
            f"multi-figure sheets split exactly {sum(r['exact'] for r in multi)}/{len(multi)}; "
            f"singles kept whole {sum(r['exact'] for r in single)}/{len(single)}; "
            f"mean IoU {sum(ious) / len(ious):.3f}; IoU >= 0.8 {sum(v >= 0.8 for v in ious)}/{len(ious)} "
            f"({100 * sum(v >= 0.8 for v in ious) / len(ious):.1f}%); numerals in the right figure "
            f"{sum(r['numerals_ok'] for r in rows)}/{sum(r['numerals'] for r in rows)}{extra}"
        )
    print(f"splitting alone: {1000 * split_seconds / len(seeds):.0f} ms per sheet")
    return {name: rows for name, rows in results.items()}


if __name__ == "__main__":
    sys.exit(main())
