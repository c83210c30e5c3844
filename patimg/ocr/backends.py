"""OCR backends by name: RapidOCR (offline default, models in its wheel) and EasyOCR (the paper's reference)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from patimg.ocr.base import OcrBackend
from patimg.vocabulary import OCR_BACKENDS


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
    raise ValueError(f"unknown OCR backend {name!r}; choose one of {', '.join(OCR_BACKENDS)}")
