"""RapidOCR backend: PP-OCRv4 detection and recognition as ONNX models shipped inside the wheel.

Fully offline: ``rapidocr_onnxruntime`` carries its models, so this is the default backend. The same ONNX
files run on OpenVINO where it is installed (``runtime="auto"``): RapidOCR's pre- and post-processing stay,
only the three networks are run by OpenVINO, which takes about half the CPU time of ONNX Runtime at float32,
with the same reads (``benchmarks/numerals.py``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from patimg.errors import ModelUnavailableError
from patimg.types import Box, Label
from patimg.vocabulary import OCR_RUNTIMES, OcrRuntime

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image


#: OpenVINO threads of every reader, whatever the machine. Fixed: with another thread count OpenVINO sums in
#: another order, which moves confidences in their last digits, and a collection must be the same whatever the
#: number of readers. Two, with one reader per core (:data:`patimg.reading.READER_CORES`): while one reader's
#: thread is in Python (cropping, splitting, encoding), the other reader's networks have both cores.
OPENVINO_THREADS = 2
#: Compiled kernels OpenVINO keeps for the recogniser and the direction classifier: about a hundred per input shape
#: (one per layer that needs one), so about ten shapes, which holds their batch shapes (without them a batch reads
#: 10-15% slower) and lets the rare widths of long text lines go.
RUNTIME_CACHE_ENTRIES = 1000
#: And for the detector: none. Its input shape is the sheet's size, new with every size, and what it kept for each
#: made a reader's memory grow with every new size (2.2 GB after 247 real sheets and rising; with none, 1.4 GB and
#: level: benchmarks/reader_memory.py); re-making them was not measurable in a sheet's time.
DETECTOR_CACHE_ENTRIES = 0


def _openvino_installed() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class _OpenVinoNetwork:
    """One of RapidOCR's networks compiled by OpenVINO, called as RapidOCR calls its ONNX Runtime session."""

    def __init__(self, model_path: str, *, cache_entries: int) -> None:
        import openvino as ov

        # float32 everywhere: OpenVINO would pick bfloat16 on CPUs with AMX, which reads 1.4x faster again but
        # changes reads (F1 0.930 instead of 0.939 on the ground truth), and the same sheet must read the same
        # on every machine.
        config = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "f32",
            "INFERENCE_NUM_THREADS": OPENVINO_THREADS,
            # OpenVINO pins its threads to cores by default, and every reader process pins to the same first
            # cores: two readers on a 2-core machine then shared one core (0.72 s a sheet instead of 0.47).
            "ENABLE_CPU_PINNING": False,
            # OpenVINO keeps what it compiles for each input shape, by default 5,000 kernels (about 50 shapes).
            "CPU_RUNTIME_CACHE_CAPACITY": cache_entries,
        }
        core = ov.Core()
        self._compiled = core.compile_model(core.read_model(model_path), "CPU", config)

    def __call__(self, inputs):
        return [self._compiled(inputs)[0]]


class RapidOcrBackend:
    """OCR with RapidOCR's ONNX PP-OCR models.

    Args:
        threads: ONNX Runtime intra-op threads (default: env ``PATIMG_OCR_THREADS`` or all cores); OpenVINO
            always runs :data:`OPENVINO_THREADS`.
        box_thresh: Detector box score threshold; lower finds fainter small numerals.
        unclip_ratio: How far detected text regions are grown before cropping.
        runtime: What runs the networks (default: env ``PATIMG_OCR_RUNTIME`` or ``"auto"``, OpenVINO when
            installed, else ONNX Runtime).
    """

    name = "rapidocr"

    def __init__(
        self,
        *,
        threads: int | None = None,
        box_thresh: float = 0.4,
        unclip_ratio: float = 1.6,
        runtime: OcrRuntime | None = None,
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
        runtime = runtime or os.environ.get("PATIMG_OCR_RUNTIME", "auto")
        if runtime not in OCR_RUNTIMES:
            raise ValueError(f"unknown OCR runtime {runtime!r}; choose one of {', '.join(OCR_RUNTIMES)}")
        if runtime == "auto":
            runtime = "openvino" if _openvino_installed() else "onnxruntime"
        if runtime == "openvino":
            self._run_on_openvino()
        self.options = {"box_thresh": box_thresh, "unclip_ratio": unclip_ratio, "runtime": runtime}

    def _run_on_openvino(self) -> None:
        """Hand RapidOCR's three networks, the same ONNX files, to OpenVINO."""
        if not _openvino_installed():
            raise ModelUnavailableError("OpenVINO is not installed: pip install openvino")
        engine = self._engine
        # RapidOCR keeps each network's ONNX Runtime session under these names; the session knows its file.
        engine.text_det.infer = _OpenVinoNetwork(
            engine.text_det.infer.session._model_path, cache_entries=DETECTOR_CACHE_ENTRIES
        )
        engine.text_cls.infer = _OpenVinoNetwork(
            engine.text_cls.infer.session._model_path, cache_entries=RUNTIME_CACHE_ENTRIES
        )
        engine.text_rec.session = _OpenVinoNetwork(
            engine.text_rec.session.session._model_path, cache_entries=RUNTIME_CACHE_ENTRIES
        )

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Axis-aligned text boxes on a greyscale uint8 array."""
        import cv2
        import numpy as np

        detector = self._engine.text_det
        # RapidOCR's own steps (resize to a multiple of 32, normalise, infer, DB post-processing) on the grey
        # array: the three channels it would make are the same, so one resize and a table of the 256 normalised
        # values give its input exactly, without the float arithmetic over three channels (7% of a sheet).
        preprocess = detector.get_preprocess(max(gray.shape[:2]))
        resized = preprocess.resize(gray)
        if resized is None:
            return []
        table = (
            np.arange(256, dtype=np.float32)[:, None] * preprocess.scale - preprocess.mean
        ) / preprocess.std
        tensor = np.empty((1, 3, *resized.shape), dtype=np.float32)
        for channel in range(3):
            tensor[0, channel] = cv2.LUT(resized, table[:, channel].astype(np.float32))
        quads, _ = detector.postprocess_op(detector.infer(tensor)[0], gray.shape[:2])
        quads = detector.filter_tag_det_res(quads, gray.shape[:2])
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
