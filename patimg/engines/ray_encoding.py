"""Encoding on Ray: figure images and sentences through Ray Data ``map_batches``, the encoder in actors.

``patimg index --engine ray`` encodes what is missing as the local engine does (:mod:`patimg.indexing`), but the
batches go through :class:`EncoderActor`: a pool of actors, each loading the channel's encoder once from its spec
(one GPU each where the cluster has GPUs, else one CPU each). Rows carry what is encoded (a figure's PNG bytes,
a sentence) so no worker needs this machine's disk; the vectors come back here, where this process alone writes
them, checkpoints and all, exactly as the local path does.

Every actor reports the identity of the encoder it loaded: a node whose weights differ from this machine's
would make vectors no search could compare, so that is an error, not a silent mix.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from patimg.engines.ray_session import RayCluster
from patimg.errors import BackendMismatchError, BadInputError
from patimg.indexes.growing import IDENTITY_KEYS

#: Rows handed to one Ray Data run (each run starts its actors and loads the encoder): many batches per actor.
BATCHES_PER_ACTOR = 16
#: Fewest rows handed to one run.
MIN_WINDOW_ROWS = 2048


class EncoderActor:
    """A Ray Data actor encoding one channel: the encoder is loaded once from ``spec`` (class attributes, see
    :func:`encoder_actor`), then each batch of rows is encoded.

    Rows carry ``position`` and ``payload`` (PNG bytes for ``visual``, the sentence for ``text``); the actor
    returns, per row, the ``vector``, the ``problem`` that kept an image from being decoded (else ``""``) and the
    encoder's identity.
    """

    channel = "visual"
    spec = ""

    def __init__(self) -> None:
        from patimg.encoders.registry import get_text_encoder, get_visual_encoder

        make = get_visual_encoder if self.channel == "visual" else get_text_encoder
        self.encoder = make(self.spec)
        info = self.encoder.info()
        self.identity = json.dumps({key: info.get(key) for key in IDENTITY_KEYS}, sort_keys=True)

    def __call__(self, batch: dict) -> dict:
        payloads = list(batch["payload"])
        problems = [""] * len(payloads)
        if self.channel == "visual":
            payloads, problems = _decoded_images(payloads)
        good = [i for i, problem in enumerate(problems) if not problem]
        vectors = np.zeros((len(payloads), int(self.encoder.dim)), np.float32)
        if good:
            vectors[good] = np.asarray(self.encoder.encode([payloads[i] for i in good]), dtype=np.float32)
        return {
            "position": batch["position"],
            "vector": vectors,
            "problem": problems,
            "identity": [self.identity] * len(payloads),
        }


def _decoded_images(payloads: Sequence[bytes]) -> tuple[list[Any], list[str]]:
    """Each PNG as the grey image the local path gives the encoder, or why it could not be decoded."""
    from PIL import Image

    images: list[Any] = []
    problems: list[str] = []
    for data in payloads:
        try:
            with Image.open(io.BytesIO(data)) as image:
                images.append(image.convert("L"))
            problems.append("")
        except OSError as error:
            images.append(None)
            problems.append(str(error))
    return images, problems


def encoder_actor(channel: str, spec: str) -> type[EncoderActor]:
    """The actor class encoding ``channel`` with the encoder ``spec`` (class attributes, not constructor
    arguments, which Ray would keep in its object store for restarts and warn about)."""
    return type(EncoderActor.__name__, (EncoderActor,), {"channel": channel, "spec": spec})


class RayEncoders:
    """Encodes batches on the Ray cluster this process is connected to (:func:`ray_session`).

    Args:
        cluster: What the cluster has: one actor per GPU where it has GPUs, else one per CPU.
        actors: Encoder actors at once (default as above).
    """

    def __init__(self, cluster: RayCluster, *, actors: int | None = None) -> None:
        self.gpus = cluster.gpus
        self.actors = max(1, actors or cluster.gpus or cluster.cpus)

    def encode(
        self,
        *,
        channel: str,
        spec: str,
        info: dict[str, Any],
        batches: Sequence[Sequence[str]],
        payload: Callable[[str], bytes | str],
        name: Callable[[str], str] = str,
    ) -> Iterator[np.ndarray]:
        """The vectors of each batch of keys, in order, each given as soon as it is encoded.

        Args:
            channel: ``"visual"`` or ``"text"``.
            spec: The encoder's spec (each actor loads it).
            info: The encoder's ``info()`` here: every actor's must match it.
            batches: Keys to encode, batch by batch.
            payload: What a key's row carries (PNG bytes, a sentence); read a window at a time.
            name: How a key is named in an error (a figure's image path).

        Raises:
            BadInputError: A figure image could not be decoded.
            BackendMismatchError: An actor loaded other weights than this machine has.
        """
        keys = [key for batch in batches for key in batch]
        batch_size = max((len(batch) for batch in batches), default=1)
        size = max(MIN_WINDOW_ROWS, BATCHES_PER_ACTOR * batch_size * self.actors)
        windows = (keys[start : start + size] for start in range(0, len(keys), size))
        vectors: dict[str, np.ndarray] = {}
        for batch in batches:
            while any(key not in vectors for key in batch):
                window = next(windows)
                vectors.update(self._run(channel, spec, info, window, payload, name, batch_size))
            yield np.stack([vectors.pop(key) for key in batch])

    def _run(self, channel, spec, info, window, payload, name, batch_size: int) -> dict[str, np.ndarray]:
        """One Ray Data run over ``window``: its vectors by key."""
        import ray.data

        rows = [{"position": position, "payload": payload(key)} for position, key in enumerate(window)]
        resources = {"num_gpus": 1} if self.gpus else {"num_cpus": 1}
        encoded = ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * self.actors)).map_batches(
            encoder_actor(channel, spec),
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=self.actors),
            **resources,
        )
        expected = json.dumps({key: info.get(key) for key in IDENTITY_KEYS}, sort_keys=True)
        vectors: dict[str, np.ndarray] = {}
        for batch in encoded.iter_batches(batch_size=None, batch_format="numpy"):
            for position, vector, problem, identity in zip(
                batch["position"], batch["vector"], batch["problem"], batch["identity"], strict=True
            ):
                key = window[int(position)]
                if problem:
                    raise BadInputError(name(key), f"figure image unreadable: {problem}")
                if identity != expected:
                    raise BackendMismatchError(
                        f"a Ray worker loaded the {channel} encoder {identity}, this machine {expected}: "
                        "give every node the same weights (the local model cache) before indexing on Ray"
                    )
                vectors[key] = np.asarray(vector, dtype=np.float32)
        return vectors
