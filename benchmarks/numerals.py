"""Benchmark: reading reference signs on real patent drawings against the hand-made ground truth.

For every image in ``../shared/data/numerals_groundtruth.json`` the drawing is read with
``patimg.ocr.read_drawing`` (rotation detected, not given) and the SET of reference signs read is
compared with the ground-truth ``labels``: precision, recall and F1 per image and in total
(micro-averaged over all images), seconds per image, and whether the detected rotation matches.

    python benchmarks/numerals.py [--ocr rapidocr|easyocr] [--limit N] [--json out.json] [--cache DIR]
    python benchmarks/numerals.py --demo 12

``--demo N`` scores the same reader on the sheets of N demo publications that PatImg draws itself
(``patimg.demo``: another font, other layouts, every other sheet turned a quarter turn), where the
numerals written are known exactly. The OCR post-processing was tuned on the real drawings only, so
this is a check on drawings it has never seen; it is synthetic, so it does not replace real ones.

``--cache`` memoises the backend's detection and recognition calls on disk (keyed by the pixels),
so tuning the post-processing does not re-run the networks; timings then measure the cache, not
the OCR, and the table says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared_data import DATA

from patimg.ocr import get_ocr, read_drawing

SHARED_DATA = DATA


class CachedBackend:
    """Wraps an OCR backend, memoising ``detect`` and ``recognize`` per array on disk."""

    def __init__(self, backend, folder: Path) -> None:
        self._backend = backend
        self.name = backend.name
        self._path = (
            folder
            / f"{backend.name}-{hashlib.sha1(repr(getattr(backend, 'options', '')).encode()).hexdigest()[:8]}.pkl"
        )
        folder.mkdir(parents=True, exist_ok=True)
        self._memo = pickle.loads(self._path.read_bytes()) if self._path.exists() else {}

    @staticmethod
    def _key(kind: str, array) -> str:
        return kind + hashlib.sha1(array.tobytes() + repr(array.shape).encode()).hexdigest()

    def detect(self, gray):
        key = self._key("d", gray)
        if key not in self._memo:
            self._memo[key] = self._backend.detect(gray)
        return self._memo[key]

    def recognize(self, crops):
        keys = [self._key("r", c) for c in crops]
        missing = [i for i, k in enumerate(keys) if k not in self._memo]
        for i, read in zip(missing, self._backend.recognize([crops[i] for i in missing]), strict=True):
            self._memo[keys[i]] = read
        return [self._memo[k] for k in keys]

    def direction(self, crops):
        keys = [self._key("c", c) for c in crops]
        missing = [i for i, k in enumerate(keys) if k not in self._memo]
        for i, vote in zip(missing, self._backend.direction([crops[i] for i in missing]), strict=True):
            self._memo[keys[i]] = vote
        return [self._memo[k] for k in keys]

    def save(self) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(self._memo))
        tmp.replace(self._path)


def prf(found: set[str], truth: set[str]) -> tuple[int, int, int, float, float, float]:
    """True positives, found, truth, precision, recall, F1 (empty-vs-empty counts as perfect)."""
    hits = len(found & truth)
    precision = hits / len(found) if found else (1.0 if not truth else 0.0)
    recall = hits / len(truth) if truth else (1.0 if not found else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return hits, len(found), len(truth), precision, recall, f1


#: image key, loader of the PIL image, the true signs, the true rotation
Case = tuple[str, Callable[[], Any], set[str], int]


def shared_data_cases() -> list[Case] | None:
    """The real drawings of ``numerals_groundtruth.json``: key, loader, true signs, true rotation."""
    truth_file = SHARED_DATA / "numerals_groundtruth.json"
    if not truth_file.exists():
        print(f"ground truth not found at {truth_file}; set PATIMG_SHARED_DATA", file=sys.stderr)
        return None
    from PIL import Image

    def loader(path: Path) -> Callable[[], Any]:
        def load() -> Any:
            with Image.open(path) as image:
                image.load()
                return image

        return load

    images = json.loads(truth_file.read_text())["images"]
    return [
        (key, loader(SHARED_DATA / key), set(images[key]["labels"]), images[key]["rotation"])
        for key in sorted(images)
    ]


def demo_cases(n_publications: int) -> list[Case]:
    """Sheets PatImg draws (``patimg.demo``) with the numerals written on them; every other sheet is
    turned so that it needs ``rotation`` (90 or 270 degrees clockwise) to be upright again."""
    from patimg.demo import demo_publications, draw_sheets
    from patimg.ocr import rotate_image

    cases: list[Case] = []
    for publication in demo_publications(n_patents=n_publications, seed=1):
        for k, (image, written) in enumerate(draw_sheets(publication, seed=1), start=1):
            rotation = (0, 90, 0, 270)[len(cases) % 4]
            turned = rotate_image(image, (360 - rotation) % 360)
            signs = {sign for sign, _ in written}
            cases.append((f"demo/{publication.sheet_file(k)}", lambda im=turned: im, signs, rotation))
    return cases


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocr", default="rapidocr", choices=["rapidocr", "easyocr"])
    parser.add_argument("--limit", type=int, default=0, help="only the first N images")
    parser.add_argument("--json", type=Path, help="write per-image results here")
    parser.add_argument("--cache", type=Path, help="memoise OCR calls in this folder (for tuning)")
    parser.add_argument("--verbose", action="store_true", help="list missed and extra signs per image")
    parser.add_argument(
        "--demo", type=int, default=0, metavar="N", help="score N synthetic demo publications instead"
    )
    args = parser.parse_args(argv)
    ocr = get_ocr(args.ocr)
    if args.cache:
        ocr = CachedBackend(ocr, args.cache)
    if args.demo:
        cases = demo_cases(args.demo)
    else:
        cases = shared_data_cases()
        if cases is None:
            return 2
    if args.limit:
        cases = cases[: args.limit]

    rows = []
    print(f"{'image':58} {'rot':>7} {'P':>5} {'R':>5} {'F1':>5} {'s':>6}")
    for key, load_image, expected, rotation_truth in cases:
        image = load_image()
        start, start_cpu = time.perf_counter(), time.process_time()
        drawing = read_drawing(image, ocr=ocr)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        found = drawing.signs()
        hits, n_found, n_truth, precision, recall, f1 = prf(found, expected)
        rotation_ok = drawing.rotation == rotation_truth
        rows.append(
            {
                "image": key,
                "rotation": drawing.rotation,
                "rotation_truth": rotation_truth,
                "hits": hits,
                "found": n_found,
                "truth": n_truth,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "missed": sorted(expected - found),
                "extra": sorted(found - expected),
                "captions": [c.text for c in drawing.captions()],
            }
        )
        rot = f"{drawing.rotation}{'' if rotation_ok else '≠' + str(rotation_truth)}"
        print(f"{key[-58:]:58} {rot:>7} {precision:5.2f} {recall:5.2f} {f1:5.2f} {seconds:6.1f}", flush=True)
        if args.verbose:
            print(
                f"    missed {rows[-1]['missed']}  extra {rows[-1]['extra']}  captions {rows[-1]['captions']}"
            )
        if args.cache:
            ocr.save()

    hits = sum(r["hits"] for r in rows)
    n_found = sum(r["found"] for r in rows)
    n_truth = sum(r["truth"] for r in rows)
    precision = hits / n_found if n_found else 0.0
    recall = hits / n_truth if n_truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    rotation_accuracy = sum(r["rotation"] == r["rotation_truth"] for r in rows) / len(rows)
    seconds = sum(r["seconds"] for r in rows) / len(rows)
    cpu_seconds = sum(r["cpu_seconds"] for r in rows) / len(rows)
    print(
        f"TOTAL {len(rows)} images  signs: {hits} correct / {n_found} read / {n_truth} true  "
        f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}  rotation accuracy={rotation_accuracy:.3f}  "
        f"{seconds:.1f} s/image ({cpu_seconds:.1f} CPU s){' (cached OCR calls: not a speed figure)' if args.cache else ''}"
    )
    print(f"macro F1 over images = {sum(r['f1'] for r in rows) / len(rows):.3f}")
    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])]))
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "precision": precision, "recall": recall, "f1": f1}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
