"""Codebook for VLAD aggregation of drawing descriptors: learning, saving, loading, aggregating.

The codebook (k-means centroids, optionally after a PCA-whitening of the local descriptors) is learnt
from drawings that are NOT in any evaluation set (see ``tools/learn_codebook.py``), and shipped as a
small ``.npz`` in ``patimg/assets/``. Its SHA-256 is the encoder's weights identity.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patimg.encoders.drawing_features import FeatureParams


@dataclass(frozen=True)
class Codebook:
    """A learnt VLAD codebook.

    Attributes:
        centroids: ``(k, d)`` float32 cluster centres in the (projected) descriptor space.
        pca_mean: ``(128,)`` mean subtracted before projection, or None for no PCA.
        pca_projection: ``(128, d)`` whitening projection (components / sqrt(eigenvalue)), or None.
        params: Feature extraction parameters the codebook was learnt with.
        sha256: SHA-256 of the file it was loaded from ("" when not from a file).
    """

    centroids: np.ndarray
    pca_mean: np.ndarray | None
    pca_projection: np.ndarray | None
    params: FeatureParams
    sha256: str = ""

    @property
    def dim(self) -> int:
        """Dimension of the VLAD vector (k x d)."""
        return int(self.centroids.shape[0] * self.centroids.shape[1])

    def project(self, descriptors: np.ndarray) -> np.ndarray:
        """Apply the PCA-whitening (if any) to RootSIFT descriptors, then L2-normalise them."""
        if self.pca_projection is None:
            return descriptors
        projected = (descriptors - self.pca_mean) @ self.pca_projection
        return projected / np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), 1e-12)


def learn_codebook(
    descriptors: np.ndarray,
    *,
    params: FeatureParams,
    clusters: int = 64,
    pca_dim: int | None = None,
    seed: int = 0,
    max_samples: int = 200_000,
) -> Codebook:
    """Learn a codebook (and optional PCA-whitening) from training descriptors.

    Args:
        descriptors: ``(n, 128)`` RootSIFT descriptors of training drawings.
        params: The extraction parameters that produced them.
        clusters: Number of k-means centres.
        pca_dim: Keep this many whitened principal components, or None for no PCA.
        seed: Seed of the sample and of k-means (the result is reproducible).
        max_samples: Subsample to at most this many descriptors.

    Returns:
        The codebook.
    """
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    if len(descriptors) > max_samples:
        descriptors = descriptors[np.sort(rng.choice(len(descriptors), max_samples, replace=False))]
    descriptors = descriptors.astype(np.float64)
    pca_mean = pca_projection = None
    if pca_dim is not None:
        pca_mean = descriptors.mean(axis=0)
        covariance = np.cov(descriptors - pca_mean, rowvar=False)
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        order = np.argsort(eigenvalues)[::-1][:pca_dim]
        # Whitening with a floor: tiny components would otherwise be amplified into noise.
        scale = 1.0 / np.sqrt(eigenvalues[order] + 1e-3 * eigenvalues[order[0]])
        pca_projection = (eigenvectors[:, order] * scale).astype(np.float32)
        pca_mean = pca_mean.astype(np.float32)
    partial = Codebook(np.zeros((1, 1), np.float32), pca_mean, pca_projection, params)
    training = partial.project(descriptors.astype(np.float32))
    kmeans = KMeans(n_clusters=clusters, n_init=1, random_state=seed, max_iter=100).fit(training)
    return Codebook(kmeans.cluster_centers_.astype(np.float32), pca_mean, pca_projection, params)


def save_codebook(codebook: Codebook, path: Path, *, provenance: dict) -> str:
    """Write a codebook as ``.npz`` and return its SHA-256.

    Args:
        codebook: The codebook.
        path: Target file.
        provenance: What it was learnt from (stored inside the file as JSON).
    """
    arrays = {"centroids": codebook.centroids}
    if codebook.pca_projection is not None:
        arrays["pca_mean"] = codebook.pca_mean
        arrays["pca_projection"] = codebook.pca_projection
    meta = {"params": codebook.params.to_dict(), "provenance": provenance}
    arrays["meta_json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_codebook(path: Path) -> Codebook:
    """Read a codebook written by :func:`save_codebook`."""
    raw = Path(path).read_bytes()
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta_json"]).decode())
        values = dict(meta["params"])
        values["patch_sizes"] = tuple(values["patch_sizes"])
        has_pca = "pca_projection" in data
        return Codebook(
            centroids=data["centroids"].astype(np.float32),
            pca_mean=data["pca_mean"].astype(np.float32) if has_pca else None,
            pca_projection=data["pca_projection"].astype(np.float32) if has_pca else None,
            params=FeatureParams(**values),
            sha256=hashlib.sha256(raw).hexdigest(),
        )


def vlad(descriptors: np.ndarray, codebook: Codebook, *, power: float = 0.5) -> np.ndarray:
    """VLAD of one drawing: per-centre residual sums, intra-normalised, power-normalised, L2.

    Intra-normalisation (Arandjelovic & Zisserman 2013) stops the centres that collect the most
    common structure (straight lines, hatching) from dominating; the signed power law damps bursts
    of repeated patterns (rows of holes, hatching), which are common in drawings.

    Args:
        descriptors: ``(n, 128)`` RootSIFT descriptors (``n`` may be 0).
        codebook: The codebook.
        power: Exponent of the signed power normalisation (1 = none).

    Returns:
        ``(k*d,)`` float32, unit L2 norm, or all zeros when there are no descriptors.
    """
    centroids = codebook.centroids
    out = np.zeros(centroids.shape, dtype=np.float32)
    if len(descriptors) == 0:
        return out.ravel()
    projected = codebook.project(descriptors)
    distances = (
        (projected * projected).sum(1, keepdims=True)
        - 2 * projected @ centroids.T
        + (centroids * centroids).sum(1)
    )
    nearest = np.argmin(distances, axis=1)
    np.add.at(out, nearest, projected)
    out -= np.bincount(nearest, minlength=len(centroids))[:, None] * centroids
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    out = np.sign(out) * np.abs(out) ** power
    flat = out.ravel()
    return (flat / max(float(np.linalg.norm(flat)), 1e-12)).astype(np.float32)
