"""Index choice by size: build time, query latency, recall@k against exact search, bytes per vector.

Builds each index type through ``patimg.indexes.build_memory_index`` (the code path collections use) over
random unit vectors and times single queries (an examiner's interactive search), then prints a table
and the command that produced it.

Random unit vectors in 512 dimensions have no cluster structure, which is the *worst* case for IVF and
HNSW: recall on real CLIP / sentence vectors is higher at the same settings. ``--data clustered`` draws
vectors around 1,000 centres instead, closer to real embeddings.

    OMP_NUM_THREADS=1 python benchmarks/search.py --sizes 30000 1000000
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time

import numpy as np

from patimg.indexes import build_memory_index, search_index


def unit_vectors(n: int, dim: int, *, seed: int, data: str) -> np.ndarray:
    """``n`` float32 unit rows, built in chunks to keep peak memory at one copy."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    centres = rng.standard_normal((1000, dim)).astype(np.float32) if data == "clustered" else None
    for start in range(0, n, 100_000):
        chunk = rng.standard_normal((min(100_000, n - start), dim)).astype(np.float32)
        if centres is not None:
            chunk = centres[rng.integers(0, len(centres), len(chunk))] + 0.6 * chunk
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + len(chunk)] = chunk
    return out


def configs(n: int, hnsw_max: int) -> list[tuple[str, str, dict]]:
    nlist = int(np.sqrt(n))
    rows = [("flat", "flat", {})]
    rows += [
        (f"ivfpq nlist={nlist} PQ64 nprobe={p}", "ivfpq", {"nlist": nlist, "pq_bytes": 64, "nprobe": p})
        for p in (8, 32)
    ]
    rows += [(f"ivfpq nlist={nlist} PQ32 nprobe=32", "ivfpq", {"nlist": nlist, "pq_bytes": 32, "nprobe": 32})]
    if n <= hnsw_max:
        rows += [(f"hnsw M=32 efSearch={ef}", "hnsw", {"ef_search": ef}) for ef in (64, 128)]
    return rows


def run(n: int, dim: int, queries: int, k: int, data: str, hnsw_max: int) -> list[dict]:
    import faiss

    base = unit_vectors(n, dim, seed=1, data=data)
    # Queries: perturbed database vectors, as a figure query resembles some indexed figures.
    rng = np.random.default_rng(2)
    query = base[rng.integers(0, n, queries)] + 0.5 * unit_vectors(queries, dim, seed=3, data="random")
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    ids = [str(i) for i in range(n)]
    exact = None
    results = []
    built: dict[tuple, tuple] = {}
    for label, kind, options in configs(n, hnsw_max):
        # Search-time settings (nprobe, efSearch) reuse the index built for the previous row.
        key = (kind, tuple(sorted((o, v) for o, v in options.items() if o not in ("nprobe", "ef_search"))))
        if key not in built:
            built.clear()
            gc.collect()
            start = time.perf_counter()
            built[key] = (build_memory_index(base, ids, kind=kind, **options), time.perf_counter() - start)
        loaded, build_s = built[key]
        if "ef_search" in options:
            loaded.index.hnsw.efSearch = options["ef_search"]
        if "nprobe" in options:
            faiss.extract_index_ivf(loaded.index).nprobe = options["nprobe"]
        latencies, found = [], []
        for q in range(queries):
            t0 = time.perf_counter()
            _, hit_ids = search_index(loaded, query[q : q + 1], k)
            latencies.append(time.perf_counter() - t0)
            found.append(hit_ids[0])
        if kind == "flat":
            exact = [set(row) for row in found]
        recall = float(np.mean([len(exact[q] & set(found[q])) / k for q in range(queries)]))
        size = len(faiss.serialize_index(loaded.index))
        results.append(
            {
                "n": n,
                "index": label,
                "built": loaded.info["index_type"],
                "build_s": build_s,
                "p50_ms": 1000 * float(np.percentile(latencies, 50)),
                "p99_ms": 1000 * float(np.percentile(latencies, 99)),
                "recall": recall,
                "bytes_per_vector": size / n,
            }
        )
        print(_row(results[-1]), flush=True)
    return results


def _row(r: dict) -> str:
    return (
        f"| {r['n']:>9,} | {r['index']:<34} | {r['build_s']:>8.1f} | {r['p50_ms']:>8.2f} | {r['p99_ms']:>8.2f} "
        f"| {r['recall']:>9.3f} | {r['bytes_per_vector']:>8.0f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--data", choices=["random", "clustered"], default="random")
    parser.add_argument("--threads", type=int, default=None, help="FAISS threads (default: OMP_NUM_THREADS)")
    parser.add_argument(
        "--hnsw-max", type=int, default=300_000, help="skip HNSW above this size (slow build)"
    )
    args = parser.parse_args(argv)
    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    print(
        f"command: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/search.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, faiss {faiss.__version__}, "
        f"{faiss.omp_get_max_threads()} FAISS threads; d={args.dim}, {args.queries} single queries, "
        f"recall@{args.k} vs exact, data={args.data}"
    )
    print(
        "| vectors   | index                              | build s  | p50 ms   | p99 ms   | recall@k  | B/vector |"
    )
    print(
        "|-----------|------------------------------------|----------|----------|----------|-----------|----------|"
    )
    for n in args.sizes:
        run(n, args.dim, args.queries, args.k, args.data, args.hnsw_max)


if __name__ == "__main__":
    main()
