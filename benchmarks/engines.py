"""Ingest throughput by engine on this machine: local (1 and 2 worker processes) against Ray (2 CPUs).

Ingests the same real publications (default: the USPTO grant US12448249 and the EPO package EP1667425 in
``../shared/data``) once per engine into a fresh collection, and prints, per engine, the drawing sheets read, the
seconds from the call to the last publication stored (Ray's start, its actors' start and OCR models included),
the seconds to the first sheet read, and sheets/s. The local single-process run also gives the CPU seconds a
sheet costs (this process's CPU time over the sheets), from which a sizing for 1M publications on N nodes is
printed. Every engine's collection is checked to be the first engine's (figure ids, signs, images).

Usage::

    python benchmarks/engines.py [SOURCE ...] [--engines local:1,local:2,ray:2] [--nodes 1,10,100]
        [--cores-per-node 16] [--sheets-per-publication 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from shared_data import REPO, real_sources


def _run(engine: str, workers: int, sources: list[Path], collection: Path) -> dict:
    from patimg.ingest import ingest

    seen = {"sheets": 0, "first": None}
    start = time.perf_counter()

    def progress(stage: str, done: int, total: int, item: str) -> None:
        if stage == "read sheets" and done == total and total:
            seen["sheets"] += total
        if stage == "read sheets" and done == 1 and seen["first"] is None:
            seen["first"] = time.perf_counter() - start

    cpu = time.process_time()
    report = ingest(sources, collection=collection, engine=engine, workers=workers, progress=progress)
    seconds = time.perf_counter() - start
    if report.errors:
        raise SystemExit(f"{engine}: {report.errors}")
    return {
        "engine": f"--engine {engine} --workers {workers}",
        "publications": len(report.added),
        "figures": report.figures,
        "sheets": seen["sheets"],
        "seconds": seconds,
        "first_sheet_seconds": seen["first"],
        "sheets_per_second": seen["sheets"] / seconds,
        "cpu_seconds_here": time.process_time() - cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--engines", default="local:1,local:2,ray:2", help="ENGINE:WORKERS,...")
    parser.add_argument("--nodes", default="1,10,100", help="cluster sizes for the 1M-publication sizing")
    parser.add_argument("--cores-per-node", type=int, default=16)
    parser.add_argument("--sheets-per-publication", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sources = real_sources(args.sources, "patents/us-grants/US12448249-20251021", "patents/ep/EP1667425")
    if sources is None:
        return 0
    sys.path.insert(0, str(REPO))  # the collections are compared with the tests' helper
    from tests.stored import stored_rows

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        for position, spec in enumerate(args.engines.split(",")):
            engine, _, workers = spec.partition(":")
            collection = Path(tmp) / f"{position}-{engine}"
            rows.append(_run(engine, int(workers or 1), sources, collection))
            stored = stored_rows(collection)
            reference = reference or stored
            rows[-1]["same_collection"] = stored == reference

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(f"machine: {os.cpu_count()} CPU cores (shared with other jobs: upper bounds on the time)")
    print("| engine | sheets | seconds | first sheet after (s) | sheets/s | same collection |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['engine']} | {row['sheets']} | {row['seconds']:.1f} | {row['first_sheet_seconds']:.1f} "
            f"| {row['sheets_per_second']:.3f} | {'yes' if row['same_collection'] else 'NO'} |"
        )
    single = next((r for r in rows if r["engine"] == "--engine local --workers 1"), None)
    sizing = []
    if single:
        cpu_per_sheet = single["cpu_seconds_here"] / single["sheets"]
        sheets = 1_000_000 * args.sheets_per_publication
        print(
            f"\nCPU per sheet (local, 1 process): {cpu_per_sheet:.2f} s -> 1M publications x "
            f"{args.sheets_per_publication:g} sheets = {sheets * cpu_per_sheet / 3600:,.0f} CPU-hours"
        )
        print(f"| nodes x {args.cores_per_node} cores | hours (every core reading, no overhead) |")
        print("|---|---|")
        for nodes in (int(n) for n in args.nodes.split(",")):
            hours = sheets * cpu_per_sheet / (nodes * args.cores_per_node) / 3600
            sizing.append({"nodes": nodes, "hours": hours})
            print(f"| {nodes} | {hours:,.1f} |")
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "sizing": sizing}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
