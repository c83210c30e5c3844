"""Building, saving, loading and growing a channel's FAISS index (the mechanics; see the package docstring)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from patimg.errors import BadInputError
from patimg.fileio import atomic_write, new_temporary_file
from patimg.indexes.choice import (
    DEFAULT_MEMORY_BUDGET,
    DEFAULT_RERANK_FACTOR,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    PQ_BYTES,
    RETRAIN_FACTOR,
    auto_kind,
    ivf_nlist,
    ivf_nprobe,
    ivf_training_sample,
    ivfpq_ram_bytes,
    pq_bytes_for_budget,
    pq_subquantisers,
    retrain_due,
)
from patimg.indexes.compressed import HALF_VECTORS_FILE, build_ivfpq, tune
from patimg.indexes.loaded import IDS_FILE, INDEX_FILE, INFOS_FILE, LoadedIndex, load_index
from patimg.matrix_rows import NpyRowReader, NpyRowWriter, row_batches
from patimg.vectors import open_half_vectors, write_half_vectors
from patimg.vocabulary import INDEX_KINDS


@dataclass(frozen=True)
class IndexInfo:
    """What ``index_infos.json`` records (``asdict`` of this is the file)."""

    channel: str
    encoder: dict[str, Any]
    dim: int
    count: int
    index_type: str
    params: dict[str, Any] = field(default_factory=dict)
    requested_kind: str = "auto"
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    #: What happened to the index that a reader should know (asked to retrain, retrained and why).
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def _versions() -> dict[str, str]:
    import faiss

    return {"faiss": faiss.__version__, "numpy": np.__version__}


def _check_vectors(vectors: Any, ids: Sequence[str], *, dim: int | None = None) -> np.ndarray:
    """``vectors`` as a matrix the build reads a batch at a time, after checking every row.

    A float32 or float16 array (a memory map of a vector store's ``.npy`` included) is used as it is, never
    copied whole: its rows are checked and later read a batch at a time (:mod:`patimg.matrix_rows`). Anything
    else (lists, float64) is converted to float32 first.
    """
    matrix = (
        vectors if isinstance(vectors, np.ndarray) and vectors.dtype in (np.float32, np.float16) else None
    )
    if matrix is None:
        matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if matrix.ndim != 2:
        raise BadInputError("vectors", f"expected a (n, dim) matrix, got shape {matrix.shape}")
    if len(matrix) != len(ids):
        raise BadInputError("ids", f"{len(ids)} ids for {len(matrix)} vectors")
    if dim is not None and matrix.shape[1] != dim:
        raise BadInputError("vectors", f"dimension {matrix.shape[1]} does not match the index's {dim}")
    if len(set(ids)) != len(ids):
        raise BadInputError("ids", "duplicate ids")
    for _, rows in row_batches(matrix):
        if not np.isfinite(rows).all():
            raise BadInputError("vectors", "NaN or infinite values")
        norms = np.linalg.norm(rows, axis=1)
        # All-zero rows are allowed: an encoder's "nothing to describe" (a blank drawing) scores 0 with all.
        if len(norms) and (np.abs(norms - 1.0)[norms > 1e-6] > 1e-3).any():
            raise BadInputError("vectors", "rows must be L2-normalised (inner product is used as cosine)")
    return matrix


def _add_rows(index: Any, matrix: np.ndarray) -> None:
    """Add every row of ``matrix`` to ``index``, a float32 batch at a time."""
    for _, rows in row_batches(matrix):
        index.add(rows)


@dataclass(frozen=True)
class BuildOptions:
    """Settings of :func:`_make_index` (documented at :func:`build_index`)."""

    nlist: int | None = None
    pq_bytes: int = PQ_BYTES
    hnsw_m: int = HNSW_M
    ef_search: int = HNSW_EF_SEARCH
    nprobe: int | None = None
    rerank: int | None = None
    memory_budget: int = DEFAULT_MEMORY_BUDGET


def _make_index(
    matrix: np.ndarray, kind: str, options: BuildOptions, *, half_path: Path | None = None
) -> tuple[Any, str, dict[str, Any], np.ndarray | None]:
    """A filled FAISS index, the type actually built, its parameters and its exact float16 vectors (or None).

    ``half_path``: where the compressed kind writes its float16 exact vectors (they are then returned
    memory-mapped from there); ``None`` keeps them in memory.
    """
    import faiss

    n, dim = matrix.shape
    reason = ""
    if kind == "auto":
        kind, reason = auto_kind(n, dim, options.memory_budget)
    if kind == "ivfpq":
        nlist = options.nlist or ivf_nlist(n)
        if n >= max(256, 39 * nlist):
            index, params, exact = _make_ivfpq(matrix, nlist, options, half_path)
            return index, "ivfpq", {**params, **({"choice": reason} if reason else {})}, exact
        kind = "flat"  # too few vectors to train 256 PQ centroids; exact search is fast at this size anyway
        reason = f"{n} vectors are too few to train IVF{nlist},PQ: exact search"
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = options.ef_search
        _add_rows(index, matrix)
        params = {"M": options.hnsw_m, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": options.ef_search}
        return index, "hnsw", params, None
    if kind != "flat":
        raise BadInputError("kind", f"{kind!r} is not one of {', '.join(INDEX_KINDS)}")
    index = faiss.IndexFlatIP(dim)
    _add_rows(index, matrix)
    return index, "flat", ({"choice": reason} if reason else {}), None


def _make_ivfpq(
    matrix: np.ndarray, nlist: int, options: BuildOptions, half_path: Path | None
) -> tuple[Any, dict[str, Any], Any]:
    """The compressed kind: IVF-PQ sized to the memory budget, its float16 exact vectors, tuned parameters.

    The rows are read once to fill the index and, in the same pass, written as float16 to ``half_path`` (or
    kept in memory without one). ``rerank=0`` builds codes alone (no exact vectors: the approximate scores are
    returned, as before re-ranking existed; benchmarks compare). Given ``nprobe`` or ``rerank``, they are used
    as they are (the other at its default); with neither, both are tuned to the recall target
    (:func:`~.compressed.tune`).
    """
    n, dim = matrix.shape
    pq_bytes = pq_bytes_for_budget(n, dim, nlist, options.memory_budget, options.pq_bytes)
    m = pq_subquantisers(dim, pq_bytes)
    params: dict[str, Any] = {
        "nlist": nlist,
        "m": m,
        "nbits": 8,
        "trained_on": n,
        "training_sample": ivf_training_sample(n, nlist),
        "ram_bytes": ivfpq_ram_bytes(n, dim, nlist, m),
        "memory_budget": options.memory_budget,
    }
    if options.rerank == 0:
        index, exact = build_ivfpq(matrix, nlist=nlist, m=m), None
    elif half_path is None:
        exact = np.empty((n, dim), np.float16)

        def keep(first: int, rows: np.ndarray) -> None:
            exact[first : first + len(rows)] = rows

        index = build_ivfpq(matrix, nlist=nlist, m=m, each_batch=keep)
    else:
        with NpyRowWriter(half_path, n, dim, np.float16) as writer:
            index = build_ivfpq(matrix, nlist=nlist, m=m, each_batch=lambda _, rows: writer.write(rows))
        exact = open_half_vectors(half_path)
    if exact is not None:
        params["exact_vectors"] = HALF_VECTORS_FILE
    if exact is None or options.nprobe is not None or options.rerank is not None:
        index.nprobe = options.nprobe or ivf_nprobe(nlist)
        factor = 0 if exact is None else options.rerank or DEFAULT_RERANK_FACTOR
        return index, {**params, "nprobe": index.nprobe, "rerank_factor": factor}, exact
    # The tuning re-ranks with plain reads of the file just written, not its memory map (see NpyRowReader).
    reader = NpyRowReader(half_path) if half_path is not None else None
    try:
        tuning = tune(index, matrix, exact if reader is None else reader)
    finally:
        if reader is not None:
            reader.close()
    params.update(nprobe=tuning.pop("nprobe"), rerank_factor=tuning.pop("rerank_factor"), tuning=tuning)
    return index, params, exact


def _save(
    out_dir: Path,
    index: Any,
    ids: Sequence[str],
    info: IndexInfo,
    exact: Sequence[Any] | Path | None = None,
) -> None:
    """Write the index, its exact vectors, ids and infos, each atomically and the infos last; a stale
    exact-vectors file of an earlier kind is removed first.

    ``exact``: row blocks to write, in order, or a finished file (a temporary file the build wrote beside the
    index, renamed into place).
    """
    import faiss

    out_dir.mkdir(parents=True, exist_ok=True)
    if exact is None:
        (out_dir / HALF_VECTORS_FILE).unlink(missing_ok=True)
    atomic_write(out_dir / INDEX_FILE, lambda tmp: faiss.write_index(index, tmp))
    if isinstance(exact, Path):
        os.replace(exact, out_dir / HALF_VECTORS_FILE)
    elif exact is not None:
        write_half_vectors(out_dir / HALF_VECTORS_FILE, exact)
    atomic_write(
        out_dir / IDS_FILE, lambda tmp: Path(tmp).write_text(json.dumps(list(ids)), encoding="utf-8")
    )
    payload = json.dumps(info.to_dict(), indent=2, sort_keys=True)
    atomic_write(out_dir / INFOS_FILE, lambda tmp: Path(tmp).write_text(payload, encoding="utf-8"))


def build_index(
    vectors: Any,
    ids: Sequence[str],
    *,
    out_dir: str | Path | None,
    channel: str,
    encoder_info: dict[str, Any],
    kind: str = "auto",
    nlist: int | None = None,
    pq_bytes: int = PQ_BYTES,
    hnsw_m: int = HNSW_M,
    ef_search: int = HNSW_EF_SEARCH,
    nprobe: int | None = None,
    rerank: int | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    note: str = "",
) -> IndexInfo:
    """Build a channel's index from all its vectors and write it to ``out_dir`` (None: do not write).

    The vectors are read a batch at a time, never copied whole: a memory-mapped store of 10M vectors (20 GB of
    float32) builds in the RAM of its index, its training sample and a batch. The compressed kind's float16
    exact vectors are written to a temporary file beside the index as the rows are added, then renamed into
    place with the rest.

    Args:
        vectors: ``(n, dim)`` L2-normalised rows (n may be 0): a float32 or float16 array or memory map, read
            as it is; anything else is converted to float32 first.
        ids: Figure id of each row.
        out_dir: Folder of this channel's index (created).
        channel: ``"visual"`` or ``"text"``.
        encoder_info: The encoder's ``info()`` (recorded to check queries against).
        kind: ``"auto"``, ``"flat"``, ``"ivfpq"`` or ``"hnsw"``.
        nlist: IVF lists (default about sqrt(n)).
        pq_bytes: Largest PQ code size in bytes (smaller when the memory budget asks for it).
        nprobe, rerank: IVF lists visited and candidates re-ranked per result (``rerank=0``: no re-ranking,
            no exact vectors kept). Default: both tuned to recall@50 >= 0.95 at build time.
        hnsw_m, ef_search: HNSW settings.
        memory_budget: Bytes of RAM the index may take; ``"auto"`` and the PQ code size respect it.
        note: Recorded in the infos (why this build happened, e.g. a retrain).

    Returns:
        The recorded :class:`IndexInfo`.
    """
    if kind not in INDEX_KINDS:
        raise BadInputError("kind", f"{kind!r} is not one of {', '.join(INDEX_KINDS)}")
    dim = int(encoder_info.get("dim") or np.shape(vectors)[-1])
    matrix = _check_vectors(vectors, list(ids), dim=dim) if len(ids) else np.zeros((0, dim), np.float32)
    options = BuildOptions(nlist, pq_bytes, hnsw_m, ef_search, nprobe, rerank, memory_budget)
    half_path = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        half_path = Path(new_temporary_file(Path(out_dir) / HALF_VECTORS_FILE))
    try:
        index, built, params, exact = _make_index(matrix, kind, options, half_path=half_path)
        info = _built_info(channel, encoder_info, dim, len(ids), built, params, kind, note)
        if out_dir is not None:
            _save(Path(out_dir), index, list(ids), info, None if exact is None else half_path)
    finally:
        if half_path is not None:
            half_path.unlink(missing_ok=True)  # renamed into place, or an interrupted build's
    return info


def _built_info(
    channel: str,
    encoder_info: dict[str, Any],
    dim: int,
    count: int,
    built: str,
    params: dict[str, Any],
    kind: str,
    note: str,
) -> IndexInfo:
    return IndexInfo(
        channel=channel,
        encoder=dict(encoder_info),
        dim=dim,
        count=count,
        index_type=built,
        params=params,
        requested_kind=kind,
        versions=_versions(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        note=note,
    )


def build_memory_index(
    vectors: Any, ids: Sequence[str], *, kind: str = "flat", **options: Any
) -> LoadedIndex:
    """An in-memory :class:`LoadedIndex` (tests, ad-hoc searches); nothing is written. ``options``: those of
    :func:`build_index` from ``nlist`` to ``memory_budget``."""
    matrix = _check_vectors(vectors, list(ids))
    index, built, params, exact = _make_index(matrix, kind, BuildOptions(**options))
    info = {"index_type": built, "params": params, "count": len(ids), "dim": matrix.shape[1]}
    return LoadedIndex(
        index=index,
        ids=list(ids),
        info=info,
        exact=exact,
        rerank_factor=int(params.get("rerank_factor") or 1),
    )


def add_to_index(path: str | Path, vectors: Any, ids: Sequence[str]) -> IndexInfo:
    """Append vectors with new ids to a channel's index on disk (existing vectors are kept as they are).

    Flat and HNSW grow. The compressed kind encodes the new vectors with its trained quantisers (no
    retraining) and appends them to its exact vectors; past :func:`~.choice.retrain_due` its infos say
    ``needs_retrain`` and the next ``patimg index`` rebuilds it. A flat index that ``"auto"`` chose is rebuilt
    as the kind ``"auto"`` now chooses once it grows past the exact-search limit (its vectors are reconstructed
    from the flat index, so nothing is re-encoded).

    Raises:
        BadInputError: An id already indexed, wrong dimension, unnormalised rows.
    """
    loaded = load_index(path, mmap=False)
    info = dict(loaded.info)
    clash = [fid for fid in ids if fid in loaded.positions]
    if clash:
        raise BadInputError("ids", f"already in the index: {', '.join(clash[:5])}")
    dim = int(info["dim"])
    matrix = _check_vectors(vectors, list(ids), dim=dim)
    all_ids = loaded.ids + list(ids)
    params = dict(info.get("params", {}))
    index_type = info["index_type"]
    index = loaded.index
    exact: list[Any] | None = None if loaded.exact is None else [loaded.exact, matrix]
    note = ""
    budget = int(params.get("memory_budget", DEFAULT_MEMORY_BUDGET))
    if (
        index_type == "flat"
        and info.get("requested_kind") == "auto"
        and auto_kind(len(all_ids), dim, budget)[0] != "flat"
    ):
        old = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, dim), np.float32)
        index, index_type, params, rebuilt = _make_index(
            np.concatenate([old, matrix]), "auto", BuildOptions(memory_budget=budget)
        )
        exact = None if rebuilt is None else [rebuilt]
        note = f"grown to {len(all_ids):,} vectors: rebuilt as {index_type} ({params.get('choice', '')})"
    else:
        _add_rows(index, matrix)
    if index_type == "ivfpq":
        trained_on = int(params.get("trained_on", len(all_ids)))
        params["needs_retrain"] = retrain_due(len(all_ids), trained_on)
        if params["needs_retrain"]:
            note = (
                f"holds {len(all_ids):,} vectors, more than {RETRAIN_FACTOR} x the {trained_on:,} it was "
                "trained on: the next `patimg index` retrains it"
            )
    new_info = IndexInfo(
        channel=info["channel"],
        encoder=info["encoder"],
        dim=dim,
        count=len(all_ids),
        index_type=index_type,
        params=params,
        requested_kind=info.get("requested_kind", "auto"),
        versions=_versions(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        note=note,
    )
    assert index.ntotal == len(all_ids), "faiss index and ids out of step"
    _save(Path(path), index, all_ids, new_info, exact)
    return new_info
