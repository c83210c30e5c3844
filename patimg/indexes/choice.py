"""The rules that choose a channel's index and its parameters (the mechanics are in :mod:`.build`).

``"auto"`` keeps exact search (``flat``) while the float32 vectors take at most :data:`AUTO_FLAT_MAX_BYTES` (and
fit the memory budget), and switches to the compressed index above: IVF-PQ codes in RAM whose best candidates are
re-ranked with the exact vectors, kept as float16 on disk and memory-mapped. Exact search time grows with
``n * d`` (it reads every byte), so the limit is in bytes: measured on this project's 2-core machine, exact
search over 1M 512-d vectors takes 176-324 ms a query; 200k of them (400 MB) take about a fifth of that, the
longest an examiner should wait for one query. IVF-PQ with re-ranking answers in milliseconds at 1M
(``benchmarks/search.py``; the README has its figures).

HNSW stays an explicit kind, not an ``"auto"`` choice: it holds the float32 vectors and its graph in RAM
(about 2.2 KB a 512-d vector, 30 times the compressed index) and builds at a few thousand vectors a second on
two cores, while the compressed index already answers well under the latency an examiner notices.

The compressed index's search parameters (``nprobe``, the re-ranking depth) are not guessed: at build time they
are tuned to :data:`RECALL_TARGET` recall@:data:`RECALL_K` against exact search, on a sample of the
collection's own vectors used as queries (each one's own row left out of both lists), both unfiltered and
with a filter letting :data:`TUNING_FILTER_FRACTION` of the rows through, as autofaiss tunes ``nprobe`` to a
recall target. The smallest ``nprobe`` that reaches the target with some depth wins (the coarse lists it skips
are recall no re-ranking can restore), then the smallest depth.
"""

from __future__ import annotations

import numpy as np

#: ``"auto"`` uses exact search up to this many 512-d vectors (about 35-65 ms a query on this machine).
AUTO_FLAT_MAX = 200_000
#: The same limit in bytes (float32), so that wide vectors switch earlier.
AUTO_FLAT_MAX_BYTES = AUTO_FLAT_MAX * 512 * 4
#: RAM an index may take unless the caller says otherwise (autofaiss's default ``max_index_memory_usage``).
DEFAULT_MEMORY_BUDGET = 16 * 2**30

#: An IVF-PQ index should be retrained once it holds more than this many times the vectors it was trained on
#: (its coarse centroids and codebooks describe the collection as it was then).
RETRAIN_FACTOR = 4
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
#: Bytes of a PQ code (one byte per sub-quantiser), when the memory budget allows it.
PQ_BYTES = 64
#: Smaller codes tried, in order, when ``PQ_BYTES`` a vector do not fit the memory budget.
PQ_BYTES_FALLBACK = (32, 16, 8)
#: Bytes an IVF list entry takes beside its code (the int64 row id).
IVF_ID_BYTES = 8

#: Recall@k the compressed index is tuned to reach, against exact search.
RECALL_TARGET = 0.95
#: The k of that recall (the depth of the judged pools and of AP@50).
RECALL_K = 50
#: Sample queries the tuning measures recall on.
TUNING_QUERIES = 200
#: The share of rows the filtered tuning lets through (a selective office/date/class filter).
TUNING_FILTER_FRACTION = 0.1
#: Re-ranking depths tried, as multiples of k: the IVF-PQ search returns ``factor * k`` candidates, which are
#: re-scored with the exact vectors. Each step reads ``factor * k * d * 2`` bytes of the float16 file a query.
#: The deep ones are for dense collections: at 3M clustered vectors (3,000 a cluster) 20x k reached recall@50
#: 0.941 even with every list probed (measured: the tuning then kept an exhaustive 118 ms search), because PQ64
#: codes cannot order the thousands of near neighbours inside a cluster; reading more candidates costs ~1 ms
#: per 1,000 rows, scanning every list ~100 ms.
RERANK_FACTORS = (2, 4, 10, 20, 40, 80, 160)
#: The factor used when ``nprobe`` or the factor is given by hand instead of tuned.
DEFAULT_RERANK_FACTOR = 10


def auto_is_flat(n: int, dim: int, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> bool:
    """Whether ``"auto"`` builds an exact index for ``n`` float32 vectors of ``dim`` dimensions."""
    return n * dim * 4 <= min(AUTO_FLAT_MAX_BYTES, memory_budget)


def auto_kind(n: int, dim: int, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> tuple[str, str]:
    """The kind ``"auto"`` builds and why (the reason is recorded in ``index_infos.json``)."""
    size = f"{n:,} vectors x {dim} d = {n * dim * 4 / 1e6:,.1f} MB float32"
    if auto_is_flat(n, dim, memory_budget):
        return "flat", f"{size}: exact search is fast at this size"
    limit = min(AUTO_FLAT_MAX_BYTES, memory_budget)
    return "ivfpq", f"{size} > {limit / 1e6:,.1f} MB: compressed codes in RAM, re-ranked with exact vectors"


def ivf_nlist(n: int) -> int:
    """Inverted lists for ``n`` vectors: about sqrt(n), with at least 39 training points a list."""
    return int(max(1, min(np.sqrt(max(n, 1)), n // 39)))


def ivf_nprobe(nlist: int) -> int:
    """Lists visited per query when not tuned: a sixteenth of them, at least one."""
    return max(1, min(nlist, nlist // 16 or 1))


def nprobe_ladder(nlist: int) -> list[int]:
    """The ``nprobe`` values tuning tries, cheapest first: powers of two up to every list."""
    ladder = [1]
    while ladder[-1] < nlist:
        ladder.append(min(nlist, ladder[-1] * 2))
    return ladder


def ivf_training_sample(n: int, nlist: int) -> int:
    """Vectors the quantisers are trained on: k-means cost grows with ``sample * nlist``, so a fixed-seed
    sample of 64 points a list, at least 65,536 (the 256 PQ centroids of each sub-space need ~39 x 256 each)."""
    return min(n, max(64 * nlist, 65_536))


def pq_subquantisers(dim: int, pq_bytes: int) -> int:
    """The largest number of sub-quantisers, at most ``pq_bytes``, that divides ``dim``."""
    m = pq_bytes
    while m > 1 and dim % m:
        m -= 1
    return m


def pq_bytes_for_budget(n: int, dim: int, nlist: int, memory_budget: int, pq_bytes: int = PQ_BYTES) -> int:
    """The largest code size, ``pq_bytes`` first, whose IVF-PQ index fits ``memory_budget`` (the smallest tried
    when none fits: the index is then over budget, which its infos' ``ram_bytes`` shows)."""
    sizes = [pq_bytes] + [b for b in PQ_BYTES_FALLBACK if b < pq_bytes]
    for size in sizes:
        if ivfpq_ram_bytes(n, dim, nlist, size) <= memory_budget:
            return size
    return sizes[-1]


def ivfpq_ram_bytes(n: int, dim: int, nlist: int, pq_bytes: int) -> int:
    """RAM of an IVF-PQ index: a code and an id a vector, the coarse centroids, the PQ codebooks."""
    return n * (pq_bytes + IVF_ID_BYTES) + nlist * dim * 4 + 256 * dim * 4


def retrain_due(count: int, trained_on: int) -> bool:
    """Whether an index trained on ``trained_on`` vectors that now holds ``count`` should be retrained."""
    return count > RETRAIN_FACTOR * max(trained_on, 1)
