"""One FAISS index per channel: L2-normalised float32 vectors, inner product (= cosine similarity).

On disk, a folder per channel (``indexes/<generation>/<channel>/``)::

    index.faiss        the FAISS index; row ``i`` of the index is ``ids[i]``
    ids.json           figure ids, in index order
    vectors.f16.npy    the compressed kind only: its exact vectors, float16, row-aligned, memory-mapped
    index_infos.json   encoder identity, dimension, count, index type, parameters and why they were chosen
                       (for the compressed kind the tuned nprobe, re-ranking depth and measured recall),
                       library versions, time

Each file is written to a temporary name and renamed into place, ``index_infos.json`` last; a load checks
that they agree (``count``), so a crash between renames is detected instead of returning wrong ids.

Index kinds (``kind=``):
  * ``"flat"``: exact ``IndexFlatIP``; 4*d bytes a vector.
  * ``"hnsw"``: ``IndexHNSWFlat`` (M=32), graph search; ~4*d + 8*M*2 bytes a vector, recall tunable with
    ``efSearch``; no training.
  * ``"ivfpq"``: the compressed kind: ``IVF<nlist>,PQ<m>np`` codes (``m`` bytes a vector in RAM, fewer when the
    memory budget asks) whose ``rerank_factor * k`` best candidates are re-scored with the exact float16
    vectors (:mod:`.compressed`); ``nprobe`` and the factor are tuned to recall@50 >= 0.95 at build time. It
    needs training (at least ``39*nlist`` and 256 vectors), so too few vectors fall back to ``flat`` and the
    infos say so.
  * ``"auto"``: ``flat`` while the vectors are small enough for exact search to be fast, ``ivfpq`` above
    (the rule, its limit and the memory budget: :mod:`patimg.indexes.choice`).

``add_to_index`` (what ``patimg index`` does when only new figures came) appends new vectors without touching
existing ones. Flat and HNSW just grow. IVF-PQ keeps its trained quantisers (new vectors are encoded with them)
and appends to its exact vectors; once the index holds more than :data:`~patimg.indexes.choice.RETRAIN_FACTOR`
times the vectors it was trained on, the infos' ``needs_retrain`` flag turns true (with a ``note`` saying so)
and the next ``patimg index`` rebuilds it from the stored vectors. A ``flat`` index that an ``"auto"`` build
chose is rebuilt as the compressed kind when it grows past the limit (exact vectors are reconstructed from the
flat index, so nothing is re-encoded).

``load_index`` memory-maps the index (IVF lists, flat codes) and the exact vectors, so a large collection opens
without reading them.

Modules: :mod:`.build` (build, save, grow), :mod:`.loaded` (load), :mod:`.choice` (which kind and which
parameters, by size and memory), :mod:`.compressed` (training, tuning), :mod:`.search` (top-k with figure-id
filters, re-ranking).
"""

from patimg.indexes.build import IndexInfo, add_to_index, build_index, build_memory_index
from patimg.indexes.loaded import IDS_FILE, INDEX_FILE, INFOS_FILE, LoadedIndex, load_index
from patimg.indexes.search import search_index

__all__ = [
    "IDS_FILE",
    "INDEX_FILE",
    "INFOS_FILE",
    "IndexInfo",
    "LoadedIndex",
    "add_to_index",
    "build_index",
    "build_memory_index",
    "load_index",
    "search_index",
]
