"""What every encoder is: images or sentences in, L2-normalised float32 rows out, and an identity to record.

Every encoder has ``info()``: ``{"name", "weights", "dim", "versions"}``. ``weights`` identifies the exact weights
(pretrained tag, hub id, sha256 of a local file, package version), so
:func:`patimg.encoders.registry.check_compatible` can refuse to compare vectors made by different models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from patimg.vocabulary import Progress


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
