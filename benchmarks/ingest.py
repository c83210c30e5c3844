"""Ingest speed on this machine: seconds per sheet per stage, end to end, and against another version.

Two measurements over real publications (default: one USPTO grant with landscape sheets and the EPO package
in ``../shared/data``):

* **stages**, one sheet after the other in this process: parse (XML), load (decode the image), detect (text
  boxes), rotation (reading crops to decide the sheet's turn), recognise (reading every box, glyphs
  included), split (the rest of cutting a sheet into figures: captions, layout, crops, PNG encoding), link
  (signs to sentences), write (figure files and the publication's transaction). CPU seconds are given beside
  wall seconds: on a machine shared with other jobs the wall clock is an upper bound, CPU time steadier.
* **end to end**, ``patimg.ingest`` as a user runs it, with 1 worker and with one per core: sheets per second,
  and seconds per sheet **once running**: the run on every source less the run on the first source alone, over
  the sheets the first one lacks. A corpus of thousands of sheets pays the start (interpreters, models, the
  first sheets in flight: 2-3 s) once, so this is what a sheet costs there.

``--compare-to REF`` runs the end-to-end measurement on the git revision ``REF`` too (checked out in a
temporary worktree, imported from there) and prints the speed-up, so the gain is measured, not remembered.
``--rounds N`` repeats that comparison N times, the two codes alternating, and prints each round's speed-up and the
median: a shared or virtual machine's speed drifts by 10-20% over minutes, so one pair of runs can mislead.

Usage::

    python benchmarks/ingest.py [SOURCE ...] [--ocr rapidocr] [--compare-to REF [--rounds N]] [--json out.json]

Default sources: the four USPTO utility grants (29 sheets, 8 of them landscape) and the EPO package in
``../shared/data``; the first, the smallest, is the one run alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from shared_data import real_sources

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("parse", "load", "detect", "rotation", "recognise", "split", "link", "write")


OCR_STAGES = ("detect", "rotation", "recognise")


def measure(call, *args, keep: bool = False, **kwargs):
    """``(wall s, CPU s)`` of ``call(*args, **kwargs)``; with ``keep``, ``((wall, cpu), result)``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = call(*args, **kwargs)
    seconds = (time.perf_counter() - start, time.process_time() - start_cpu)
    return (seconds, result) if keep else seconds


class TimedOcr:
    """An OCR backend proxy that books each call's time to detect, rotation or recognise."""

    def __init__(self, backend, wall: dict[str, float], cpu: dict[str, float]) -> None:
        self._backend, self.name = backend, backend.name
        self.wall, self.cpu = wall, cpu
        if not hasattr(backend, "direction"):
            self.direction = None  # a backend without a direction classifier looks the same through the proxy

    def _book(self, stage: str, call, *args):
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return call(*args)
        finally:
            self.wall[stage] += time.perf_counter() - start
            self.cpu[stage] += time.process_time() - start_cpu

    def detect(self, gray):
        return self._book("detect", self._backend.detect, gray)

    def direction(self, crops):
        return self._book("rotation", self._backend.direction, crops)

    def recognize(self, crops):
        frame, stage = sys._getframe(1), "recognise"
        while frame is not None:
            if frame.f_code.co_name == "rotation_from_boxes":
                stage = "rotation"
                break
            frame = frame.f_back
        return self._book(stage, self._backend.recognize, crops)


def stage_times(sources: list[Path], ocr_name: str) -> tuple[dict, dict, int, dict]:
    """Wall and CPU seconds per stage over every sheet of ``sources``, read in this process."""
    from patimg.collection import Collection
    from patimg.figures import load_drawing
    from patimg.ocr import get_ocr
    from patimg.reading import read_sheet
    from patimg.sources import find_publications
    from patimg.unit_ingest import drawing_refs, link_figures, sheet_jobs, write_figures

    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    ocr = TimedOcr(get_ocr(ocr_name), wall, cpu)
    sheets = 0

    def timed(stage: str, call, *args, **kwargs):
        (stage_wall, stage_cpu), result = measure(call, *args, keep=True, **kwargs)
        wall[stage] += stage_wall
        cpu[stage] += stage_cpu
        return result

    with tempfile.TemporaryDirectory() as tmp:
        collection = Collection.create(Path(tmp) / "bench")
        units, _ = find_publications(sources, work_dir=collection.path / "work")
        for unit in units:
            document = timed("parse", unit.read_document)
            patent_id = document.patent.patent_id
            jobs = sheet_jobs(patent_id, drawing_refs(document, unit.images))
            readings = []
            for job in jobs:
                load_wall, load_cpu = measure(load_drawing, job.path, name=job.path.name)
                wall["load"] += load_wall
                cpu["load"] += load_cpu
                ocr_wall, ocr_cpu = (sum(book[s] for s in OCR_STAGES) for book in (wall, cpu))
                (reading_wall, reading_cpu), reading = measure(read_sheet, job, ocr=ocr, keep=True)
                readings.append(reading)
                # split: what reading the sheet took beyond the OCR calls and decoding the image
                wall["split"] += reading_wall - (sum(wall[s] for s in OCR_STAGES) - ocr_wall) - load_wall
                cpu["split"] += reading_cpu - (sum(cpu[s] for s in OCR_STAGES) - ocr_cpu) - load_cpu
                sheets += 1
            figures, labels = timed("write", write_figures, collection, readings)
            links = timed("link", link_figures, document=document, figures=figures, labels=labels)
            timed(
                "write",
                collection.write_publication,
                source_key=unit.key,
                source=str(unit.source),
                source_kind=unit.kind,
                patent=document.patent,
                sentences=document.sentences,
                figure_descriptions=document.figure_descriptions,
                figures=figures,
                labels=labels,
                links=links,
            )
        stats = collection.stats()
    return wall, cpu, sheets, stats


END_TO_END = r"""
import inspect, json, os, resource, sys, tempfile, time
from pathlib import Path
from patimg.ingest import ingest
sources, workers = json.loads(sys.argv[1]), int(sys.argv[2])
os.environ["PATIMG_WORKERS"] = str(workers)
kwargs = {"workers": workers} if "workers" in inspect.signature(ingest).parameters else {}
with tempfile.TemporaryDirectory() as tmp:
    start = time.perf_counter()
    report = ingest(sources, collection=Path(tmp) / "c", **kwargs)
    seconds = time.perf_counter() - start
    # CPU of this process and of its finished worker processes: steadier than the wall clock on a shared machine.
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    import sqlite3
    db = sqlite3.connect(Path(tmp) / "c" / "collection.sqlite")
    sheets = db.execute("SELECT COUNT(DISTINCT patent_id || sheet) FROM figures").fetchone()[0]
    signs = db.execute("SELECT COUNT(*) FROM labels WHERE kind = 'reference'").fetchone()[0]
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "sheets": sheets, "figures": report.figures, "signs": signs,
                  "errors": len(report.errors), "workers_supported": bool(kwargs)}))
"""


def end_to_end(sources: list[Path], workers: int, *, code: Path) -> dict:
    """``patimg.ingest`` run in a fresh interpreter importing the package at ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", END_TO_END, json.dumps([str(s) for s in sources]), str(workers)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def running_cost(sources: list[Path], workers: int, *, code: Path) -> dict:
    """:func:`end_to_end` on ``sources``, with ``running_s_per_sheet``: what the sheets beyond the first
    source's cost, from a second run on the first source alone (both runs pay the same start)."""
    full = end_to_end(sources, workers, code=code)
    first = end_to_end(sources[:1], workers, code=code)
    extra = full["sheets"] - first["sheets"]
    full["running_s_per_sheet"] = (full["seconds"] - first["seconds"]) / extra if extra > 0 else None
    return full


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--ocr", default="rapidocr")
    parser.add_argument("--compare-to", metavar="REF", help="git revision to measure end to end as well")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --compare-to: alternating runs of both codes, one reader per core (the machine's speed drifts)",
    )
    parser.add_argument("--no-stages", action="store_true", help="end-to-end measurement only")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sources = real_sources(
        args.sources,
        "patents/us-grants/US12448730-20251021",
        "patents/us-grants/US12448249-20251021",
        "patents/us-grants/US12448254-20251021",
        "patents/us-grants/US12448527-20251021",
        "patents/ep/EP1667425",
    )
    if sources is None:
        return 0
    sources = [s.resolve() for s in sources]  # the end-to-end runs start in another folder
    cores = os.cpu_count() or 1
    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(
        f"machine: {cores} CPU cores, OCR backend {args.ocr}; load average {os.getloadavg()[0]:.1f} at start"
    )
    result: dict = {"sources": [str(s) for s in sources]}
    if not args.no_stages:
        wall, cpu, sheets, stats = stage_times(sources, args.ocr)
        print(f"\nstages, one sheet after the other in this process ({sheets} sheets)")
        print(f"{'stage':10s} {'s/sheet':>8s} {'CPU s/sheet':>12s} {'share':>6s}")
        total_cpu = sum(cpu[s] for s in STAGES)
        for stage in STAGES:
            print(
                f"{stage:10s} {wall[stage] / sheets:8.2f} {cpu[stage] / sheets:12.2f} "
                f"{cpu[stage] / total_cpu:6.0%}"
            )
        print(f"{'total':10s} {sum(wall[s] for s in STAGES) / sheets:8.2f} {total_cpu / sheets:12.2f}")
        print(
            f"collection: {stats['figures']} figures, {stats['signs']} signs, {stats['linked_signs']} linked"
        )
        result["stages"] = {"sheets": sheets, "wall": dict(wall), "cpu": dict(cpu), "stats": stats}

    runs = {
        f"this checkout, {w} worker(s)": running_cost(sources, w, code=ROOT)
        for w in dict.fromkeys((1, cores))
    }
    if args.compare_to:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "ref"
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), args.compare_to],
                check=True,
            )
            try:
                runs[f"{args.compare_to}"] = running_cost(sources, cores, code=tree)
                rounds = [(runs[f"this checkout, {cores} worker(s)"], runs[f"{args.compare_to}"])]
                for _ in range(args.rounds - 1):
                    theirs = running_cost(sources, cores, code=tree)
                    rounds.append((running_cost(sources, cores, code=ROOT), theirs))
            finally:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                )
    print("\nend to end (patimg.ingest, fresh process)")
    print(
        f"{'code':34s} {'sheets':>6s} {'seconds':>8s} {'sheets/s':>9s} {'s/sheet':>8s} {'running':>8s} "
        f"{'CPU s/sheet':>12s} {'signs':>6s}"
    )
    for name, run in runs.items():
        running = run["running_s_per_sheet"]
        print(
            f"{name:34s} {run['sheets']:6d} {run['seconds']:8.1f} {run['sheets'] / run['seconds']:9.3f} "
            f"{run['seconds'] / run['sheets']:8.2f} {running or float('nan'):8.2f} "
            f"{run['cpu_seconds'] / run['sheets']:12.2f} {run['signs']:6d}"
        )
    print("(running: seconds a sheet once running, see the module's docstring)")
    if args.compare_to:
        ours = [run for name, run in runs.items() if name.startswith("this checkout")]
        old = runs[args.compare_to]
        best = min(run["seconds"] for run in ours)
        best_cpu = min(run["cpu_seconds"] for run in ours)
        line = f"speed-up against {args.compare_to}: {old['seconds'] / best:.2f}x end to end"
        best_running = min((r["running_s_per_sheet"] for r in ours if r["running_s_per_sheet"]), default=None)
        if best_running and old["running_s_per_sheet"]:
            line += f", {old['running_s_per_sheet'] / best_running:.2f}x once running"
        print(f"{line}, {old['cpu_seconds'] / best_cpu:.2f}x less CPU time")
    result["end_to_end"] = runs
    if args.compare_to and args.rounds > 1:
        print(f"\nalternating rounds, {cores} worker(s) each: this checkout against {args.compare_to}")
        print(f"{'round':>5s} {'running':>8s} {'theirs':>8s} {'speed-up':>9s} {'end to end':>11s}")
        ratios = []
        for k, (ours, theirs) in enumerate(rounds, start=1):
            if ours["running_s_per_sheet"] and theirs["running_s_per_sheet"]:
                ratios.append(theirs["running_s_per_sheet"] / ours["running_s_per_sheet"])
                print(
                    f"{k:5d} {ours['running_s_per_sheet']:8.3f} {theirs['running_s_per_sheet']:8.3f} "
                    f"{ratios[-1]:8.2f}x {theirs['seconds'] / ours['seconds']:10.2f}x"
                )
        if ratios:
            print(
                f"once running: median {statistics.median(ratios):.2f}x, {min(ratios):.2f}x to {max(ratios):.2f}x"
            )
        result["rounds"] = [{"this_checkout": ours, "compared": theirs} for ours, theirs in rounds]
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
