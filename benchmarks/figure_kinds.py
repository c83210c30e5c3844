"""Figure kinds (drawing, diagram, chart, chemical, table): confusion tables on hand-labelled real figures and on
generated ones, accuracy, and milliseconds a figure.

Real figures: every image named in ``tests/data/figure_kinds.json`` (labelled by looking at each one; see its
``schema``) goes through the ingest path — text read upright by the OCR, sheet split into figures, each figure
cropped as ingest crops it — and each figure is classified (:func:`patimg.figures.figure_kind`). Its truth is the
label of its figure number where the image's figures differ, else the image's. These figures were looked at
while the cues were tuned.

Generated figures (:func:`patimg.demo.figure_kinds.kind_figure`, seeds from ``--seed-start``, by default the
held-out range no one tuned on): classified with their true text (what a perfect OCR reads), and with no text
at all (``ink only``: what the cues give without the OCR); the first ``--ocr-sample`` of them also through the
OCR like a real image.

Usage::

    python benchmarks/figure_kinds.py [--generated 500] [--seed-start 1000000] [--ocr-sample 0]
                                      [--reads reads.json] [--ocr rapidocr] [--real/--no-real] [--json out.json]

``--reads`` keeps what the OCR read on each real image in a JSON file and reuses it on the next run, so a change
to the cues is re-measured on the real figures in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from collections import Counter

from measured import KeptReads, add_measure_options, run_sections
from shared_data import DATA, REPO

LABELS = REPO / "tests" / "data" / "figure_kinds.json"


def main() -> int:
    from patimg.demo.figure_kinds import HELD_OUT_START

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_measure_options(parser, what="figures", held_out_start=HELD_OUT_START)
    args = parser.parse_args()
    return run_sections(args, __file__, real=real_figures, generated=generated_figures)


def image_bytes(key: str) -> bytes:
    """The bytes of a labelled image: a file under the data folder, or ``archive.ZIP:member`` inside one."""
    if ".ZIP:" in key:
        archive, member = key.split(":", 1)
        with zipfile.ZipFile(DATA / archive) as opened:
            return opened.read(member)
    return (DATA / key).read_bytes()


def read_figures(key: str, kind: str, reads: KeptReads):
    """The figures of one labelled image as ingest crops them: ``[(figure number, image, labels)]``."""
    from patimg.figures import load_drawing
    from patimg.reading import labels_on_crop, padded_box

    result = reads.figures(key, load_drawing(image_bytes(key), name=key), kind)
    out = []
    for region in result.regions:
        x0, y0, x1, y1 = padded_box(result.image.size, region.box)
        crop = result.image.crop((x0, y0, x1, y1))
        out.append((region.figure_num, crop, labels_on_crop(region.labels, (x0, y0))))
    return out


def real_figures(args) -> dict:
    from patimg.figures.kind import figure_cues, kind_from_cues

    if not LABELS.exists() or not DATA.exists():
        print(f"real figures skipped: {LABELS} or {DATA} not found", file=sys.stderr)
        return {}
    labelled = json.loads(LABELS.read_text())["images"]
    reads = KeptReads(args.reads, args.ocr)
    pairs, mistakes, seconds = [], [], []
    for key, truth in sorted(labelled.items()):
        image_kind = truth.get("drawing_kind", "sheet")
        for number, crop, labels in read_figures(key, image_kind, reads):
            wanted = truth.get("figures", {}).get(number, truth.get("kind"))
            if wanted is None:
                print(f"unlabelled figure {number!r} of {key}", file=sys.stderr)
                continue
            start = time.perf_counter()
            cues = figure_cues(crop, labels)
            got = kind_from_cues(cues)
            seconds.append(time.perf_counter() - start)
            pairs.append((wanted, got))
            if got != wanted:
                mistakes.append(f"{key} fig {number or '-'}: {wanted} read as {got}; {cues}")
    reads.save()
    return summarise("REAL (hand-labelled, looked at while tuning)", pairs, seconds, mistakes)


def generated_figures(args) -> dict:
    from patimg.demo.figure_kinds import kind_figure
    from patimg.figures.kind import figure_cues, kind_from_cues

    seeds = range(args.seed_start, args.seed_start + args.generated)
    runs = {"true text": ([], [], []), "ink only": ([], [], []), "OCR": ([], [], [])}
    ocr = None
    for i, seed in enumerate(seeds):
        figure = kind_figure(seed)
        for run, labels in (("true text", figure.labels), ("ink only", None)):
            pairs, seconds, mistakes = runs[run]
            start = time.perf_counter()
            cues = figure_cues(figure.image, labels)
            got = kind_from_cues(cues)
            seconds.append(time.perf_counter() - start)
            pairs.append((figure.kind, got))
            if got != figure.kind:
                mistakes.append(f"seed {seed} ({figure.style}): {figure.kind} read as {got}; {cues}")
        if i < args.ocr_sample:
            from patimg.figures import figures_from_drawing
            from patimg.ocr import get_ocr

            ocr = ocr or get_ocr(args.ocr)
            found = figures_from_drawing(figure.image, ocr=ocr, kind="figure")
            pairs, seconds, mistakes = runs["OCR"]
            start = time.perf_counter()
            cues = figure_cues(found.image, found.labels)
            got = kind_from_cues(cues)
            seconds.append(time.perf_counter() - start)
            pairs.append((figure.kind, got))
            if got != figure.kind:
                mistakes.append(f"seed {seed} ({figure.style}): {figure.kind} read as {got}; {cues}")
    first, last = seeds.start, seeds.stop - 1
    return {
        run: summarise(f"GENERATED, {run} (seeds {first}-{last})", *values)
        for run, values in runs.items()
        if values[0]
    }


def summarise(title: str, pairs, seconds, mistakes) -> dict:
    """Print a confusion table (rows: truth, columns: what was read), accuracy, per-kind recall and precision,
    time a figure, and the mistakes; return them."""
    from patimg.vocabulary import FIGURE_KINDS

    counts = Counter(pairs)
    print(f"\n{title}: {len(pairs)} figures")
    corner = "truth \\ read"
    print(f"{corner:>14s} " + " ".join(f"{k:>9s}" for k in FIGURE_KINDS) + "    recall")
    for truth in FIGURE_KINDS:
        row = [counts[(truth, got)] for got in FIGURE_KINDS]
        total = sum(row)
        recall = f"{counts[(truth, truth)] / total:.2f}" if total else "   -"
        print(f"{truth:>14s} " + " ".join(f"{n:9d}" for n in row) + f"    {recall} of {total}")
    precision = {}
    for kind in FIGURE_KINDS:
        read = sum(counts[(truth, kind)] for truth in FIGURE_KINDS)
        precision[kind] = counts[(kind, kind)] / read if read else None
    print(
        f"{'precision':>14s} "
        + " ".join(f"{p:9.2f}" if p is not None else f"{'-':>9s}" for p in precision.values())
    )
    right = sum(n for (truth, got), n in counts.items() if truth == got)
    ms = sorted(1000 * s for s in seconds)
    accuracy = right / len(pairs) if pairs else 0.0
    timing = f"{sum(ms) / len(ms):.1f} ms a figure (p95 {ms[int(0.95 * (len(ms) - 1))]:.1f})" if ms else ""
    print(f"accuracy {right}/{len(pairs)} = {accuracy:.3f}; {timing} on {os.cpu_count()} cores")
    for line in mistakes[:40]:
        print(f"  {line}")
    if len(mistakes) > 40:
        print(f"  ... and {len(mistakes) - 40} more")
    return {
        "figures": len(pairs),
        "accuracy": accuracy,
        "confusion": {f"{t}->{g}": n for (t, g), n in sorted(counts.items())},
        "precision": precision,
        "ms_mean": sum(ms) / len(ms) if ms else None,
        "mistakes": mistakes,
    }


if __name__ == "__main__":
    raise SystemExit(main())
