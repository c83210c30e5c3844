"""Streaming a USPTO-style bulk TAR into a collection: members/s and peak memory (max RSS) as the archive grows.

Builds synthetic weekly archives in USPTO's layout (``I20251021/UTIL12448/USnnnnnnnn-20251021.ZIP``) from one real
text-only grant XML (``../shared/data/xml/uspto/grant-v4-5-B1.xml``, its number changed in each member so each is a
publication of its own), plus in each ZIP an incompressible file that is not a drawing (``--padding-kib``, as the
chemistry ``.CDX``/``.MOL`` files of real ZIPs are) so that the archive is large. No drawing, so no OCR: what is
measured is the streaming itself (read a member, copy it out, unpack, parse, store, delete). Each size is ingested by
``patimg ingest`` in a process of its own (so its max RSS is its own), then the same command runs again on the
finished collection: the resume path, where every member is stored and none is unpacked.

Usage::

    python benchmarks/archive.py [--sizes 250,1000] [--padding-kib 256] [--gzip] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from shared_data import DATA

XML = DATA / "xml" / "uspto" / "grant-v4-5-B1.xml"
XML_NUMBER = b"09358892"  # the grant's number, replaced in each member

# Runs `patimg ingest ...` in this child process and writes its wall time and max RSS (KiB on Linux) to argv[1].
CHILD = """
import json, resource, sys, time
from patimg.cli import main
start = time.perf_counter()
code = main(sys.argv[2:])
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
open(sys.argv[1], "w").write(json.dumps({"code": code, "seconds": seconds, "max_rss_kib": rss}))
"""


def build_archive(path: Path, members: int, *, padding_kib: int) -> None:
    """A TAR of ``members`` publication ZIPs, written member by member (never held in memory whole)."""
    xml = XML.read_bytes()
    mode = "w:gz" if path.name.endswith(".gz") else "w"
    with tarfile.open(path, mode) as archive:
        for i in range(members):
            number = f"{20_000_000 + i:08d}".encode()
            stem = f"US{number.decode()}-20251021"
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as handle:
                handle.writestr(f"{stem}/{stem}.XML", xml.replace(XML_NUMBER, number))
                handle.writestr(f"{stem}/{stem}-C00001.CDX", os.urandom(padding_kib * 1024))
            info = tarfile.TarInfo(f"I20251021/UTIL12448/{stem}.ZIP")
            info.size = buffer.tell()
            buffer.seek(0)
            archive.addfile(info, buffer)


def ingest(archive: Path, collection: Path, scratch: Path) -> tuple[dict, dict]:
    """``patimg ingest ARCHIVE --collection DIR --json -q`` in a child process: its report and its measurements."""
    measured = scratch / "measured.json"
    command = [
        sys.executable,
        "-c",
        CHILD,
        str(measured),
        "ingest",
        str(archive),
        "--collection",
        str(collection),
    ]
    done = subprocess.run([*command, "--json", "-q"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout), json.loads(measured.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000", help="members per archive, comma-separated")
    parser.add_argument(
        "--padding-kib", type=int, default=256, help="incompressible non-drawing KiB per member"
    )
    parser.add_argument("--gzip", action="store_true", help="a .tar.gz instead of a plain .tar")
    parser.add_argument("--keep", type=Path, help="build the archives and collections here (kept)")
    args = parser.parse_args()
    if not XML.exists():
        print(f"skipped: real data not found: {XML}", file=sys.stderr)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for members in sizes:
            archive = root / f"I20251021-{members}.tar{'.gz' if args.gzip else ''}"
            build_archive(archive, members, padding_kib=args.padding_kib)
            collection = root / f"collection-{members}"
            first_report, first = ingest(archive, collection, root)
            again_report, again = ingest(archive, collection, root)
            if len(first_report["added"]) != members or len(again_report["skipped"]) != members:
                raise SystemExit(f"{members} members: unexpected reports {first_report['errors'][:3]}")
            rows.append((members, archive.stat().st_size, first, again))

    print(f"command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}")
    print(
        f"machine: {os.cpu_count()} CPU cores; each run is `patimg ingest ARCHIVE --collection DIR` in its own process"
    )
    header = f"{'members':>8s} {'archive MB':>11s} | {'ingest s':>9s} {'members/s':>10s} {'max RSS MB':>11s}"
    print(header + f" | {'resume s':>9s} {'members/s':>10s} {'max RSS MB':>11s}")
    for members, size, first, again in rows:
        print(
            f"{members:8d} {size / 1e6:11.1f} | {first['seconds']:9.1f} {members / first['seconds']:10.1f} "
            f"{first['max_rss_kib'] / 1024:11.0f} | {again['seconds']:9.1f} {members / again['seconds']:10.1f} "
            f"{again['max_rss_kib'] / 1024:11.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
