"""Cold start: how long a ``Searcher`` takes to open a large collection, its RAM, and its first searches.

A collection of ``--figures`` figures is fabricated (nothing is ingested or encoded): a patents table (five
figures a publication; US or EP, a date from 2000 to 2024, one to three IPC and CPC classes), the figures
table, the stored vectors (visual: 512-d for every figure; text: 384-d for four figures in five, as figures
without linked text have none), and both channels' indexes built by ``build_index`` as the compressed kind a
collection of this size gets (search parameters given, not tuned, to save the tuning's minutes: they do not
change what opening costs). ``--keep DIR`` keeps it for the next run.

Each measurement runs in a fresh process, so its peak RSS (``ru_maxrss``) is the searcher's alone (RAM is shown
as the process's own memory + the pages of mapped files it touched: the kernel maps a large-folio page cache
a megabyte at a time, so a few hundred re-ranked rows show as most of a float16 file): open, then figure queries (the query figure's stored vectors, fused, k=50, the query itself left out, as the app does),
first unfiltered, then filtered (office, dates and a class prefix), then a second unfiltered one.

    OMP_NUM_THREADS=1 python benchmarks/searcher_open.py --figures 1000000 --keep /tmp/patimg-open-1M
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from search import unit_batches

from patimg.collection import Collection
from patimg.indexes import build_index
from patimg.indexes.generations import new_generation, publish
from patimg.matrix_rows import NpyRowWriter
from patimg.vocabulary import FIGURE_KINDS

FIGURES_PER_PATENT = 5
DIMS = {"visual": 512, "text": 384}
ENCODERS = {
    "visual": {"name": "fabricated-visual", "dim": 512},
    "text": {"name": "fabricated-text", "dim": 384},
}


def fabricate(folder: Path, figures: int) -> Path:
    """A collection of ``figures`` figures in ``folder`` (reused when a previous run finished one there)."""
    if (folder / "indexes" / "CURRENT").exists():
        return folder
    started = time.perf_counter()
    collection = Collection.create(folder, name=f"fabricated {figures:,}")
    rng = np.random.default_rng(0)
    patents = figures // FIGURES_PER_PATENT
    sections = np.array(list("ABCDEFGH"))
    days = rng.integers(0, 25 * 365, patents)
    patent_rows, figure_rows = [], []
    for p in range(patents):
        office = "US" if rng.random() < 0.7 else "EP"
        patent_id = f"{office}{7_000_000 + p}{'B2' if office == 'US' else 'B1'}"
        date = (np.datetime64("2000-01-01") + int(days[p])).item().isoformat()
        classes = [
            f"{rng.choice(sections)}{rng.integers(1, 99):02d}{chr(65 + rng.integers(0, 26))} {rng.integers(1, 99)}/00"
            for _ in range(int(rng.integers(1, 4)))
        ]
        patent_rows.append(
            (
                patent_id,
                office,
                str(7_000_000 + p),
                "B2",
                date,
                f"Title {p}",
                "",
                "[]",
                json.dumps(classes),
                json.dumps(classes[:1]),
                "en",
                "fabricated",
            )
        )
        for k in range(1, FIGURES_PER_PATENT + 1):
            figure_id = f"{patent_id}-D{k:05d}-f1"
            figure_rows.append(
                (
                    figure_id,
                    patent_id,
                    f"FIG. {k}",
                    str(k),
                    f"D{k:05d}.TIF",
                    "[0, 0, 100, 100]",
                    0,
                    f"figures/{figure_id}.png",
                    "caption",
                    k - 1,
                    FIGURE_KINDS[k % len(FIGURE_KINDS)],
                )
            )
    with sqlite3.connect(folder / "collection.sqlite") as db:
        db.executemany(f"INSERT INTO patents VALUES ({','.join('?' * 12)})", patent_rows)
        db.executemany(f"INSERT INTO figures VALUES ({','.join('?' * 11)})", figure_rows)
    ids = {"visual": [row[0] for row in sorted(figure_rows, key=lambda r: (r[1], r[9]))]}
    ids["text"] = sorted(
        fid for fid, keep in zip(ids["visual"], rng.random(len(figure_rows)) < 0.8, strict=True) if keep
    )
    del patent_rows, figure_rows
    log(f"tables: {time.perf_counter() - started:.0f} s")
    generation = new_generation(folder / "indexes")
    for channel, channel_ids in ids.items():
        store = folder / "vectors" / f"{channel}.npy"
        store.parent.mkdir(exist_ok=True)
        with NpyRowWriter(store, len(channel_ids), DIMS[channel], np.float32) as out:
            for chunk in unit_batches(len(channel_ids), DIMS[channel], seed=len(channel), data="clustered"):
                out.write(chunk)
        (folder / "vectors" / f"{channel}_ids.json").write_text(json.dumps(channel_ids))
        (folder / "vectors" / f"{channel}_info.json").write_text(json.dumps(ENCODERS[channel]))
        build_index(
            np.load(store, mmap_mode="r"), channel_ids, out_dir=generation / channel, channel=channel,
            encoder_info=ENCODERS[channel], kind="ivfpq", nprobe=16, rerank=10,
        )  # fmt: skip
        log(f"{channel}: vectors and index at {time.perf_counter() - started:.0f} s")
    publish(folder / "indexes", generation)
    collection.update_meta(encoders={ch: {"spec": info["name"], **info} for ch, info in ENCODERS.items()})
    return folder


def rss_mb() -> tuple[float, float]:
    """Resident set now, MB: the process's own memory (``RssAnon``) and mapped file pages (``RssFile``: the
    memory-mapped indexes and float16 vectors, page cache the kernel takes back when it needs it)."""
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line
    )
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile"))


def measure_in_process(folder: str, queries: int) -> dict:
    """Open a Searcher on ``folder`` and time its first searches (run in a fresh process)."""
    from patimg.search import Searcher, SearchFilters, SearchSettings

    before = rss_mb()
    started = time.perf_counter()
    searcher = Searcher(folder)
    out = {
        "open_s": time.perf_counter() - started,
        "open_rss_mb": [a - b for a, b in zip(rss_mb(), before, strict=True)],
    }
    with sqlite3.connect(Path(folder) / "collection.sqlite") as db:
        picks = [
            r[0]
            for r in db.execute(
                "SELECT figure_id FROM figures ORDER BY rowid LIMIT ? OFFSET 1000", (queries,)
            )
        ]
    filters = SearchFilters(office="US", date_from="2010-01-01", class_prefix="B")
    for name, query, settings in (
        ("first_search_s", picks[0], SearchSettings(k=50)),
        ("filtered_search_s", picks[1], SearchSettings(k=50, filters=filters)),
        ("next_search_s", picks[2], SearchSettings(k=50)),
    ):
        started = time.perf_counter()
        hits = searcher.search(figure_id=query, settings=settings).hits
        out[name] = time.perf_counter() - started
        assert len(hits) == 50, (name, len(hits))
    later = []
    for query in picks[3:]:
        started = time.perf_counter()
        searcher.search(figure_id=query, settings=SearchSettings(k=50))
        later.append(time.perf_counter() - started)
    out["later_p50_s"] = float(np.median(later)) if later else None
    out["rss_after_searches_mb"] = [a - b for a, b in zip(rss_mb(), before, strict=True)]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def mb(own_and_mapped: list[float]) -> str:
    return f"{own_and_mapped[0]:,.0f} + {own_and_mapped[1]:,.0f}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, nargs="+", default=[200_000])
    parser.add_argument("--keep", type=Path, default=None, help="fabricate (or reuse) the collections here")
    parser.add_argument("--queries", type=int, default=13, help="figure queries after open (3 timed singly)")
    args = parser.parse_args(argv)
    import tempfile

    command = (
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/searcher_open.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(f"command: {command}")
    print(
        "| figures | open s | RAM after open MB (own + mapped) | 1st search s | 1st filtered s | next search s "
        "| later p50 s | RAM after searches MB (own + mapped) | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="patimg-open-") as scratch:
        for figures in args.figures:
            folder = fabricate((args.keep or Path(scratch)) / f"collection-{figures}", figures)
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                r = pool.submit(measure_in_process, str(folder), args.queries).result()
            print(
                f"| {figures:,} | {r['open_s']:.2f} | {mb(r['open_rss_mb'])} | {r['first_search_s']:.3f} "
                f"| {r['filtered_search_s']:.3f} | {r['next_search_s']:.3f} | {r['later_p50_s']:.3f} "
                f"| {mb(r['rss_after_searches_mb'])} | {r['peak_rss_mb']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
