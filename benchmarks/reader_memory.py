"""A reader's memory over many sheets of many sizes: resident memory (RSS) after every sheet, and seconds a sheet.

One reader (the OCR backend, loaded once, as in a worker process or a Ray actor) reads every drawing sheet of
the real publications in ``../shared/data`` (29 design grants, whose sheets come in many sizes, then the four
utility grants and the EPO package), one after the other. Every new image size is a new input shape for the
detector, and OpenVINO keeps what it compiled for each shape (``CPU_RUNTIME_CACHE_CAPACITY``,
:mod:`patimg.ocr.rapid`): this shows whether a long run's memory levels off.

Usage::

    python benchmarks/reader_memory.py [--limit N] [--every 25]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from shared_data import real_sources


def rss_mib() -> int:
    """This process's resident memory now, MiB (Linux)."""
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return kib // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N sheets")
    parser.add_argument("--every", type=int, default=25, help="print a row every N sheets")
    args = parser.parse_args()
    sources = real_sources([], "patents/us-design", "patents/us-grants", "patents/ep")
    if sources is None:
        return 0
    from patimg.ocr import get_ocr
    from patimg.reading import read_sheet
    from patimg.sources import find_publications
    from patimg.unit_ingest import drawing_refs, sheet_jobs

    print(f"command: python benchmarks/reader_memory.py {' '.join(sys.argv[1:])}")
    folders = [p for s in sources for p in sorted(s.iterdir()) if p.is_dir()]
    with tempfile.TemporaryDirectory() as tmp:
        units, _ = find_publications(folders, work_dir=Path(tmp) / "work")
        jobs = []
        for unit in units:
            document = unit.read_document()
            jobs += sheet_jobs(document.patent.patent_id, drawing_refs(document, unit.images))
        jobs = jobs[: args.limit] if args.limit else jobs
        ocr = get_ocr("rapidocr")
        print(f"OCR loaded: {rss_mib()} MiB; {len(jobs)} sheets")
        print(f"{'sheets':>6s} {'RSS MiB':>8s} {'s/sheet':>8s}")
        start, peak = time.perf_counter(), 0
        since, since_done = start, 0
        for done, job in enumerate(jobs, start=1):
            read_sheet(job, ocr=ocr)
            peak = max(peak, rss_mib())
            if done % args.every == 0 or done == len(jobs):
                now = time.perf_counter()
                print(f"{done:6d} {rss_mib():8d} {(now - since) / (done - since_done):8.2f}")
                since, since_done = now, done
        print(f"peak {peak} MiB; {(time.perf_counter() - start) / len(jobs):.2f} s a sheet over all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
