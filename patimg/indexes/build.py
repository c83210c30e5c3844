"""Building, saving, loading and growing a channel's FAISS index (the mechanics; see the package docstring)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from patimg.errors import BadInputError, PatImgError
from patimg.fileio import atomic_write
from patimg.indexes.choice import (
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    PQ_BYTES,
    RETRAIN_FACTOR,
    auto_is_flat,
    ivf_nlist,
    ivf_nprobe,
    pq_subquantisers,
)
from patimg.vocabulary import INDEX_KINDS

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
INFOS_FILE = "index_infos.json"


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

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


@dataclass
class LoadedIndex:
    """A FAISS index with its ids and infos, as :func:`load_index` returns it."""

    index: Any
    ids: list[str]
    info: dict[str, Any]
    path: Path | None = None
    _positions: dict[str, int] | None = None

    @property
    def positions(self) -> dict[str, int]:
        """Figure id to index row."""
        if self._positions is None:
            self._positions = {fid: i for i, fid in enumerate(self.ids)}
        return self._positions

    def __len__(self) -> int:
        return len(self.ids)


def _versions() -> dict[str, str]:
    import faiss

    return {"faiss": faiss.__version__, "numpy": np.__version__}


def _check_vectors(vectors: Any, ids: Sequence[str], *, dim: int | None = None) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if matrix.ndim != 2:
        raise BadInputError("vectors", f"expected a (n, dim) matrix, got shape {matrix.shape}")
    if len(matrix) != len(ids):
        raise BadInputError("ids", f"{len(ids)} ids for {len(matrix)} vectors")
    if dim is not None and matrix.shape[1] != dim:
        raise BadInputError("vectors", f"dimension {matrix.shape[1]} does not match the index's {dim}")
    if len(set(ids)) != len(ids):
        raise BadInputError("ids", "duplicate ids")
    if not np.isfinite(matrix).all():
        raise BadInputError("vectors", "NaN or infinite values")
    norms = np.linalg.norm(matrix, axis=1)
    # All-zero rows are allowed: an encoder's "nothing to describe" (a blank drawing) scores 0 with everything.
    if len(norms) and (np.abs(norms - 1.0)[norms > 1e-6] > 1e-3).any():
        raise BadInputError("vectors", "rows must be L2-normalised (inner product is used as cosine)")
    return matrix


def _make_index(
    matrix: np.ndarray,
    kind: str,
    *,
    nlist: int | None,
    pq_bytes: int,
    hnsw_m: int,
    ef_search: int,
    nprobe: int | None,
) -> tuple[Any, str, dict[str, Any]]:
    """A filled FAISS index, the type actually built and its parameters."""
    import faiss

    n, dim = matrix.shape
    if kind == "auto":
        kind = "flat" if auto_is_flat(n, dim) else "hnsw"
    if kind == "ivfpq":
        nlist = nlist or ivf_nlist(n)
        m = pq_subquantisers(dim, pq_bytes)
        if n < max(256, 39 * nlist):
            kind = (
                "flat"  # too few vectors to train 256 PQ centroids; exact search is fast at this size anyway
            )
        else:
            index = faiss.index_factory(dim, f"IVF{nlist},PQ{m}np", faiss.METRIC_INNER_PRODUCT)
            # k-means cost grows with n * nlist: train on a fixed-seed sample (64 points a list, >= 65,536 for
            # the 256 PQ centroids of each sub-space), then encode every vector.
            sample_size = min(n, max(64 * nlist, 65_536))
            rows = (
                np.random.default_rng(0).choice(n, sample_size, replace=False)
                if sample_size < n
                else slice(None)
            )
            index.train(np.ascontiguousarray(matrix[rows]))
            index.add(matrix)
            index.nprobe = nprobe or ivf_nprobe(nlist)
            params = {"nlist": nlist, "m": m, "nbits": 8, "nprobe": index.nprobe, "trained_on": n}
            return index, "ivfpq", {**params, "training_sample": sample_size}
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = ef_search
        index.add(matrix)
        return index, "hnsw", {"M": hnsw_m, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": ef_search}
    if kind != "flat":
        raise BadInputError("kind", f"{kind!r} is not one of {', '.join(INDEX_KINDS)}")
    index = faiss.IndexFlatIP(dim)
    index.add(matrix)
    return index, "flat", {}


def _save(out_dir: Path, index: Any, ids: Sequence[str], info: IndexInfo) -> None:
    import faiss

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / INDEX_FILE, lambda tmp: faiss.write_index(index, tmp))
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
) -> IndexInfo:
    """Build a channel's index from all its vectors and write it to ``out_dir`` (None: do not write).

    Args:
        vectors: ``(n, dim)`` L2-normalised float32 rows (n may be 0).
        ids: Figure id of each row.
        out_dir: Folder of this channel's index (created).
        channel: ``"visual"`` or ``"text"``.
        encoder_info: The encoder's ``info()`` (recorded to check queries against).
        kind: ``"auto"``, ``"flat"``, ``"ivfpq"`` or ``"hnsw"``.
        nlist, pq_bytes, nprobe: IVF-PQ settings (default nlist = sqrt(n), 64-byte codes, nprobe = nlist/16).
        hnsw_m, ef_search: HNSW settings.

    Returns:
        The recorded :class:`IndexInfo`.
    """
    if kind not in INDEX_KINDS:
        raise BadInputError("kind", f"{kind!r} is not one of {', '.join(INDEX_KINDS)}")
    dim = int(encoder_info.get("dim") or np.asarray(vectors).shape[-1])
    matrix = _check_vectors(vectors, list(ids), dim=dim) if len(ids) else np.zeros((0, dim), np.float32)
    index, built, params = _make_index(
        matrix, kind, nlist=nlist, pq_bytes=pq_bytes, hnsw_m=hnsw_m, ef_search=ef_search, nprobe=nprobe
    )
    info = IndexInfo(
        channel=channel,
        encoder=dict(encoder_info),
        dim=dim,
        count=len(ids),
        index_type=built,
        params=params,
        requested_kind=kind,
        versions=_versions(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    if out_dir is not None:
        _save(Path(out_dir), index, list(ids), info)
    return info


def build_memory_index(
    vectors: Any, ids: Sequence[str], *, kind: str = "flat", **options: Any
) -> LoadedIndex:
    """An in-memory :class:`LoadedIndex` (tests, benchmarks, ad-hoc searches); nothing is written."""
    matrix = _check_vectors(vectors, list(ids))
    index, built, params = _make_index(
        matrix,
        kind,
        nlist=options.get("nlist"),
        pq_bytes=options.get("pq_bytes", PQ_BYTES),
        hnsw_m=options.get("hnsw_m", HNSW_M),
        ef_search=options.get("ef_search", HNSW_EF_SEARCH),
        nprobe=options.get("nprobe"),
    )
    info = {"index_type": built, "params": params, "count": len(ids), "dim": matrix.shape[1]}
    return LoadedIndex(index=index, ids=list(ids), info=info)


def load_index(path: str | Path, *, mmap: bool = True) -> LoadedIndex:
    """Load a channel folder written by :func:`build_index`.

    Args:
        path: The channel's folder.
        mmap: Memory-map the index file where FAISS supports it for the type (IVF lists, flat codes);
            otherwise, or if mapping fails, it is read into memory.

    Raises:
        PatImgError: Missing files, or files from different builds (a torn write).
    """
    import faiss

    folder = Path(path)
    missing = [name for name in (INDEX_FILE, IDS_FILE, INFOS_FILE) if not (folder / name).is_file()]
    if missing:
        raise PatImgError(f"index folder {folder} lacks {', '.join(missing)}: rebuild it with `patimg index`")
    index = None
    if mmap:
        try:
            index = faiss.read_index(str(folder / INDEX_FILE), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError:
            index = None
    if index is None:
        index = faiss.read_index(str(folder / INDEX_FILE))
    ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
    info = json.loads((folder / INFOS_FILE).read_text(encoding="utf-8"))
    if not (index.ntotal == len(ids) == info.get("count")):
        raise PatImgError(
            f"index folder {folder} is inconsistent ({index.ntotal} vectors, {len(ids)} ids, infos say "
            f"{info.get('count')}): an interrupted write; rebuild it with `patimg index`"
        )
    _apply_search_params(index, info)
    return LoadedIndex(index=index, ids=ids, info=info, path=folder)


def _apply_search_params(index: Any, info: dict[str, Any]) -> None:
    import faiss

    params = info.get("params", {})
    if "nprobe" in params:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "efSearch" in params and hasattr(index, "hnsw"):
        index.hnsw.efSearch = int(params["efSearch"])


def add_to_index(path: str | Path, vectors: Any, ids: Sequence[str]) -> IndexInfo:
    """Append vectors with new ids to a channel's index on disk (existing vectors are kept as they are).

    Raises:
        BadInputError: An id already indexed, wrong dimension, unnormalised rows.
    """
    loaded = load_index(path, mmap=False)
    info = dict(loaded.info)
    clash = [fid for fid in ids if fid in loaded.positions]
    if clash:
        raise BadInputError("ids", f"already in the index: {', '.join(clash[:5])}")
    matrix = _check_vectors(vectors, list(ids), dim=int(info["dim"]))
    all_ids = loaded.ids + list(ids)
    params = dict(info.get("params", {}))
    index_type = info["index_type"]
    index = loaded.index
    if (
        index_type == "flat"
        and info.get("requested_kind") == "auto"
        and not auto_is_flat(len(all_ids), int(info["dim"]))
    ):
        old = (
            index.reconstruct_n(0, index.ntotal)
            if index.ntotal
            else np.zeros((0, matrix.shape[1]), np.float32)
        )
        index, index_type, params = _make_index(
            np.concatenate([old, matrix]),
            "hnsw",
            nlist=None,
            pq_bytes=PQ_BYTES,
            hnsw_m=HNSW_M,
            ef_search=HNSW_EF_SEARCH,
            nprobe=None,
        )
    elif len(matrix):
        index.add(matrix)
    if index_type == "ivfpq":
        params["needs_retrain"] = len(all_ids) > RETRAIN_FACTOR * int(params.get("trained_on", len(all_ids)))
    new_info = IndexInfo(
        channel=info["channel"],
        encoder=info["encoder"],
        dim=int(info["dim"]),
        count=len(all_ids),
        index_type=index_type,
        params=params,
        requested_kind=info.get("requested_kind", "auto"),
        versions=_versions(),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    assert index.ntotal == len(all_ids), "faiss index and ids out of step"
    _save(Path(path), index, all_ids, new_info)
    return new_info
