"""Retrieval through the whole pipeline: ingest → index → every method → AP@50 with same-patent judgments.

Unlike ``benchmarks/retrieval.py`` (visual descriptors on design-patent sheets), this runs what a user runs:
publications are ingested (sheets split into figures, numerals read and linked), both channels are indexed, and
each method (text, visual, fused max/avg/rrf/weighted) queries every figure. Judgments follow the DeepPatent
rule: the other figures of the query's patent are relevant (front-page ``-D00000`` drawings left out).

Usage::

    python benchmarks/pipeline_retrieval.py --set utility   # the USPTO grants and the EPO package
    python benchmarks/pipeline_retrieval.py --set design    # the 29 design patents
    python benchmarks/pipeline_retrieval.py SOURCE... --collection DIR

The collection is kept (``--collection``, default ``/tmp/patimg-bench-<set>``), so a re-run only evaluates.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from shared_data import DATA

SETS = {
    "utility": [DATA / "patents" / "us-grants", DATA / "patents" / "ep"],
    "design": [DATA / "patents" / "us-design"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--set", choices=sorted(SETS), default="utility")
    parser.add_argument("--collection", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sources = args.sources or SETS[args.set]
    missing = [s for s in sources if not s.exists()]
    if missing:
        print(f"skipped: real data not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 0
    collection = args.collection or Path(f"/tmp/patimg-bench-{args.set}")

    from patimg.collection import Collection
    from patimg.evaluation import evaluate_collection
    from patimg.indexing import build_indexes
    from patimg.ingest import ingest

    timings = {}
    start = time.perf_counter()
    report = ingest(sources, collection=collection)
    timings["ingest"] = time.perf_counter() - start
    start = time.perf_counter()
    infos = build_indexes(collection)
    timings["index"] = time.perf_counter() - start
    start = time.perf_counter()
    payload = evaluate_collection(collection, same_patent=True).to_dict()
    timings["evaluate"] = time.perf_counter() - start
    stats = Collection.open(collection).stats()

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(
        f"collection {collection}: {stats['patents']} patents, {stats['figures']} figures, "
        f"{stats['signs']} signs ({stats['linked_signs']} linked); ingest errors this run: {len(report.errors)}"
    )
    print(
        f"encoders: visual {infos['visual']['encoder']['name']}, text {infos['text']['encoder']['name']}; "
        f"text vectors for {infos['text']['count']} of {infos['visual']['count']} figures"
    )
    print(
        f"seconds: ingest {timings['ingest']:.0f} (skips what was done), index {timings['index']:.0f}, "
        f"evaluate {timings['evaluate']:.0f}"
    )
    print(f"{'method':16s} {'mAP@50':>7s} {'P@1':>6s} {'queries':>7s} {'answered':>8s}")
    for name, run in payload["runs"].items():
        answered = run["queries"] - len(run.get("missing_queries", []))
        print(
            f"{name:16s} {run['AP@50']:7.3f} {run.get('P@1', float('nan')):6.3f} {run['queries']:7d} "
            f"{answered:8d}"
        )
    print("A method scores 0 on a query it cannot answer (e.g. text for a figure with no linked sentence).")
    if args.json:
        args.json.write_text(json.dumps({"payload": payload, "timings": timings, "stats": stats}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
