"""Index choice by size: recall@50 (also filtered) against exact search, latency, RAM a vector, build time.

For each size, in one run: exact search (``flat``, timed like the others), the index a collection of that size
would get (``"auto"``, built through ``build_index`` into a temporary folder and opened with ``load_index``,
memory-mapped, as a collection does), the same compressed index without re-ranking (its codes alone), and
HNSW where it builds in reasonable time. Queries are single (an examiner's interactive search): perturbed
copies of collection vectors. Recall is against exact top-50 computed by brute force; the filtered recall lets a
random 10% of the collection through (an office, date or class filter), applied inside the search.

The vectors are written to a ``.npy`` file a batch at a time and memory-mapped, as a collection's vector store
is, and the auto index is built from that file in a process of its own, so its peak RSS (``ru_maxrss``) is the
build's alone; it is printed with the build time, and the time ``load_index`` takes to open the result.
``--data-dir`` keeps the generated files for the next run. Exact search holds the float32 vectors in RAM; above
``--flat-max-bytes`` it cannot, and the exact row is then a scan of the memory-mapped file, a batch at a time,
timed on ``--flat-queries`` queries (each scan also answers the filtered query, so its time is an upper bound).

Builds use ``OMP_NUM_THREADS`` (or ``--threads``) FAISS threads, single queries one (``--search-threads``). The
auto index's ``cold 1st / p50`` are its first query and the p50 of its first ``--cold-queries`` after its
float16 file left the page cache (a server just started); the file is then read back once, and the timed
queries measure a warm server.

``--data clustered`` (default) draws vectors around 1,000 centres, shaped like real embeddings (neighbours share
a cluster); ``random`` unit vectors have no structure, the worst case for IVF and HNSW. Vectors are generated a
batch at a time. ``bytes_per_vector`` is the RAM of the index (codes, ids, centroids); the compressed kind's
float16 exact vectors (2 * d bytes a vector) stay on disk, memory-mapped.

    OMP_NUM_THREADS=1 python benchmarks/search.py --sizes 1000000 --data clustered --json
    OMP_NUM_THREADS=2 python benchmarks/search.py --sizes 2000000 3000000 --data-dir /tmp/patimg-scale-data
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from patimg.indexes import INDEX_FILE, LoadedIndex, build_index, build_memory_index, load_index, search_index
from patimg.indexes.compressed import exact_tops
from patimg.matrix_rows import NpyRowWriter, row_batches

FIELDS = (
    "size",
    "index",
    "kind",
    "auto",
    "recall_at_50",
    "filtered_recall_at_50",
    "p50_ms",
    "p99_ms",
    "bytes_per_vector",
    "build_s",
    "build_peak_rss_mb",
    "open_s",
    "cold_first_ms",
    "cold_p50_ms",
)


def unit_vectors(n: int, dim: int, *, seed: int, data: str) -> np.ndarray:
    """``n`` float32 unit rows in memory (the queries)."""
    return np.concatenate([chunk for chunk in unit_batches(n, dim, seed=seed, data=data)])


def unit_batches(n: int, dim: int, *, seed: int, data: str, batch: int = 100_000):
    """``n`` float32 unit rows, ``batch`` at a time (the same rows whatever the batch size)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1000, dim)).astype(np.float32) if data == "clustered" else None
    for start in range(0, n, batch):
        chunk = rng.standard_normal((min(batch, n - start), dim)).astype(np.float32)
        if centres is not None:
            chunk = centres[rng.integers(0, len(centres), len(chunk))] + 0.6 * chunk
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        yield chunk


def collection_vectors(folder: Path, n: int, dim: int, *, data: str) -> np.ndarray:
    """The ``n`` collection vectors as a read-only memory map of a float32 ``.npy`` in ``folder``, generated a
    batch at a time (reused when a previous run left it there)."""
    path = folder / f"{data}-{n}x{dim}-seed1.npy"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with NpyRowWriter(partial, n, dim, np.float32) as out:
            for chunk in unit_batches(n, dim, seed=1, data=data):
                out.write(chunk)
        partial.rename(path)
    return np.load(path, mmap_mode="r")


def build_in_process(data_path: str, out_dir: str, dim: int, threads: int | None) -> dict:
    """Build the auto index of the vectors in ``data_path`` (run in a fresh process: its peak RSS is the build's)."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    vectors = np.load(data_path, mmap_mode="r")
    ids = [str(i) for i in range(len(vectors))]
    started = time.perf_counter()
    info = build_index(vectors, ids, out_dir=out_dir, channel="visual", encoder_info={"dim": dim})
    return {
        "info": info.to_dict(),
        "build_s": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def build_measured(data_path: Path, out_dir: Path, args: argparse.Namespace) -> dict:
    """:func:`build_in_process` in a spawned process (not forked: a fork starts with this one's pages)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(
            build_in_process, str(data_path), str(out_dir), args.dim, args.build_threads
        ).result()


def index_bytes(loaded: LoadedIndex) -> int:
    """RAM of a FAISS index once its pages are in: what it serialises to (a memory-mapped index: its file, as
    serialising it would skip the mapped lists; flat: the vectors, without serialising gigabytes)."""
    import faiss

    if loaded.path is not None:
        return (loaded.path / INDEX_FILE).stat().st_size
    plain = faiss.downcast_index(loaded.index)
    if isinstance(plain, faiss.IndexFlat):
        return plain.ntotal * plain.code_size
    return len(faiss.serialize_index(loaded.index))


def measure(
    loaded: LoadedIndex, queries: np.ndarray, truth, filtered_truth, allowed: set[str], k: int
) -> dict:
    """Single-query latency and recall@k, unfiltered and filtered (batched: not timed)."""
    latencies, hits = [], []
    for q in range(len(queries)):
        started = time.perf_counter()
        _, found = search_index(loaded, queries[q : q + 1], k)
        latencies.append(time.perf_counter() - started)
        hits.append(len(set(found[0]) & truth[q]) / k)
    _, filtered = search_index(loaded, queries, k, allowed=allowed)
    filtered_hits = [len(set(filtered[q]) & filtered_truth[q]) / k for q in range(len(queries))]
    return {
        "recall_at_50": round(float(np.mean(hits)), 4),
        "filtered_recall_at_50": round(float(np.mean(filtered_hits)), 4),
        "p50_ms": round(1000 * float(np.percentile(latencies, 50)), 3),
        "p99_ms": round(1000 * float(np.percentile(latencies, 99)), 3),
    }


def drop_from_page_cache(path: Path) -> None:
    """Evict a file's pages from the kernel's page cache (written back first), as after a reboot."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cold_and_warm(
    loaded: LoadedIndex, queries: np.ndarray, k: int, cold_queries: int
) -> tuple[float, float, float]:
    """``(first query ms, cold p50 ms, warm-up s)`` after the float16 file left the page cache: the first single
    query (its re-ranked rows fault in from disk, each with the kernel's read-around, so it reads much of the
    file), the p50 of the first ``cold_queries``, then the seconds one sequential read takes to put the rest of
    the file back, so that the timed queries measure a warm server.
    """
    path = loaded.path / loaded.info["params"]["exact_vectors"]
    drop_from_page_cache(path)
    latencies = []
    for q in range(min(cold_queries, len(queries))):
        started = time.perf_counter()
        search_index(loaded, queries[q : q + 1], k)
        latencies.append(time.perf_counter() - started)
    started = time.perf_counter()
    for _ in row_batches(loaded.exact, dtype=np.float16):
        pass
    cold_p50 = round(1000 * float(np.percentile(latencies, 50)), 3)
    return round(1000 * latencies[0], 3), cold_p50, time.perf_counter() - started


def scanned_flat_row(
    base: np.ndarray, queries: np.ndarray, mask: np.ndarray, truth, filtered_truth, args
) -> dict:
    """Exact search where the float32 vectors do not fit in RAM: a batched scan of the memory-mapped file."""
    latencies, hits, filtered_hits = [], [], []
    for q in range(min(args.flat_queries, len(queries))):
        started = time.perf_counter()
        rows, filtered = exact_tops(base, queries[q : q + 1], args.k, [None, mask])  # filtered: same pass
        latencies.append(time.perf_counter() - started)
        hits.append(len({str(r) for r in rows[0]} & truth[q]) / args.k)
        filtered_hits.append(len({str(r) for r in filtered[0]} & filtered_truth[q]) / args.k)
    return {
        "recall_at_50": round(float(np.mean(hits)), 4),
        "filtered_recall_at_50": round(float(np.mean(filtered_hits)), 4),
        "p50_ms": round(1000 * float(np.percentile(latencies, 50)), 3),
        "p99_ms": round(1000 * float(np.percentile(latencies, 99)), 3),
    }


def run(n: int, args: argparse.Namespace, emit, data_dir: Path) -> None:
    """Measure every index of one size, calling ``emit(row)`` as each is done."""
    started = time.perf_counter()
    base = collection_vectors(data_dir, n, args.dim, data=args.data)
    rng = np.random.default_rng(2)
    queries = base[rng.integers(0, n, args.queries)] + 0.5 * unit_vectors(
        args.queries, args.dim, seed=3, data="random"
    )
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    ids = [str(i) for i in range(n)]
    mask = np.random.default_rng(4).random(n) < args.filter_fraction
    allowed = {ids[i] for i in np.flatnonzero(mask)}
    tops = exact_tops(base, queries, args.k, [None, mask])  # one pass over the file for both
    truth, filtered_truth = ([{ids[r] for r in row} for row in top] for top in tops)
    log(
        f"{n:,} vectors ready in {base.filename}, ground truth computed in {time.perf_counter() - started:.0f} s"
    )

    def row(loaded: LoadedIndex, label: str, build_s: float, auto: bool, **extra) -> dict:
        measured = measure(loaded, queries, truth, filtered_truth, allowed, args.k)
        return {
            "size": n,
            "index": label,
            "kind": loaded.info["index_type"],
            "auto": auto,
            **measured,
            "bytes_per_vector": round(index_bytes(loaded) / n, 1),
            "build_s": round(build_s, 1),
            "build_peak_rss_mb": extra.get("build_peak_rss_mb"),
            "open_s": extra.get("open_s"),
            "cold_first_ms": extra.get("cold_first_ms"),
            "cold_p50_ms": extra.get("cold_p50_ms"),
        }

    with tempfile.TemporaryDirectory(prefix="patimg-bench-", dir=args.index_dir) as folder:
        built = build_measured(Path(base.filename), Path(folder) / "visual", args)
        info, auto_build_s, peak = built["info"], built["build_s"], round(built["peak_rss_mb"])
        log(f"auto built in {auto_build_s:.0f} s, peak RSS of the build process {peak:,} MB")
        start = time.perf_counter()
        auto = load_index(Path(folder) / "visual")
        open_s = round(time.perf_counter() - start, 2)
        log(f"auto chose {info['index_type']} ({info['params'].get('choice', '')}); opened in {open_s:.2f} s")
        measured_auto = {"build_peak_rss_mb": peak, "open_s": open_s}

        is_flat = info["index_type"] == "flat"
        start = time.perf_counter()
        if n * args.dim * 4 <= args.flat_max_bytes:
            flat = build_memory_index(base, ids, kind="flat")
            emit(
                row(
                    flat,
                    "flat (exact)",
                    time.perf_counter() - start,
                    is_flat,
                    **(measured_auto if is_flat else {}),
                )
            )
            del flat
        else:
            scanned = scanned_flat_row(base, queries, mask, truth, filtered_truth, args)
            label = f"flat (exact): scan of the memory-mapped file, {min(args.flat_queries, args.queries)} queries"
            emit(
                {
                    "size": n,
                    "index": label,
                    "kind": "flat",
                    "auto": False,
                    **scanned,
                    "bytes_per_vector": 0.0,
                    "build_s": 0.0,
                    "build_peak_rss_mb": None,
                    "open_s": None,
                    "cold_first_ms": None,
                    "cold_p50_ms": None,
                }
            )
        gc.collect()
        if not is_flat:
            p = info["params"]
            tuned = f"nprobe={p['nprobe']} re-rank {p['rerank_factor']}x k"
            label = f"IVF{p['nlist']},PQ{p['m']} {tuned} (tuned: {p['tuning']['seconds']:.0f} s)"
            first, cold_p50, warm_s = cold_and_warm(auto, queries, args.k, args.cold_queries)
            log(
                f"float16 file out of the page cache: first query {first:.0f} ms, p50 of the first "
                f"{args.cold_queries} {cold_p50:.1f} ms; the rest of the file read back in {warm_s:.1f} s"
            )
            cold = {"cold_first_ms": first, "cold_p50_ms": cold_p50}
            emit(row(auto, label, auto_build_s, True, **measured_auto, **cold))
            # The same codes (and file) without the exact vectors: what re-ranking adds.
            codes = LoadedIndex(index=auto.index, ids=auto.ids, info=auto.info, path=auto.path)
            emit(
                row(
                    codes, f"IVF{p['nlist']},PQ{p['m']} nprobe={p['nprobe']}, no re-rank", auto_build_s, False
                )
            )
        del auto
    if n <= args.hnsw_max:
        gc.collect()
        start = time.perf_counter()
        hnsw = build_memory_index(base, ids, kind="hnsw")
        emit(row(hnsw, "hnsw M=32 efSearch=128", time.perf_counter() - start, False))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table_row(r: dict) -> str:
    cold = "" if r["cold_p50_ms"] is None else f"{r['cold_first_ms']:.0f} / {r['cold_p50_ms']:.1f}"
    return (
        f"| {r['size']:>10,} | {r['index']:<52} | {r['kind']:<5} | {'yes' if r['auto'] else '':<4} "
        f"| {r['recall_at_50']:>6.3f} | {r['filtered_recall_at_50']:>8.3f} | {r['p50_ms']:>8.2f} "
        f"| {r['p99_ms']:>8.2f} | {r['bytes_per_vector']:>7.0f} | {r['build_s']:>7.1f} "
        f"| {'' if r['build_peak_rss_mb'] is None else format(r['build_peak_rss_mb'], ','):>8} "
        f"| {'' if r['open_s'] is None else r['open_s']:>6} "
        f"| {cold:>15} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--data", choices=["random", "clustered"], default="clustered")
    parser.add_argument(
        "--filter-fraction", type=float, default=0.1, help="share of rows a filter lets through"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="FAISS threads of the builds (default: OMP_NUM_THREADS)"
    )
    parser.add_argument(
        "--search-threads",
        type=int,
        default=1,
        help="FAISS threads of the timed single queries (one: idle OpenMP threads spinning beside a query cost more "
        "than they give on a shared 2-core machine)",
    )
    parser.add_argument(
        "--cold-queries", type=int, default=20, help="queries timed with the float16 file cold"
    )
    parser.add_argument(
        "--hnsw-max", type=int, default=300_000, help="skip HNSW above this size (slow build)"
    )
    parser.add_argument(
        "--flat-max-bytes", type=float, default=8e9, help="above this, exact search scans the file instead"
    )
    parser.add_argument("--flat-queries", type=int, default=5, help="queries the scanned exact row times")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the generated vectors here")
    parser.add_argument("--index-dir", type=Path, default=None, help="build the indexes under this folder")
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows instead of a table")
    args = parser.parse_args(argv)
    import faiss

    build_threads = args.threads or faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(args.search_threads)
    command = (
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/search.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, faiss {faiss.__version__}, "
        f"{build_threads} FAISS threads building, {args.search_threads} searching; d={args.dim}, {args.queries} single queries, "
        f"recall@{args.k} vs exact, filter lets {args.filter_fraction:.0%} through, data={args.data}"
    )
    args.build_threads = build_threads
    rows: list[dict] = []
    if not args.json:
        print(f"command: {command}\nmachine: {machine}")
        print(
            "|       size | index                                                | kind  | auto | recall "
            "| filtered |   p50 ms |   p99 ms |  B/vec | build s | build RSS MB | open s | cold 1st / p50 ms |"
        )
        print("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def emit(row: dict) -> None:
        rows.append(row)
        if args.json:
            log(json.dumps(row))
        else:
            print(table_row(row), flush=True)

    with tempfile.TemporaryDirectory(prefix="patimg-bench-data-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            run(n, args, emit, data_dir)
    if args.json:
        print(json.dumps([{key: row[key] for key in FIELDS} for row in rows], indent=1))
    own, children = (
        resource.getrusage(who).ru_maxrss // 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    log(
        f"peak RSS: this process {own:,} MB (flat and HNSW in memory, ground truth), its children {children:,} MB (the builds)"
    )


if __name__ == "__main__":
    main()
