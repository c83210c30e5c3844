"""Small helpers every encoder uses: library versions for ``info()``, row normalisation, the device."""

from __future__ import annotations

from importlib import metadata

import numpy as np


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
