"""One FAISS index per channel: L2-normalised float32 vectors, inner product (= cosine similarity).

On disk, a folder per channel (``indexes/<channel>/``)::

    index.faiss        the FAISS index; row ``i`` of the index is ``ids[i]``
    ids.json           figure ids, in index order
    index_infos.json   encoder identity, dimension, count, index type and parameters, library versions, time

Each file is written to a temporary name and renamed into place, ``index_infos.json`` last; a load checks
that the three agree (``count``), so a crash between renames is detected instead of returning wrong ids.

Index kinds (``kind=``):
  * ``"flat"``: exact ``IndexFlatIP``; 4*d bytes a vector.
  * ``"hnsw"``: ``IndexHNSWFlat`` (M=32), graph search; ~4*d + 8*M*2 bytes a vector, recall tunable with
    ``efSearch``; no training.
  * ``"ivfpq"``: ``IVF<nlist>,PQ<m>np`` (the paper's product quantisation; ``np``: no polysemous training,
    which costs minutes and only helps Hamming-filtered search); ``m`` bytes a vector; needs
    training (at least ``39*nlist`` and 256 vectors), so too few vectors fall back to ``flat`` and the infos
    say so.
  * ``"auto"``: ``flat`` while the vectors are small enough for exact search to be fast, ``hnsw`` above
    (the rule and its limit: :mod:`patimg.indexes.choice`).

``add_to_index`` (what ``patimg index`` does when only new figures came) appends new vectors without touching
existing ones. Flat and HNSW just grow. IVF-PQ keeps its trained quantisers (new vectors are encoded with them);
once the index holds more than :data:`~patimg.indexes.choice.RETRAIN_FACTOR` times the vectors it was trained
on, the infos' ``needs_retrain`` flag turns true and the next ``patimg index`` rebuilds it from the stored
vectors. A ``flat`` index that an
``"auto"`` build chose is rebuilt as ``hnsw`` when it grows past the threshold (exact vectors are
reconstructed from the flat index, so nothing is re-encoded).

Modules: :mod:`.build` (build, save, load, grow), :mod:`.choice` (which kind and which parameters, by size),
:mod:`.search` (top-k with figure-id filters).
"""

from patimg.indexes.build import (
    IDS_FILE,
    INDEX_FILE,
    INFOS_FILE,
    IndexInfo,
    LoadedIndex,
    add_to_index,
    build_index,
    build_memory_index,
    load_index,
)
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
