"""The rules that choose a channel's index and its parameters (the mechanics are in :mod:`.build`).

``"auto"`` keeps exact search (``flat``) while the vectors take at most :data:`AUTO_FLAT_MAX_BYTES` and switches
to HNSW above. Exact search time and memory grow with ``n * d``, so the limit is in bytes: about 1M vectors of
512 dimensions, about 65k of the weight-free drawing descriptor's 8192. ``benchmarks/search.py`` measures
latency, recall@50 against exact search and bytes per vector for every kind; the README has its figures.
"""

from __future__ import annotations

import numpy as np

#: ``"auto"`` uses exact search up to this many 512-d vectors.
AUTO_FLAT_MAX = 1_000_000
#: The same limit in bytes (float32), so that wide vectors switch earlier.
AUTO_FLAT_MAX_BYTES = AUTO_FLAT_MAX * 512 * 4

#: An IVF-PQ index should be retrained once it holds this many times its training set.
RETRAIN_FACTOR = 4
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
#: Bytes of a PQ code (one byte per sub-quantiser).
PQ_BYTES = 64


def auto_is_flat(n: int, dim: int) -> bool:
    """Whether ``"auto"`` builds an exact index for ``n`` float32 vectors of ``dim`` dimensions."""
    return n * dim * 4 <= AUTO_FLAT_MAX_BYTES


def ivf_nlist(n: int) -> int:
    """Inverted lists for ``n`` vectors: about sqrt(n), with at least 39 training points a list."""
    return int(max(1, min(np.sqrt(max(n, 1)), n // 39)))


def ivf_nprobe(nlist: int) -> int:
    """Lists visited per query: a sixteenth of them, at least one."""
    return max(1, min(nlist, nlist // 16 or 1))


def pq_subquantisers(dim: int, pq_bytes: int) -> int:
    """The largest number of sub-quantisers, at most ``pq_bytes``, that divides ``dim``."""
    m = pq_bytes
    while m > 1 and dim % m:
        m -= 1
    return m
