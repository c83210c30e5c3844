"""RapidOCR backend: PP-OCRv4 detection and recognition as ONNX models shipped inside the wheel.

Fully offline: ``rapidocr_onnxruntime`` carries its models, so this is the default backend.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from patimg.errors import ModelUnavailableError
from patimg.types import Box, Label

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image


class RapidOcrBackend:
    """OCR with RapidOCR's ONNX PP-OCR models.

    Args:
        threads: ONNX Runtime intra-op threads (default: env ``PATIMG_OCR_THREADS`` or all cores).
        box_thresh: Detector box score threshold; lower finds fainter small numerals.
        unclip_ratio: How far detected text regions are grown before cropping.
    """

    name = "rapidocr"

    def __init__(
        self, *, threads: int | None = None, box_thresh: float = 0.4, unclip_ratio: float = 1.6
    ) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ModelUnavailableError(
                "RapidOCR is not installed: pip install rapidocr_onnxruntime (its models ship inside the wheel)"
            ) from error
        threads = threads or int(os.environ.get("PATIMG_OCR_THREADS", "0")) or -1
        self._engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        self._engine.text_det.postprocess_op.box_thresh = box_thresh
        self._engine.text_det.postprocess_op.unclip_ratio = unclip_ratio
        self.options = {"box_thresh": box_thresh, "unclip_ratio": unclip_ratio}

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Axis-aligned text boxes on a greyscale uint8 array."""
        import numpy as np

        rgb = np.repeat(gray[:, :, None], 3, axis=2)
        quads, _ = self._engine.text_det(rgb)
        if quads is None or len(quads) == 0:
            return []
        return [
            (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
            for q in quads
        ]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence per greyscale crop."""
        import numpy as np

        if not crops:
            return []
        results, _ = self._engine.text_rec([np.repeat(c[:, :, None], 3, axis=2) for c in crops])
        return [(str(r[0]), float(r[1])) for r in results]

    def direction(self, crops: list[np.ndarray]) -> list[tuple[int, float]]:
        """For each greyscale crop of a text line: 0 when it reads upright, 180 when upside down, and the
        confidence (PP-OCR's text-direction classifier: a small network, ~1 ms a crop, where reading the
        crop both ways costs ~40 ms)."""
        import numpy as np

        if not crops:
            return []
        _, results, _ = self._engine.text_cls([np.repeat(c[:, :, None], 3, axis=2) for c in crops])
        return [(int(label), float(score)) for label, score in results]

    def read(self, image: Image.Image) -> list[Label]:
        """Every item read on ``image`` as given; vertical labels included, boxes in its pixels."""
        from patimg.ocr.orientation import read_as_given

        return read_as_given(self, image)
