"""Ingest throughput per stage on this machine: parse, load, OCR + split, link, store.

Runs the real pipeline stages one by one over real publications (default: the USPTO grants and the EPO package
in ``../shared/data``) into a temporary collection, and prints seconds and items per second for each stage,
plus how many reference signs per figure link to at least one sentence.

Usage::

    python benchmarks/ingest.py [SOURCE ...] [--ocr rapidocr] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from shared_data import DATA


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--ocr", default="rapidocr")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sources = args.sources or [DATA / "patents" / "us-grants", DATA / "patents" / "ep"]
    missing = [s for s in sources if not s.exists()]
    if missing:
        print(f"skipped: real data not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 0

    from patimg.collection import Collection
    from patimg.ingest import drawing_refs, link_figures, read_figures
    from patimg.ocr import get_ocr
    from patimg.sources import find_publications

    seconds: dict[str, float] = defaultdict(float)
    items: dict[str, int] = defaultdict(int)
    linked_share: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        collection = Collection.create(Path(tmp) / "bench")
        start = time.perf_counter()
        units, _errors = find_publications(sources, work_dir=collection.path / "work")
        seconds["find + unpack"] += time.perf_counter() - start
        items["find + unpack"] += len(units)
        start = time.perf_counter()
        ocr = get_ocr(args.ocr)
        seconds["load OCR models"] += time.perf_counter() - start
        items["load OCR models"] += 1
        for unit in units:
            start = time.perf_counter()
            document = unit.read_document()
            seconds["parse XML"] += time.perf_counter() - start
            items["parse XML"] += 1
            if document is None:
                continue
            drawings = drawing_refs(document, unit.images)
            start = time.perf_counter()
            figures, labels = read_figures(
                collection=collection, patent_id=document.patent.patent_id, drawings=drawings, ocr=ocr
            )
            elapsed = time.perf_counter() - start
            seconds["load + OCR + split (drawings)"] += elapsed
            items["load + OCR + split (drawings)"] += len(drawings)
            seconds["  same, per figure"] += elapsed
            items["  same, per figure"] += len(figures)
            start = time.perf_counter()
            links = link_figures(document=document, figures=figures, labels=labels)
            seconds["link signs"] += time.perf_counter() - start
            items["link signs"] += len(figures)
            by_figure = defaultdict(list)
            for link in links:
                by_figure[link.figure_id].append(bool(link.sentence_indexes))
            for figure in figures:
                flags = by_figure.get(figure.figure_id, [])
                if flags:
                    linked_share.append(sum(flags) / len(flags))
            start = time.perf_counter()
            collection.write_publication(
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
            seconds["store"] += time.perf_counter() - start
            items["store"] += len(figures)
        stats = collection.stats()

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(f"machine: {os.cpu_count()} CPU cores, OCR backend {args.ocr}")
    print(f"{'stage':28s} {'items':>6s} {'seconds':>9s} {'items/s':>9s}")
    for stage in seconds:
        rate = items[stage] / seconds[stage] if seconds[stage] else float("inf")
        print(f"{stage:28s} {items[stage]:6d} {seconds[stage]:9.2f} {rate:9.2f}")
    mean_linked = sum(linked_share) / len(linked_share) if linked_share else 0.0
    print(
        f"collection: {stats['patents']} patents, {stats['figures']} figures, {stats['signs']} signs, "
        f"{stats['linked_signs']} linked; mean share of a figure's signs linked to >=1 sentence: "
        f"{mean_linked:.3f}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"seconds": seconds, "items": items, "stats": stats, "mean_linked_share": mean_linked},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
