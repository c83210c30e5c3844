"""Local features of a prepared drawing: RootSIFT at detected keypoints (shipped) or on a dense grid.

Shipped: OpenCV's SIFT detector on the 1024-px prepared drawing with anti-aliased strokes. Each
keypoint carries its dominant orientation, so a sheet printed rotated by 90 degrees gives nearly the
same descriptors, and its scale, so the drawing's size does not matter after cropping.

Also available, and measured worse on unseen design patents (``benchmarks/retrieval.py``): a dense grid of upright patches at fixed scales, pooled over the drawing's 8 dihedral
copies (4 rotations x mirror) for rotation and mirror invariance. Blank patches are dropped there,
since they would dominate the aggregate of a mostly white page. Pooling the mirrored copy can be
added to the keypoint variant too (``transforms="mirror"``); it gained next to nothing for twice the time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: The dihedral copies to pool: ``(quarter turns counter-clockwise, mirror left-right first)``.
TRANSFORMS = {
    "none": ((0, False),),
    "mirror": ((0, False), (0, True)),
    "rot90": ((0, False), (1, False), (2, False), (3, False)),
    "d4": tuple((turns, mirror) for mirror in (False, True) for turns in range(4)),
}


@dataclass(frozen=True)
class FeatureParams:
    """How local descriptors are extracted (part of the encoder's identity).

    The defaults are the shipped configuration, the best measured in ``benchmarks/retrieval.py``:
    detected SIFT keypoints on the 1024-px prepared drawing with anti-aliased (not re-binarised)
    strokes. Dense upright sampling with dihedral pooling measured far lower on unseen designs.

    Attributes:
        size: Working size the drawing is prepared to (pixels, square).
        stroke_px: Stroke width the drawing is normalised to, or None for anti-aliased strokes.
        step: Grid step of the dense patches in pixels.
        patch_sizes: SIFT patch diameters in pixels (one grid per size: multi-scale).
        min_ink: Minimum fraction of ink pixels inside a patch for it to be kept.
        transforms: Which dihedral copies to pool, a key of :data:`TRANSFORMS`.
        sampling: ``"dense"`` (grid, upright patches) or ``"keypoints"`` (OpenCV SIFT detector with
            dominant orientation; ``step``/``patch_sizes`` unused).
        max_keypoints: Cap on detected keypoints per copy (strongest kept), for ``"keypoints"``.
    """

    size: int = 1024
    stroke_px: float | None = None
    step: int = 8
    patch_sizes: tuple[int, ...] = (24, 48)
    min_ink: float = 0.01
    transforms: str = "none"
    sampling: str = "keypoints"
    max_keypoints: int = 3000

    def to_dict(self) -> dict:
        """Plain dict of the parameters (for ``info()`` and caches)."""
        values = asdict(self)
        values["patch_sizes"] = list(self.patch_sizes)
        return values


def rootsift(descriptors: np.ndarray) -> np.ndarray:
    """RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, then square root.

    Compares histograms with the Hellinger kernel instead of Euclidean distance, so a few large
    bins (a strong edge) do not swamp the rest.
    """
    descriptors = np.maximum(descriptors.astype(np.float32), 0.0)  # blur round-off can dip below 0
    descriptors /= np.maximum(descriptors.sum(axis=1, keepdims=True), 1e-12)
    return np.sqrt(descriptors)


def _orientation_channels(image: np.ndarray, bins: int = 8) -> np.ndarray:
    """Gradient magnitude split into ``bins`` orientation channels with linear interpolation.

    Args:
        image: ``(h, w)`` float32 image, ink = 1.

    Returns:
        ``(bins, h, w)`` float32.
    """
    import cv2

    smooth = cv2.GaussianBlur(image, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.sqrt(gx * gx + gy * gy)
    position = (np.arctan2(gy, gx) % (2 * np.pi)) * (bins / (2 * np.pi))
    lower = np.floor(position).astype(np.int64) % bins
    upper_weight = (position - np.floor(position)).astype(np.float32)
    channels = np.zeros((bins,) + image.shape, dtype=np.float32)
    rows, cols = np.indices(image.shape)
    np.add.at(channels, (lower, rows, cols), magnitude * (1 - upper_weight))
    np.add.at(channels, ((lower + 1) % bins, rows, cols), magnitude * upper_weight)
    return channels


def dense_sift(ink: np.ndarray, params: FeatureParams) -> np.ndarray:
    """Dense SIFT-like descriptors (4 x 4 cells x 8 orientations) at every scale, on inked patches.

    A vectorised equivalent of VLFeat's ``dsift``: orientation channels are pooled over each cell
    with a triangular (box twice) filter, then the 16 cells around each grid point are gathered.
    OpenCV's ``SIFT.compute`` on given keypoints is ~20x slower because it rebuilds a scale space.

    Args:
        ink: ``(size, size)`` float32 ink image (1 = ink).
        params: Extraction parameters.

    Returns:
        ``(n, 128)`` float32 raw (un-normalised) descriptors.
    """
    import cv2

    size = ink.shape[0]
    channels = _orientation_channels(ink)
    integral = cv2.integral((ink > 0.5).astype(np.uint8))
    out = []
    for patch in params.patch_sizes:
        cell = max(patch // 4, 1)
        half = 2 * cell
        pooled = np.stack([cv2.blur(cv2.blur(c, (cell, cell)), (cell, cell)) for c in channels])
        centres = np.arange(half, size - half + 1, params.step)
        if centres.size == 0:
            continue
        ys, xs = np.meshgrid(centres, centres, indexing="ij")
        ys, xs = ys.ravel(), xs.ravel()
        counts = (
            integral[ys + half, xs + half]
            - integral[ys - half, xs + half]
            - integral[ys + half, xs - half]
            + integral[ys - half, xs - half]
        )
        keep = counts >= params.min_ink * (2 * half) ** 2
        ys, xs = ys[keep], xs[keep]
        if ys.size == 0:
            continue
        offsets = (np.arange(4) - 1.5) * cell
        cells = []
        for dy in offsets:
            for dx in offsets:
                yy = np.clip(np.round(ys + dy).astype(np.int64), 0, size - 1)
                xx = np.clip(np.round(xs + dx).astype(np.int64), 0, size - 1)
                cells.append(pooled[:, yy, xx].T)
        out.append(np.concatenate(cells, axis=1))
    if not out:
        return np.zeros((0, 128), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)


def _detected_sift(ink: np.ndarray, params: FeatureParams) -> np.ndarray:
    """OpenCV SIFT keypoints and descriptors (rotation-normalised by the dominant orientation)."""
    import cv2

    image = np.clip(255.0 * (1.0 - ink), 0, 255).astype(np.uint8)
    _, descriptors = cv2.SIFT_create(nfeatures=params.max_keypoints).detectAndCompute(image, None)
    if descriptors is None:
        return np.zeros((0, 128), dtype=np.float32)
    return descriptors.astype(np.float32)


def local_descriptors(prepared: np.ndarray, params: FeatureParams) -> np.ndarray:
    """RootSIFT descriptors of a prepared drawing and of its dihedral copies.

    Args:
        prepared: ``(size, size)`` uint8 image from :func:`prepare_drawing` (ink black).
        params: Extraction parameters.

    Returns:
        ``(n, 128)`` float32 RootSIFT descriptors, ``n`` may be 0 for a blank drawing.
    """
    ink = 1.0 - prepared.astype(np.float32) / 255.0
    chunks = []
    for turns, mirror in TRANSFORMS[params.transforms]:
        view = ink[:, ::-1] if mirror else ink
        view = np.ascontiguousarray(np.rot90(view, turns))
        raw = dense_sift(view, params) if params.sampling == "dense" else _detected_sift(view, params)
        if len(raw):
            # SIFT's clipping at 0.2 of the L2 norm damps single dominant edges before RootSIFT.
            raw /= np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
            np.minimum(raw, 0.2, out=raw)
            chunks.append(rootsift(raw))
    if not chunks:
        return np.zeros((0, 128), dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32)
