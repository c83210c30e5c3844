"""Reading the text drawn in patent drawings: reference signs, figure captions, other words.

``get_ocr(name)`` gives a backend (RapidOCR, offline default; EasyOCR, the paper's reference);
``read_drawing(image, ocr=...)`` turns a sheet upright and returns its labels;
``detect_rotation(image, ocr=...)`` only finds the turn. :mod:`patimg.ocr.signs` holds the rules that tell a
reference sign from a caption and other text.
"""

from patimg.ocr.backends import get_ocr
from patimg.ocr.base import DrawingText, OcrBackend
from patimg.ocr.orientation import detect_rotation, read_drawing, rotate_image

__all__ = ["DrawingText", "OcrBackend", "detect_rotation", "get_ocr", "read_drawing", "rotate_image"]
