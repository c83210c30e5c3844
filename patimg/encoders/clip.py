"""open_clip visual encoder (the paper's ViT-B-32 ``openai``), with its text tower for text-to-image queries.

Weights are never downloaded implicitly: a pretrained tag is resolved against open_clip's local caches
first (Hugging Face hub cache, ``~/.cache/clip``, or ``cache_dir``) and a miss raises
:class:`~patimg.errors.ModelUnavailableError` at once, naming the file to fetch and where to put it,
instead of hanging on a network that is not there. Set ``PATIMG_ALLOW_DOWNLOAD=1`` to let open_clip
download on a connected machine.

Drawings are prepared before CLIP's own transform: cropped to their ink, padded to a square (so CLIP's
centre crop cuts nothing off) with :func:`patimg.encoders.preprocess.prepare_drawing`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from patimg.encoders.helpers import l2_normalise, library_versions, pick_device
from patimg.errors import BadInputError, ModelUnavailableError
from patimg.fileio import file_sha256
from patimg.vocabulary import Progress

_SAFE_HUB_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


def parse_clip_spec(spec: str, *, model: str | None = None) -> tuple[str, str | None, str | None]:
    """Split a ``clip:`` spec into ``(model name, pretrained tag, checkpoint path)``.

    ``clip:ViT-B-32/openai`` -> ``("ViT-B-32", "openai", None)``; ``clip:hf-hub:org/m`` ->
    ``("hf-hub:org/m", None, None)``; ``clip:ViT-B-32@/w.pt`` or ``clip:/w.pt`` with ``model`` ->
    ``("ViT-B-32", None, "/w.pt")``.
    """
    body = spec[len("clip:") :] if spec.startswith("clip:") else spec
    if not body:
        raise BadInputError(spec, "empty CLIP spec; use e.g. 'clip:ViT-B-32/openai'")
    if body.startswith("hf-hub:"):
        return body, None, None
    if "@" in body:
        name, path = body.split("@", 1)
        return name, None, path
    if (
        os.sep in body
        and Path(body).suffix in {".pt", ".pth", ".bin", ".safetensors"}
        or Path(body).is_file()
    ):
        if not model:
            raise BadInputError(spec, "a CLIP checkpoint file needs its architecture: 'clip:<model>@<file>'")
        return model, None, body
    name, _, tag = body.partition("/")
    if not tag:
        raise BadInputError(
            spec, "say which weights: 'clip:<model>/<pretrained tag>', e.g. 'clip:ViT-B-32/openai'"
        )
    return name, tag, None


def cached_pretrained_path(model: str, pretrained: str | None, *, cache_dir: str | None = None) -> str | None:
    """Local file of an open_clip pretrained tag, or None when it is not cached (never downloads)."""
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model, pretrained) if pretrained else None
    if not cfg:
        return None
    if cfg.get("file"):
        return cfg["file"] if os.path.isfile(cfg["file"]) else None
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo_id, filename = os.path.split(hub)
        for name in ((filename,) if filename else ()) + _SAFE_HUB_FILES:
            found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
            if isinstance(found, str) and os.path.isfile(found):
                return found
    url = cfg.get("url", "")
    if url:
        target = Path(cache_dir or os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        if target.is_file():
            return str(target)
    return None


def _missing_weights_message(model: str, pretrained: str, cache_dir: str | None) -> str:
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model, pretrained) or {}
    where = []
    if cfg.get("hf_hub"):
        where.append(
            f"the Hugging Face repo {cfg['hf_hub'].rstrip('/')} in the HF cache (huggingface-cli download)"
        )
    if cfg.get("url"):
        folder = cache_dir or os.path.expanduser("~/.cache/clip")
        where.append(f"{cfg['url']} saved as {Path(folder) / os.path.basename(cfg['url'])}")
    return (
        f"CLIP weights {model}/{pretrained} are not in the local cache and this machine does not download "
        f"them. Fetch {' or '.join(where) or 'the checkpoint'} on a connected machine, or give a local file "
        f"with --visual 'clip:{model}@/path/to/weights.pt', or use the weight-free drawing descriptor "
        f"(--visual drawing). Set PATIMG_ALLOW_DOWNLOAD=1 to let open_clip download it."
    )


def _require_hub_cache(repo_id: str, cache_dir: str | None) -> None:
    """Fail fast unless an hf-hub open_clip model's config and weights are in the local cache."""
    from huggingface_hub import try_to_load_from_cache

    def cached(name: str) -> bool:
        found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        return isinstance(found, str) and os.path.isfile(found)

    if not cached("open_clip_config.json") or not any(cached(name) for name in _SAFE_HUB_FILES):
        raise ModelUnavailableError(
            f"open_clip model hf-hub:{repo_id} is not in the local Hugging Face cache and this machine does "
            f"not download it: run `huggingface-cli download {repo_id}` on a connected machine and copy the "
            f"cache, or use --visual drawing. Set PATIMG_ALLOW_DOWNLOAD=1 to let open_clip download it."
        )


def pad_to_square(image, *, fill: int = 255):
    """``image`` centred on a white square (fallback when the drawing preprocessor is unavailable)."""
    from PIL import Image

    grey = image.convert("L")
    side = max(grey.size)
    square = Image.new("L", (side, side), fill)
    square.paste(grey, ((side - grey.width) // 2, (side - grey.height) // 2))
    return square


class ClipEncoder:
    """An open_clip model: images (and texts) to L2-normalised float32 vectors.

    Args:
        spec: ``clip:`` spec (see :func:`parse_clip_spec`).
        device: Default CUDA when available, else CPU.
        model: Architecture for a bare checkpoint path.
        cache_dir: Where open_clip's weights are cached.
        precision: ``"fp16"`` or ``"fp32"``; default fp16 on CUDA, fp32 on CPU.
        stroke_px: Stroke width the drawing preprocessor normalises to (None keeps the natural width).
        pretrained_weights: False builds the architecture with random weights (benchmarks only; the
            info says so, so such vectors can never be mixed with real ones).
    """

    def __init__(
        self,
        spec: str,
        *,
        device: str | None = None,
        model: str | None = None,
        cache_dir: str | None = None,
        precision: str | None = None,
        stroke_px: float | None = 2.0,
        pretrained_weights: bool = True,
    ) -> None:
        import open_clip
        import torch

        self.spec = spec
        model_name, tag, checkpoint = parse_clip_spec(spec, model=model)
        self.device = pick_device(device)
        self.precision = precision or ("fp16" if self.device.startswith("cuda") else "fp32")
        self.stroke_px = stroke_px
        kwargs: dict[str, Any] = {"cache_dir": cache_dir, "device": self.device}
        if not pretrained_weights:
            pretrained, weights = None, "random-init"
        elif checkpoint:
            if not os.path.isfile(checkpoint):
                raise ModelUnavailableError(f"CLIP checkpoint {checkpoint} does not exist (spec {spec!r})")
            pretrained, weights = checkpoint, f"sha256:{file_sha256(checkpoint)}"
        elif tag:
            if model_name not in open_clip.list_models():
                raise BadInputError(spec, f"unknown open_clip architecture {model_name!r}")
            if not open_clip.get_pretrained_cfg(model_name, tag):
                known = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
                raise BadInputError(spec, f"no pretrained tag {tag!r} for {model_name} (known: {known})")
            pretrained, weights = self._resolve_tag(model_name, tag, cache_dir, kwargs), f"{model_name}/{tag}"
        else:  # hf-hub: the config and weights come from the hub cache
            if os.environ.get("PATIMG_ALLOW_DOWNLOAD") != "1":
                _require_hub_cache(model_name[len("hf-hub:") :], cache_dir)
            pretrained, weights = None, model_name
        try:
            net, _, transform = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained, **kwargs
            )
        except (RuntimeError, OSError, ValueError) as error:
            if model_name.startswith("hf-hub:") or tag:
                raise ModelUnavailableError(
                    f"could not load CLIP {model_name} offline ({error}); put its files in the Hugging Face "
                    f"cache or use a local checkpoint: --visual 'clip:<model>@/path/to/weights.pt'"
                ) from error
            raise BadInputError(
                str(checkpoint or spec), f"not a usable {model_name} checkpoint: {error}"
            ) from error
        net.eval()
        if self.precision == "fp16":
            net = net.half()
        self._net, self._transform, self._torch = net, transform, torch
        self._tokenizer = open_clip.get_tokenizer(model_name, cache_dir=cache_dir)
        self.name = f"clip:{model_name}"
        self.weights = weights
        size = getattr(net.visual, "image_size", 224)
        self.image_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        with torch.no_grad():
            probe = self._tokenizer(["a"]).to(self.device)
            self.dim = int(net.encode_text(probe).shape[-1])

    @staticmethod
    def _resolve_tag(model_name: str, tag: str, cache_dir: str | None, kwargs: dict[str, Any]) -> str:
        """The cached weights file of a tag (fail fast when absent), with the tag's preprocessing."""
        import open_clip

        if os.environ.get("PATIMG_ALLOW_DOWNLOAD") == "1":
            return tag
        path = cached_pretrained_path(model_name, tag, cache_dir=cache_dir)
        if path is None:
            raise ModelUnavailableError(_missing_weights_message(model_name, tag, cache_dir))
        cfg = open_clip.get_pretrained_cfg(model_name, tag)
        # Passing the file instead of the tag skips open_clip's network check; keep the tag's settings.
        kwargs.update(
            force_quick_gelu=bool(cfg.get("quick_gelu", False)),
            image_mean=cfg.get("mean"),
            image_std=cfg.get("std"),
            image_interpolation=cfg.get("interpolation"),
            image_resize_mode=cfg.get("resize_mode"),
        )
        return path

    def info(self) -> dict[str, Any]:
        """``{"name", "weights", "dim", "versions"}``."""
        return {
            "name": self.name,
            "weights": self.weights,
            "dim": self.dim,
            "versions": library_versions("torch", "open_clip_torch"),
        }

    def _prepare(self, image):
        try:
            from patimg.encoders.preprocess import prepare_drawing
        except ImportError:
            square = pad_to_square(image)
        else:
            square = prepare_drawing(image, size=self.image_size, stroke_px=self.stroke_px)
        return self._transform(square.convert("RGB"))

    def encode(
        self, images: Sequence[Any], *, batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        """``(len(images), dim)`` float32 unit rows for PIL images (drawings in any mode)."""
        torch = self._torch
        if batch_size < 1:
            raise BadInputError("batch_size", f"must be positive, got {batch_size}")
        rows = []
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        for start in range(0, len(images), batch_size):
            batch = torch.stack([self._prepare(image) for image in images[start : start + batch_size]])
            with torch.no_grad():
                features = self._net.encode_image(batch.to(self.device, dtype=dtype))
            rows.append(features.float().cpu().numpy())
            if progress:
                progress("encode visual", min(start + batch_size, len(images)), len(images), "")
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.concatenate(rows))

    def encode_text(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """CLIP text-tower vectors in the image space (``"a drawing of a wind turbine"`` finds turbines)."""
        torch = self._torch
        rows = []
        for start in range(0, len(texts), batch_size):
            tokens = self._tokenizer(list(texts[start : start + batch_size])).to(self.device)
            with torch.no_grad():
                rows.append(self._net.encode_text(tokens).float().cpu().numpy())
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.concatenate(rows))
