"""A weight-free visual descriptor for patent line drawings: dense RootSIFT + VLAD, dihedral-pooled.

No learnt network weights exist offline, so the visual channel uses the approach of the best image
runs at CLEF-IP 2011: local gradient descriptors aggregated per figure against a small codebook learnt
from patent drawings. Pipeline (each step's reason is in the module that does it):

1. :func:`patimg.encoders.preprocess.prepare_drawing` — binarise, crop to ink, pad to a square,
   resize, normalise stroke width (scale, margin and stroke invariance);
2. :func:`patimg.encoders.drawing_features.local_descriptors` — SIFT keypoints detected on the
   1024-px prepared drawing (each with its dominant orientation, so a sheet printed rotated by 90
   degrees gives nearly the same descriptors), as RootSIFT;
3. :func:`patimg.encoders.drawing_codebook.vlad` — VLAD with intra- and power normalisation.

How well it retrieves, against baselines and the other variants, is measured by ``benchmarks/retrieval.py``
on design patents the codebook never saw (the figures are in the README). :func:`query_expansion` is an
optional second search round.

A drawing with no ink (a blank page) has no local features: it is encoded as the **all-zero vector**,
which scores 0 against every figure under inner product / cosine, i.e. it matches nothing, rather than
an arbitrary unit vector that would match something by accident. All other rows have unit L2 norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image

from patimg.encoders.drawing_codebook import Codebook, load_codebook, vlad
from patimg.encoders.drawing_features import local_descriptors
from patimg.encoders.preprocess import prepare_drawing
from patimg.vocabulary import Progress

#: The codebook shipped with the package (made by ``tools/learn_codebook.py``).
DEFAULT_CODEBOOK = "drawing_codebook_v1.npz"


def default_codebook_path() -> Path:
    """Path of the codebook shipped in ``patimg/assets``."""
    return Path(str(resources.files("patimg") / "assets" / DEFAULT_CODEBOOK))


class DrawingDescriptorEncoder:
    """Dense RootSIFT + VLAD descriptor of patent drawings (no network weights).

    Attributes:
        name: Registry name, ``"rootsift-vlad"``.
        dim: Output dimension (codebook centres x descriptor dimension).
    """

    name = "rootsift-vlad"

    def __init__(self, *, codebook_path: str | Path | None = None) -> None:
        """Load the codebook.

        Args:
            codebook_path: A codebook ``.npz`` from ``tools/learn_codebook.py``; the shipped one
                when None.
        """
        path = Path(codebook_path) if codebook_path is not None else default_codebook_path()
        self.codebook_path = path
        self.codebook: Codebook = load_codebook(path)
        self.params = self.codebook.params
        self.dim = self.codebook.dim

    def info(self) -> dict:
        """Identity of this backend: name, codebook SHA-256 as ``weights``, dim, versions, params."""
        import cv2
        import sklearn

        return {
            "name": self.name,
            "weights": self.codebook.sha256,
            "dim": self.dim,
            "versions": {
                "opencv": cv2.__version__,
                "numpy": np.__version__,
                "scikit-learn": sklearn.__version__,
            },
            "codebook": self.codebook_path.name,
            "clusters": int(self.codebook.centroids.shape[0]),
            "pca_dim": None
            if self.codebook.pca_projection is None
            else int(self.codebook.pca_projection.shape[1]),
            "features": self.params.to_dict(),
            "blank_image": "zero vector",
        }

    def descriptors(self, image: Image.Image) -> np.ndarray:
        """Local RootSIFT descriptors of one drawing (all dihedral copies pooled)."""
        prepared = prepare_drawing(image, size=self.params.size, stroke_px=self.params.stroke_px)
        return local_descriptors(np.asarray(prepared), self.params)

    def encode(
        self,
        images: Sequence[Image.Image],
        *,
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Encode drawings.

        Args:
            images: PIL images of figures (any mode).
            batch_size: Images between two progress calls (work is per image; no batching gain).
            progress: Called as ``progress("encode visual", done, total, "")`` after each batch.

        Returns:
            ``(n, dim)`` float32; unit-norm rows, an all-zero row for an image without ink.
        """
        out = np.zeros((len(images), self.dim), dtype=np.float32)
        for index, image in enumerate(images):
            out[index] = vlad(self.descriptors(image), self.codebook)
            done = index + 1
            if progress is not None and (done % max(batch_size, 1) == 0 or done == len(images)):
                progress("encode visual", done, len(images), "")
        return out


def query_expansion(
    vectors: np.ndarray, queries: np.ndarray, *, top: int = 3, alpha: float = 3.0
) -> np.ndarray:
    """Alpha query expansion (Radenovic et al. 2018) for a second search round.

    Each query is replaced by the weighted mean of itself and its ``top`` nearest database vectors
    (weights ``similarity ** alpha``), re-normalised. The views of one design share parts that a
    single view lacks, so pulling in the closest views finds the rest.

    Args:
        vectors: ``(n, d)`` unit-norm database vectors.
        queries: ``(m, d)`` unit-norm query vectors; when a query is itself in the database, remove
            it beforehand or it only counts itself (weight 1) once more.
        top: Number of neighbours to average.
        alpha: Weight exponent; larger trusts the closest neighbours more.

    Returns:
        ``(m, d)`` float32 expanded queries with unit norm (zero rows stay zero).
    """
    similarities = queries @ vectors.T
    order = np.argsort(-similarities, axis=1, kind="stable")[:, :top]
    expanded = queries.astype(np.float32).copy()
    for row in range(len(queries)):
        weights = np.clip(similarities[row, order[row]], 0.0, None) ** alpha
        expanded[row] += weights @ vectors[order[row]]
    norms = np.linalg.norm(expanded, axis=1, keepdims=True)
    return np.where(norms > 0, expanded / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
