"""Issue 12's bar: real design drawings re-scanned, queried as a document, find their own patent first.

Each design patent's drawing sheets (``../shared/data/patents/us-design``) are "re-scanned": turned by a small angle
(1 to 2 degrees, alternating sign), scaled by 0.9 to 1.1, and saved as a folder of images with no XML (what an
examiner scanning a paper application has). That folder is the query document (``patimg.search_document``) against
a collection holding the design patents; the patent ranked first by the per-patent aggregation must be the one the
drawings came from. Prints P@1 at patent level and the rank of the right patent for each query.

The collection is built once with ``patimg ingest`` + ``patimg index`` (or given with ``--collection``); the
perturbations are seeded, so a run is repeatable.

Usage::

    python benchmarks/rescanned_designs.py [--collection DIR] [--limit N] [--channel fused|visual|text]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from shared_data import DATA


def rescan(sheet: Path, target: Path, rng: random.Random) -> None:
    """``sheet`` turned 1-2 degrees and scaled 0.9-1.1, as a greyscale PNG at the same dpi."""
    from PIL import Image

    with Image.open(sheet) as image:
        gray = image.convert("L")
        dpi = image.info.get("dpi", (300, 300))
    angle = rng.uniform(1.0, 2.0) * rng.choice((-1, 1))
    scale = rng.uniform(0.9, 1.1)
    turned = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    size = (max(8, round(turned.width * scale)), max(8, round(turned.height * scale)))
    turned.resize(size, Image.Resampling.LANCZOS).save(target, dpi=dpi)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--collection", type=Path, help="a collection of the design patents (built when absent)"
    )
    parser.add_argument("--limit", type=int, default=0, help="query with the first N patents only")
    parser.add_argument("--channel", default="fused", choices=("fused", "visual", "text"))
    args = parser.parse_args()
    designs = DATA / "patents" / "us-design"
    if not designs.exists():
        print(f"skipped: real data not found: {designs}", file=sys.stderr)
        return 0
    from patimg import Searcher, SearchSettings, build_indexes, ingest, search_document

    patents = sorted(p for p in designs.iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        collection = args.collection or Path(tmp) / "designs"
        if not (collection / "collection.sqlite").exists():
            ingest(patents, collection=collection)
            build_indexes(collection)
        searcher = Searcher(collection)
        settings = SearchSettings(channel=args.channel, k=50)
        rng = random.Random(12)
        hits = queries = 0
        print(f"command: python benchmarks/rescanned_designs.py {' '.join(sys.argv[1:])}")
        print(f"{'query (re-scanned)':28s} {'sheets':>6s} {'first':>16s} {'rank of own':>11s} {'s':>6s}")
        for folder in patents[: args.limit or None]:
            sheets = sorted(folder.glob("*.TIF")) + sorted(folder.glob("*.tif"))
            sheets = [s for s in sheets if not s.stem.upper().endswith("D00000")]
            query = Path(tmp) / "query" / folder.name
            query.mkdir(parents=True)
            for sheet in sheets:
                rescan(sheet, query / f"{sheet.stem}.png", rng)
            start = time.perf_counter()
            result = search_document(searcher, query, settings=settings)
            seconds = time.perf_counter() - start
            ranked = [match.patent_id for match in result.patents]
            own = next((p for p in ranked if _same_design(p, folder.name)), None)
            rank = ranked.index(own) + 1 if own else 0
            queries += 1
            hits += rank == 1
            print(
                f"{folder.name:28s} {len(sheets):6d} {(ranked[0] if ranked else '-'):>16s} "
                f"{rank or '-':>11} {seconds:6.1f}",
                flush=True,
            )
        print(f"P@1 at patent level: {hits}/{queries} = {hits / max(1, queries):.3f} ({args.channel})")
    return 0


def _same_design(patent_id: str, folder_name: str) -> bool:
    """``USD907293S1`` is the patent of folder ``USD0907293-20210105``."""
    import re

    number = re.match(r"USD0*(\d+)", patent_id)
    return bool(number) and number[1] == folder_name.split("-")[0][3:].lstrip("0")


if __name__ == "__main__":
    sys.exit(main())
