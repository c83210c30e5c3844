"""Reading the text drawn in patent drawings: reference signs, figure captions, other words.

``get_ocr(name)`` gives a backend (RapidOCR, offline default; EasyOCR, the paper's reference);
``read_drawing(image, ocr=...)`` turns a sheet upright and returns its labels;
``detect_rotation(image, ocr=...)`` only finds the turn.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from patimg.ocr.base import DrawingText, OcrBackend
from patimg.ocr.orientation import detect_rotation, read_drawing, rotate_image

BACKENDS = ("rapidocr", "easyocr")

__all__ = [
    "BACKENDS",
    "DrawingText",
    "OcrBackend",
    "detect_rotation",
    "get_ocr",
    "read_drawing",
    "rotate_image",
]


def get_ocr(name: str = "rapidocr", **options: Any) -> OcrBackend:
    """OCR backend by name, built once per process and options.

    Args:
        name: ``"rapidocr"`` (default, offline) or ``"easyocr"`` (needs its weights on disk).
        **options: Backend options (RapidOCR: ``threads``, ``box_thresh``, ``unclip_ratio``;
            EasyOCR: ``model_dir``, ``gpu``, ``allowlist``).

    Raises:
        ValueError: Unknown backend name.
        ModelUnavailableError: The backend's models are missing.
    """
    return _cached_backend(name, tuple(sorted(options.items())))


@lru_cache(maxsize=4)
def _cached_backend(name: str, options: tuple[tuple[str, Any], ...]) -> OcrBackend:
    kwargs = dict(options)
    if name == "rapidocr":
        from patimg.ocr.rapid import RapidOcrBackend

        return RapidOcrBackend(**kwargs)
    if name == "easyocr":
        from patimg.ocr.easy import EasyOcrBackend

        return EasyOcrBackend(**kwargs)
    raise ValueError(f"unknown OCR backend {name!r}; choose one of {', '.join(BACKENDS)}")
