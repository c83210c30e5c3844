"""Indexing: figures and their linked sentences in, one FAISS index per channel out.

Embeddings are kept row-aligned in ``vectors/`` so adding publications encodes only the new figures (and new
sentences); the FAISS index of each channel is then rebuilt from the stored vectors, which is cheap next to
encoding. Each channel records the encoder that made it; asking for another encoder on an existing collection
is an error unless ``rebuild=True``.
"""

from __future__ import annotations

import json
import time
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


#: Seconds between checkpoints of the vectors encoded so far: an interrupted run resumes from the last one.
CHECKPOINT_SECONDS = 60.0


def _encode_missing(
    store: VectorStore,
    *,
    old_ids: Sequence[str],
    old_vectors: np.ndarray | None,
    todo: Sequence[str],
    encode_batch: Callable[[Sequence[str]], Any],
    info: dict[str, Any],
    dim: int,
    batch_size: int,
    stage: str,
    progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Encode the ``todo`` keys in batches, checkpointing to ``store`` as it goes.

    Encoding is the slow stage (about a second a figure on a CPU), so the vectors done so far, old and
    new, are saved every :data:`CHECKPOINT_SECONDS`; a run that is interrupted (Ctrl-C, a crash, a closed
    browser tab) then loses at most that much work, and the next run encodes only what is still missing.

    Returns:
        Every vector known afterwards (the old ones and the new), by key.
    """
    done_ids = list(old_ids)
    done: list[np.ndarray] = [old_vectors] if old_vectors is not None and len(old_ids) else []
    last_checkpoint = time.monotonic()
    for start in range(0, len(todo), batch_size):
        batch = list(todo[start : start + batch_size])
        if progress:
            progress(stage, start, len(todo), batch[0])
        done.append(np.asarray(encode_batch(batch), dtype=np.float32).reshape(len(batch), dim))
        done_ids += batch
        if time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS and start + batch_size < len(todo):
            store.save(done_ids, np.concatenate(done), info)
            last_checkpoint = time.monotonic()
    if progress:
        progress(stage, len(todo), len(todo), "")
    matrix = np.concatenate(done) if done else np.zeros((0, dim), np.float32)
    return {key: matrix[row] for row, key in enumerate(done_ids)}


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
    known = set(old_ids)
    figures = collection.figure_records()
    todo = [f for f in figures if f.figure_id not in known]
    image_of = {f.figure_id: collection.path / f.image for f in todo}

    def encode_batch(batch: Sequence[str]) -> np.ndarray:
        images = []
        for figure_id in batch:
            path = image_of[figure_id]
            try:
                with Image.open(path) as image:
                    images.append(image.convert("L"))
            except OSError as error:
                raise BadInputError(str(path), f"figure image unreadable: {error}") from error
        return encoder.encode(images)

    by_id = _encode_missing(
        store,
        old_ids=old_ids,
        old_vectors=old_vectors,
        todo=[f.figure_id for f in todo],
        encode_batch=encode_batch,
        info=encoder.info(),
        dim=int(encoder.dim),
        batch_size=batch_size,
        stage="encode visual",
        progress=progress,
    )
    ids = [f.figure_id for f in figures]
    vectors = np.stack([by_id[fid] for fid in ids]) if ids else np.zeros((0, int(encoder.dim)), np.float32)
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
    known = set(old_keys)
    wanted = figure_texts(collection)
    needed = sorted({key for keys in wanted.values() for key in keys})
    todo = [f"{p}#{i}" for p, i in needed if f"{p}#{i}" not in known]
    texts: dict[str, str] = {}
    for patent_id in sorted({key.rsplit("#", 1)[0] for key in todo}):
        for sentence in collection.sentences(patent_id):
            texts[f"{patent_id}#{sentence.index}"] = sentence.text
    by_key = _encode_missing(
        sentence_store,
        old_ids=old_keys,
        old_vectors=old_vectors,
        todo=todo,
        encode_batch=lambda batch: encoder.encode([texts[key] for key in batch]),
        info=encoder.info(),
        dim=int(encoder.dim),
        batch_size=batch_size,
        stage="encode text",
        progress=progress,
    )
    dim = int(encoder.dim)
    keys = [f"{p}#{i}" for p, i in needed]
    sentence_vectors = np.stack([by_key[key] for key in keys]) if keys else np.zeros((0, dim), np.float32)
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
