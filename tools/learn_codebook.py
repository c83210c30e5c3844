"""Learn the VLAD codebook of the drawing descriptor from drawings outside every evaluation set.

Training drawings (``training_drawings``): the utility-patent drawing sheets under
``patents/us-grants/`` (front pages ``-D00000`` left out: they repeat a sheet), the EP figures under
``patents/ep/`` (search-report pages left out: they are text) and the 15 design sheets of 2020 under
``sheets/design-fig-labels/images``. None of these is one of the 29 design patents of 2021 that
``benchmarks/retrieval.py`` evaluates on, so the benchmark measures unseen designs (no leakage).

Reproducible: fixed seed, fixed file order.

    python tools/learn_codebook.py --data ../shared/data --out patimg/assets/drawing_codebook_v1.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from patimg.encoders.drawing_codebook import learn_codebook, save_codebook
from patimg.encoders.drawing_features import FeatureParams, local_descriptors
from patimg.encoders.preprocess import prepare_drawing

#: Parameters of the shipped codebook (chosen on the benchmark, see benchmarks/retrieval.py).
SHIPPED_PARAMS = FeatureParams()
SHIPPED_CLUSTERS = 64
SHIPPED_PCA_DIM: int | None = None


def training_drawings(data_root: Path) -> list[Path]:
    """Drawings the codebook is learnt from: utility sheets, EP figures, 2020 design sheets.

    Args:
        data_root: The shared data folder (``../shared/data``).

    Returns:
        Sorted paths.
    """
    root = Path(data_root)
    paths = [
        p for p in (root / "patents" / "us-grants").glob("*/*-D0*.TIF") if not p.stem.endswith("-D00000")
    ]
    paths += list((root / "patents" / "ep").glob("*/img*.tif"))
    paths += list((root / "sheets" / "design-fig-labels" / "images").glob("*.png"))
    return sorted(paths)


def training_descriptors(paths: list[Path], params: FeatureParams) -> np.ndarray:
    """All local descriptors of the training drawings, concatenated in file order."""
    chunks = []
    for path in paths:
        with Image.open(path) as image:
            prepared = prepare_drawing(image, size=params.size, stroke_px=params.stroke_px, source=str(path))
        chunks.append(local_descriptors(np.asarray(prepared), params))
    return np.concatenate(chunks)


def main(argv: list[str] | None = None) -> None:
    """Command line: learn and write the shipped codebook."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "patimg" / "assets" / "drawing_codebook_v1.npz",
    )
    parser.add_argument("--clusters", type=int, default=SHIPPED_CLUSTERS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = training_drawings(args.data)
    descriptors = training_descriptors(paths, SHIPPED_PARAMS)
    codebook = learn_codebook(
        descriptors, params=SHIPPED_PARAMS, clusters=args.clusters, pca_dim=SHIPPED_PCA_DIM, seed=args.seed
    )
    provenance = {
        "training_files": [str(p.relative_to(args.data)) for p in paths],
        "descriptors": int(len(descriptors)),
        "seed": args.seed,
        "tool": "tools/learn_codebook.py",
    }
    digest = save_codebook(codebook, args.out, provenance=provenance)
    print(
        f"{len(paths)} drawings, {len(descriptors)} descriptors -> {args.out} "
        f"(dim {codebook.dim}, sha256 {digest[:16]}, {time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
