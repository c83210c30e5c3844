"""EasyOCR backend: CRAFT text detection and CRNN recognition, the reference setup of the paper.

EasyOCR downloads its weights on first use; PatImg never lets it (machines may be offline and
silent downloads are not reproducible). The weights are looked for in ``model_dir``, else the
env ``PATIMG_EASYOCR_DIR``, else EasyOCR's own ``~/.EasyOCR/model``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from patimg.errors import ModelUnavailableError
from patimg.types import Box, Label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

#: Weight files EasyOCR needs for English: the CRAFT detector and the generation-2 recogniser.
REQUIRED_WEIGHTS = ("craft_mlt_25k.pth", "english_g2.pth")
WEIGHT_URLS = {
    "craft_mlt_25k.pth": "https://github.com/JaidedAI/EasyOCR/releases/download/pre-v1.1.6/craft_mlt_25k.zip",
    "english_g2.pth": "https://github.com/JaidedAI/EasyOCR/releases/download/v1.3/english_g2.zip",
}
#: Characters reference signs and captions are made of; restricting the recogniser to them stops
#: hatching and leader lines from being read as exotic symbols.
SIGN_ALLOWLIST = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,'()-"


def easyocr_model_dir(model_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder EasyOCR weights are read from (argument, env ``PATIMG_EASYOCR_DIR``, EasyOCR default)."""
    if model_dir:
        return Path(model_dir).expanduser()
    if os.environ.get("PATIMG_EASYOCR_DIR"):
        return Path(os.environ["PATIMG_EASYOCR_DIR"]).expanduser()
    return Path("~/.EasyOCR/model").expanduser()


def check_easyocr_weights(model_dir: Path) -> None:
    """Raise ModelUnavailableError naming the missing files, where to put them and how to get them."""
    missing = [name for name in REQUIRED_WEIGHTS if not (model_dir / name).is_file()]
    if missing:
        how = "; ".join(f"{name} from {WEIGHT_URLS[name]} (unzip)" for name in missing)
        raise ModelUnavailableError(
            f"EasyOCR weights missing in {model_dir}: {', '.join(missing)}. On a machine with internet, "
            f"download {how}, or run `python -c \"import easyocr; easyocr.Reader(['en'])\"` there and copy "
            f"~/.EasyOCR/model/*.pth; then put the files in {model_dir} (or point PATIMG_EASYOCR_DIR / "
            "the model_dir option at their folder). Or use the offline default backend: rapidocr."
        )


class EasyOcrBackend:
    """OCR with EasyOCR (CRAFT + English recogniser), downloads disabled.

    Args:
        model_dir: Folder holding ``craft_mlt_25k.pth`` and ``english_g2.pth``.
        gpu: Use CUDA; default: when torch sees a GPU.
        allowlist: Characters the recogniser may output.
    """

    name = "easyocr"

    def __init__(
        self,
        *,
        model_dir: str | os.PathLike[str] | None = None,
        gpu: bool | None = None,
        allowlist: str = SIGN_ALLOWLIST,
    ) -> None:
        folder = easyocr_model_dir(model_dir)
        check_easyocr_weights(folder)
        try:
            import easyocr
            import torch
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ModelUnavailableError("EasyOCR is not installed: pip install easyocr") from error
        if gpu is None:
            gpu = torch.cuda.is_available()
        self._reader = easyocr.Reader(
            ["en"], gpu=gpu, model_storage_directory=str(folder), download_enabled=False, verbose=False
        )
        self._allowlist = allowlist
        self.options = {"model_dir": str(folder), "allowlist": allowlist}

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Axis-aligned CRAFT text boxes on a greyscale uint8 array."""
        import numpy as np

        horizontal, free = self._reader.detect(gray)
        boxes = [(float(x0), float(y0), float(x1), float(y1)) for x0, x1, y0, y1 in horizontal[0]]
        for quad in free[0]:
            points = np.asarray(quad, dtype=float)
            boxes.append((points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()))
        return boxes

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence per greyscale crop (each read as one line)."""
        reads = []
        for piece in crops:
            height, width = piece.shape[:2]
            result = self._reader.recognize(
                piece,
                horizontal_list=[[0, width, 0, height]],
                free_list=[],
                allowlist=self._allowlist,
                detail=1,
            )
            reads.append((str(result[0][1]), float(result[0][2])) if result else ("", 0.0))
        return reads

    def read(self, image: Image.Image) -> list[Label]:
        """Every item read on ``image`` as given; vertical labels included, boxes in its pixels."""
        from patimg.ocr.orientation import read_as_given

        return read_as_given(self, image)
