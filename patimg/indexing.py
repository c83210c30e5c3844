"""Indexing: figures and their linked sentences in, one FAISS index per channel out.

Embeddings are kept row-aligned in ``vectors/`` so adding publications encodes only the new figures (and new
sentences); the FAISS index of each channel is then rebuilt from the stored vectors, which is cheap next to
encoding. Each channel records the encoder that made it; asking for another encoder on an existing collection
is an error unless ``rebuild=True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from patimg.collection import Collection
from patimg.errors import BackendMismatchError, BadInputError
from patimg.fileio import atomic_write_bytes, atomic_write_json

Progress = Callable[[str, int, int, str], None]

VISUAL = "visual"
TEXT = "text"


class VectorStore:
    """Row-aligned float32 vectors with string ids, stored as ``<name>.npy`` + ``<name>_ids.json``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.npy = folder / f"{name}.npy"
        self.ids_path = folder / f"{name}_ids.json"
        self.info_path = folder / f"{name}_info.json"

    def load(self) -> tuple[list[str], np.ndarray | None, dict[str, Any] | None]:
        if not self.npy.exists() or not self.ids_path.exists():
            return [], None, None
        ids = json.loads(self.ids_path.read_text(encoding="utf-8"))
        vectors = np.load(self.npy, mmap_mode="r")
        info = json.loads(self.info_path.read_text(encoding="utf-8")) if self.info_path.exists() else None
        if len(ids) != len(vectors):
            return [], None, None  # torn write from an old crash: re-encode
        return ids, np.asarray(vectors, dtype=np.float32), info

    def save(self, ids: Sequence[str], vectors: np.ndarray, info: dict[str, Any]) -> None:
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32))
        atomic_write_bytes(self.npy, buffer.getvalue())
        atomic_write_json(self.ids_path, list(ids))
        atomic_write_json(self.info_path, info)


def _same_encoder(stored: dict[str, Any] | None, current: dict[str, Any]) -> bool:
    if stored is None:
        return True
    return (stored.get("name"), stored.get("weights"), stored.get("dim")) == (
        current.get("name"),
        current.get("weights"),
        current.get("dim"),
    )


def _check_or_rebuild(channel: str, stored, current, rebuild: bool, collection: Collection) -> bool:
    """Whether stored vectors can be reused; raises when they cannot and ``rebuild`` was not asked."""
    if _same_encoder(stored, current):
        return True
    if rebuild:
        return False
    raise BackendMismatchError(
        f"the {channel} vectors of collection {collection.path} were made by {stored.get('name')!r} "
        f"(weights {stored.get('weights')!r}); you asked for {current.get('name')!r}. Re-run with "
        f"--rebuild to re-encode every figure with the new encoder, or keep the collection's encoder."
    )


def encode_visual(
    collection: Collection,
    *,
    encoder,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch_size: int = 32,
) -> tuple[list[str], np.ndarray]:
    """Visual vectors of every figure, encoding only figures not encoded before."""
    from PIL import Image

    store = VectorStore(collection.path / "vectors", VISUAL)
    old_ids, old_vectors, stored = store.load()
    if not _check_or_rebuild(VISUAL, stored, encoder.info(), rebuild, collection):
        old_ids, old_vectors = [], None
    known = {fid: i for i, fid in enumerate(old_ids)}
    figures = collection.figure_records()
    todo = [f for f in figures if f.figure_id not in known]
    new_vectors: list[np.ndarray] = []
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        if progress:
            progress("encode visual", start, len(todo), batch[0].figure_id)
        images = []
        for figure in batch:
            path = collection.path / figure.image
            try:
                with Image.open(path) as image:
                    images.append(image.convert("L"))
            except OSError as error:
                raise BadInputError(str(path), f"figure image unreadable: {error}") from error
        new_vectors.append(np.asarray(encoder.encode(images), dtype=np.float32))
    if progress:
        progress("encode visual", len(todo), len(todo), "")
    dim = int(encoder.dim)
    new = np.concatenate(new_vectors) if new_vectors else np.zeros((0, dim), np.float32)
    new_pos = {f.figure_id: i for i, f in enumerate(todo)}
    ids = [f.figure_id for f in figures]
    vectors = np.zeros((len(ids), dim), np.float32)
    for row, fid in enumerate(ids):
        vectors[row] = old_vectors[known[fid]] if fid in known else new[new_pos[fid]]
    store.save(ids, vectors, encoder.info())
    return ids, vectors


def figure_texts(collection: Collection) -> dict[str, list[tuple[str, int]]]:
    """For each figure, the ``(patent_id, sentence index)`` of the sentences its signs link to."""
    figures = {f.figure_id: f.patent_id for f in collection.figure_records()}
    result: dict[str, list[tuple[str, int]]] = {}
    for figure_id, links in collection.all_links().items():
        patent_id = figures.get(figure_id)
        if patent_id is None:
            continue
        keys = sorted({(patent_id, i) for link in links for i in link.sentence_indexes})
        if keys:
            result[figure_id] = keys
    return result


def encode_text(
    collection: Collection,
    *,
    encoder,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch_size: int = 64,
) -> tuple[list[str], np.ndarray]:
    """Text vectors: per figure, the normalised mean of its linked sentences' vectors (the paper's rule).

    A figure with no linked sentence gets no text vector at all, so it is absent from the text index
    rather than a zero vector that would match everything equally.
    """
    from patimg.encoders.text import mean_text_vector

    sentence_store = VectorStore(collection.path / "vectors", "sentences")
    old_keys, old_vectors, stored = sentence_store.load()
    if not _check_or_rebuild(TEXT, stored, encoder.info(), rebuild, collection):
        old_keys, old_vectors = [], None
    known = {key: i for i, key in enumerate(old_keys)}
    wanted = figure_texts(collection)
    needed = sorted({key for keys in wanted.values() for key in keys})
    todo = [key for key in needed if f"{key[0]}#{key[1]}" not in known]
    texts: dict[tuple[str, int], str] = {}
    for patent_id in sorted({p for p, _ in todo}):
        for sentence in collection.sentences(patent_id):
            texts[(patent_id, sentence.index)] = sentence.text
    new_vectors = []
    for start in range(0, len(todo), batch_size):
        if progress:
            progress("encode text", start, len(todo), f"{todo[start][0]}")
        batch = todo[start : start + batch_size]
        new_vectors.append(np.asarray(encoder.encode([texts[k] for k in batch]), dtype=np.float32))
    if progress:
        progress("encode text", len(todo), len(todo), "")
    dim = int(encoder.dim)
    new = np.concatenate(new_vectors) if new_vectors else np.zeros((0, dim), np.float32)
    keys = [f"{p}#{i}" for p, i in needed]
    new_pos = {f"{p}#{i}": row for row, (p, i) in enumerate(todo)}
    sentence_vectors = np.zeros((len(keys), dim), np.float32)
    for row, key in enumerate(keys):
        sentence_vectors[row] = old_vectors[known[key]] if key in known else new[new_pos[key]]
    sentence_store.save(keys, sentence_vectors, encoder.info())
    row_of = {key: row for row, key in enumerate(keys)}
    ids, vectors = [], []
    for figure_id in sorted(wanted):
        rows = [row_of[f"{p}#{i}"] for p, i in wanted[figure_id]]
        vector = mean_text_vector(sentence_vectors[rows])
        if vector is not None:
            ids.append(figure_id)
            vectors.append(vector)
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    VectorStore(collection.path / "vectors", TEXT).save(ids, matrix, encoder.info())
    return ids, matrix


def _resolve_spec(collection: Collection, channel: str, requested: str | None, default: str) -> str:
    recorded = collection.meta.get("encoders", {}).get(channel, {}).get("spec")
    return requested or recorded or default


def build_indexes(
    collection: str | Path,
    *,
    visual: str | None = None,
    text: str | None = None,
    rebuild: bool = False,
    index_kind: str = "auto",
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Encode new figures and (re)build the FAISS index of each channel.

    Args:
        collection: Collection folder.
        visual: Visual encoder spec (``"clip:ViT-B-32/openai"``, the weight-free descriptor's name...);
            defaults to the one that built the collection, else ``patimg.encoders.base.DEFAULT_VISUAL``.
        text: Text encoder spec (``"minilm"``...); defaults likewise.
        rebuild: Re-encode everything (needed to switch encoders).
        index_kind: ``"auto"``, ``"flat"``, ``"ivfpq"`` or ``"hnsw"``.
        progress: Optional ``progress(stage, done, total, item)``.

    Returns:
        ``index_infos`` of each channel built.
    """
    from patimg.encoders.base import default_visual_spec, get_text_encoder, get_visual_encoder
    from patimg.index import build_index

    store = Collection.open(collection)
    visual_spec = _resolve_spec(store, VISUAL, visual, default_visual_spec())
    text_spec = _resolve_spec(store, TEXT, text, "minilm")
    infos: dict[str, dict[str, Any]] = {}
    encoders: dict[str, Any] = dict(store.meta.get("encoders", {}))

    visual_encoder = get_visual_encoder(visual_spec)
    ids, vectors = encode_visual(store, encoder=visual_encoder, rebuild=rebuild, progress=progress)
    infos[VISUAL] = _write_index(store, VISUAL, ids, vectors, visual_encoder.info(), index_kind, build_index)
    encoders[VISUAL] = {"spec": visual_spec, **visual_encoder.info()}

    text_encoder = get_text_encoder(text_spec)
    ids, vectors = encode_text(store, encoder=text_encoder, rebuild=rebuild, progress=progress)
    infos[TEXT] = _write_index(store, TEXT, ids, vectors, text_encoder.info(), index_kind, build_index)
    encoders[TEXT] = {"spec": text_spec, **text_encoder.info()}

    store.update_meta(encoders=encoders)
    return infos


def _write_index(store, channel, ids, vectors, encoder_info, kind, build_index) -> dict[str, Any]:
    out_dir = store.path / "indexes" / channel
    info = build_index(
        vectors, list(ids), out_dir=out_dir, channel=channel, encoder_info=encoder_info, kind=kind
    )
    return info.to_dict()


def stored_vectors(collection: Collection, channel: str) -> dict[str, np.ndarray]:
    """A channel's stored vectors by figure id (used to query by a figure already in the collection)."""
    ids, vectors, _ = VectorStore(collection.path / "vectors", channel).load()
    if vectors is None:
        return {}
    return {fid: vectors[i] for i, fid in enumerate(ids)}
