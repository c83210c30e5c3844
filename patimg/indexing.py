"""Indexing: figures and their texts in, one FAISS index per channel out.

Embeddings are kept row-aligned in ``vectors/`` so adding publications encodes only the new figures (and new
sentences); the FAISS index of each channel is then rebuilt from the stored vectors, which is cheap next to
encoding. Each channel records the encoder that made it; asking for another encoder on an existing collection
is an error unless ``rebuild=True``. The text channel also records the rule that picks a figure's texts
(:mod:`patimg.figure_text`): an index built under another rule is rebuilt, never grown with vectors of the new one.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from patimg.collection import Collection
from patimg.errors import BackendMismatchError, BadInputError
from patimg.indexes.generations import current_generation, new_generation, publish
from patimg.indexes.growing import same_encoder, write_channel_index
from patimg.vectors import TEXT, VISUAL, VectorStore, stored_vectors
from patimg.vocabulary import Engine, IndexKind, Progress


def channel_info(channel: str, encoder) -> dict[str, Any]:
    """What a channel's vectors and index record of how they were made: the encoder's ``info()``, and for the
    text channel the figure-text rule (so an index built under another rule is rebuilt, not grown)."""
    from patimg.figure_text import CURRENT_RULE

    info = dict(encoder.info())
    if channel == TEXT:
        info["figure_text"] = CURRENT_RULE
    return info


def _check_or_rebuild(channel: str, stored, current, rebuild: bool, collection: Collection) -> bool:
    """Whether stored vectors can be reused; raises when they cannot and ``rebuild`` was not asked."""
    if same_encoder(stored, current):
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
    batches: Sequence[Sequence[str]],
    encoded: Iterator[Any],
    info: dict[str, Any],
    dim: int,
    stage: str,
    progress: Progress | None,
) -> dict[str, np.ndarray]:
    """Take the vectors of the keys to encode (``batches``, encoded lazily by ``encoded``, one matrix per batch),
    checkpointing to ``store`` as it goes.

    Encoding is the slow stage (about a second a figure on a CPU), so the vectors done so far, old and
    new, are saved every :data:`CHECKPOINT_SECONDS`; a run that is interrupted (Ctrl-C, a crash, a closed
    browser tab) then loses at most that much work, and the next run encodes only what is still missing.

    Returns:
        Every vector known afterwards (the old ones and the new), by key.
    """
    done_ids = list(old_ids)
    done: list[np.ndarray] = [old_vectors] if old_vectors is not None and len(old_ids) else []
    total = sum(len(batch) for batch in batches)
    last_checkpoint = time.monotonic()
    start = 0
    for batch in batches:
        if progress:
            progress(stage, start, total, batch[0])
        done.append(np.asarray(next(encoded), dtype=np.float32).reshape(len(batch), dim))
        done_ids += batch
        start += len(batch)
        if time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS and start < total:
            store.save(done_ids, np.concatenate(done), info)
            last_checkpoint = time.monotonic()
    if progress:
        progress(stage, total, total, "")
    matrix = np.concatenate(done) if done else np.zeros((0, dim), np.float32)
    return {key: matrix[row] for row, key in enumerate(done_ids)}


def _batches(keys: Sequence[str], batch_size: int) -> list[list[str]]:
    return [list(keys[start : start + batch_size]) for start in range(0, len(keys), batch_size)]


#: Encodes elsewhere (:meth:`patimg.engines.ray_encoding.RayEncoders.encode` with its channel, spec and info
#: given): ``remote(batches=, payload=, name=)`` gives each batch's vectors in order.
RemoteEncoding = Callable[..., Iterator[np.ndarray]]


def encode_visual(
    collection: Collection,
    *,
    encoder,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch_size: int = 32,
    remote: RemoteEncoding | None = None,
) -> tuple[list[str], np.ndarray]:
    """Visual vectors of every figure, encoding only figures not encoded before (with ``encoder`` here, or
    ``remote``: a Ray cluster's copies of it, given each figure's PNG bytes)."""
    from PIL import Image

    store = VectorStore.of(collection, VISUAL)
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

    def image_bytes(figure_id: str) -> bytes:
        try:
            return image_of[figure_id].read_bytes()
        except OSError as error:
            raise BadInputError(str(image_of[figure_id]), f"figure image unreadable: {error}") from error

    batches = _batches([f.figure_id for f in todo], batch_size)
    if remote is None:
        encoded = (encode_batch(batch) for batch in batches)
    else:
        encoded = remote(
            batches=batches, payload=image_bytes, name=lambda figure_id: str(image_of[figure_id])
        )
    by_id = _encode_missing(
        store,
        old_ids=old_ids,
        old_vectors=old_vectors,
        batches=batches,
        encoded=encoded,
        info=encoder.info(),
        dim=int(encoder.dim),
        stage="encode visual",
        progress=progress,
    )
    ids = [f.figure_id for f in figures]
    vectors = np.stack([by_id[fid] for fid in ids]) if ids else np.zeros((0, int(encoder.dim)), np.float32)
    store.save(ids, vectors, encoder.info())
    return ids, vectors


def figure_texts(collection: Collection) -> dict[str, list[str]]:
    """For each figure that has any text, the texts averaged into its text vector (:mod:`patimg.figure_text`)."""
    from patimg.figure_text import figure_text_sentences, own_descriptions, publication_title

    links = collection.all_links()
    patents = {p.patent_id: p for p in collection.patent_records()}
    by_patent: dict[str, list] = {}
    for figure in collection.figure_records():
        by_patent.setdefault(figure.patent_id, []).append(figure)
    result: dict[str, list[str]] = {}
    for patent_id, figures in by_patent.items():
        linked = {
            f.figure_id: sorted({i for link in links.get(f.figure_id, ()) for i in link.sentence_indexes})
            for f in figures
        }
        # Each table is read only for the patents that need it: a utility collection mostly links every figure.
        sentences = {s.index: s.text for s in collection.sentences(patent_id)} if any(linked.values()) else {}
        unlinked = not all(any(i in sentences for i in linked[f.figure_id]) for f in figures)
        descriptions = collection.figure_descriptions(patent_id) if unlinked else {}
        title = publication_title(patents.get(patent_id))
        for figure in figures:
            texts = figure_text_sentences(
                linked=[sentences[i] for i in linked[figure.figure_id] if i in sentences],
                descriptions=own_descriptions(descriptions, figure.figure_num),
                title=title,
            )
            if texts:
                result[figure.figure_id] = texts
    return result


def sentence_key(text: str) -> str:
    """The sentence store's id of a sentence: a digest of its text (the same text, the same vector)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def encode_text(
    collection: Collection,
    *,
    encoder,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch_size: int = 64,
    remote: RemoteEncoding | None = None,
) -> tuple[list[str], np.ndarray]:
    """Text vectors: per figure, the normalised mean of its texts' vectors (:func:`figure_texts`); the sentences
    are encoded with ``encoder`` here, or by ``remote`` (a Ray cluster's copies of it).

    A figure with no text gets no text vector at all, so it is absent from the text index rather than a zero
    vector that would match everything equally.
    """
    from patimg.encoders.text import mean_text_vector

    sentence_store = VectorStore.of(collection, "sentences")
    old_keys, old_vectors, stored = sentence_store.load()
    if not _check_or_rebuild(TEXT, stored, encoder.info(), rebuild, collection):
        old_keys, old_vectors = [], None
    known = set(old_keys)
    wanted = figure_texts(collection)
    # Sentence vectors are keyed by the text, not its position: a publication whose text was re-ingested gets new
    # vectors for the sentences that changed, and identical texts (a title, "a top view thereof") are encoded once.
    texts = {sentence_key(text): text for figure_texts_ in wanted.values() for text in figure_texts_}
    needed = sorted(texts)
    batches = _batches([key for key in needed if key not in known], batch_size)
    if remote is None:
        encoded = (encoder.encode([texts[key] for key in batch]) for batch in batches)
    else:
        encoded = remote(batches=batches, payload=texts.__getitem__)
    by_key = _encode_missing(
        sentence_store,
        old_ids=old_keys,
        old_vectors=old_vectors,
        batches=batches,
        encoded=encoded,
        info=encoder.info(),
        dim=int(encoder.dim),
        stage="encode text",
        progress=progress,
    )
    dim = int(encoder.dim)
    sentence_vectors = np.stack([by_key[key] for key in needed]) if needed else np.zeros((0, dim), np.float32)
    sentence_store.save(needed, sentence_vectors, encoder.info())
    row_of = {key: row for row, key in enumerate(needed)}
    ids, vectors = [], []
    for figure_id in sorted(wanted):
        vector = mean_text_vector(sentence_vectors[[row_of[sentence_key(t)] for t in wanted[figure_id]]])
        if vector is not None:
            ids.append(figure_id)
            vectors.append(vector)
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    VectorStore.of(collection, TEXT).save(ids, matrix, channel_info(TEXT, encoder))
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
    index_kind: IndexKind | None = None,
    engine: Engine = "local",
    ray_address: str | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, Any]]:
    """Encode new figures and (re)build the FAISS index of each channel.

    Args:
        collection: Collection folder.
        visual: Visual encoder spec (``"clip:ViT-B-32/openai"``, the weight-free descriptor's name...);
            defaults to the one that built the collection, else :func:`patimg.encoders.default_visual_spec`.
        text: Text encoder spec (``"minilm"``...); defaults likewise.
        rebuild: Re-encode everything (needed to switch encoders).
        index_kind: ``"auto"``, ``"flat"``, ``"ivfpq"`` or ``"hnsw"``; default the kind each channel's index
            was asked to be last time, else ``"auto"``.
        engine: ``"local"`` encodes in this process; ``"ray"`` in encoder actors on a Ray cluster (one per GPU
            where it has GPUs), the vectors written here as the local engine writes them.
        ray_address: The Ray cluster; default: Ray is started on this machine for the run.
        progress: Optional ``progress(stage, done, total, item)``.

    Returns:
        ``index_infos`` of each channel built.
    """
    from patimg.encoders.registry import (
        DEFAULT_TEXT,
        default_visual_spec,
        get_text_encoder,
        get_visual_encoder,
    )
    from patimg.engines import check_engine, open_encoders

    check_engine(engine, ray_address)
    store = Collection.open(collection)
    store.require_writable("encode and index it")
    visual_spec = _resolve_spec(store, VISUAL, visual, default_visual_spec())
    text_spec = _resolve_spec(store, TEXT, text, DEFAULT_TEXT)
    infos: dict[str, dict[str, Any]] = {}
    encoders: dict[str, Any] = dict(store.meta.get("encoders", {}))

    # Every channel goes into a new generation, published at once when all are built (a search never mixes
    # a new visual index with an old text index); unchanged channels are hard links, not copies.
    root = store.path / "indexes"
    current = current_generation(root)
    generation = new_generation(root)
    try:
        stages = (
            (VISUAL, visual_spec, get_visual_encoder, encode_visual),
            (TEXT, text_spec, get_text_encoder, encode_text),
        )
        with open_encoders(engine, ray_address=ray_address) as cluster_encoders:
            for channel, spec, make_encoder, encode in stages:
                encoder = make_encoder(spec)
                previous = stored_vectors(store, channel)
                remote = None
                if cluster_encoders is not None:
                    remote = partial(cluster_encoders.encode, channel=channel, spec=spec, info=encoder.info())
                ids, vectors = encode(
                    store, encoder=encoder, rebuild=rebuild, progress=progress, remote=remote
                )
                kind = index_kind or _recorded_kind(store, channel)
                info = channel_info(channel, encoder)
                infos[channel] = write_channel_index(
                    current / channel, generation / channel, channel, ids, vectors, previous, info, kind
                )
                encoders[channel] = {"spec": spec, **info}
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)  # an interrupted build leaves the current one as it was
        raise
    publish(root, generation)
    store.update_meta(encoders=encoders)
    return infos


def _recorded_kind(store: Collection, channel: str) -> str:
    """The kind the channel's index was last asked to be (``"auto"`` for a new collection)."""
    return store.index_infos().get(channel, {}).get("requested_kind", "auto")
