"""Encoders: the visual channel (CLIP, the weight-free drawing descriptor) and the textual channel (sentence
models), behind one interface (:mod:`~patimg.encoders.protocols`) and one registry that turns the spec a
collection records into a loaded encoder (:mod:`~patimg.encoders.registry`). Heavy libraries (torch, open_clip,
sentence-transformers) are imported by the encoder that needs them, when it is built."""

from patimg.encoders.protocols import TextEncoder, VisualEncoder
from patimg.encoders.registry import (
    DEFAULT_TEXT,
    REFERENCE_VISUAL,
    check_compatible,
    default_visual_spec,
    get_text_encoder,
    get_visual_encoder,
)

__all__ = [
    "DEFAULT_TEXT",
    "REFERENCE_VISUAL",
    "TextEncoder",
    "VisualEncoder",
    "check_compatible",
    "default_visual_spec",
    "get_text_encoder",
    "get_visual_encoder",
]
