"""The weight-free drawing descriptor on real US design-patent drawings."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from patimg.encoders.drawing import DrawingDescriptorEncoder, query_expansion
from patimg.encoders.preprocess import content_box, ink_mask, prepare_drawing, stroke_width
from patimg.errors import BadInputError
from tests.realdata import shared_data_path

QUERY_SHEET = ("USD0907293-20210105", "USD0907293-20210105-D00002.TIF")
#: Sheets of OTHER design patents the query must stay further from than from its own variants.
OTHER_SHEETS = [
    ("USD0908315-20210126", "USD0908315-20210126-D00001.TIF"),
    ("USD0909824-20210209", "USD0909824-20210209-D00001.TIF"),
    ("USD0913174-20210316", "USD0913174-20210316-D00002.TIF"),
    ("USD0915935-20210413", "USD0915935-20210413-D00001.TIF"),
]


def _sheet(folder: str, name: str) -> Image.Image:
    path = shared_data_path("patents", "us-design", folder, name)
    with Image.open(path) as image:
        return image.convert("L")


@pytest.fixture(scope="module")
def encoder() -> DrawingDescriptorEncoder:
    return DrawingDescriptorEncoder()


@pytest.fixture(scope="module")
def query() -> Image.Image:
    return _sheet(*QUERY_SHEET)


def test_encode_real_drawings_shape_dtype_norm_deterministic(encoder, query):
    images = [query, _sheet(*OTHER_SHEETS[0])]
    first = encoder.encode(images)
    second = encoder.encode(images)
    assert first.shape == (2, encoder.dim)
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, second)
    assert abs(float(first[0] @ first[1])) < 0.99  # two different designs are not the same vector


def _variants(image: Image.Image) -> dict[str, Image.Image]:
    width, height = image.size
    dilated = image.filter(ImageFilter.MinFilter(7))  # black ink: min filter thickens strokes by ~6 px
    return {
        "scaled 0.5x": image.resize((width // 2, height // 2), Image.Resampling.LANCZOS),
        "200 px margin": ImageOps.expand(image, border=200, fill=255),
        "dilated strokes": dilated,
        "rotated 90": image.rotate(90, expand=True, fillcolor=255),
    }


def test_descriptor_invariant_to_scale_margin_stroke_and_rotation(encoder, query):
    variants = _variants(query)
    others = [_sheet(*sheet) for sheet in OTHER_SHEETS]
    vectors = encoder.encode([query, *variants.values(), *others])
    reference, variant_vectors, other_vectors = (
        vectors[0],
        vectors[1 : 1 + len(variants)],
        vectors[1 + len(variants) :],
    )
    closest_other = float(np.max(other_vectors @ reference))
    for name, vector in zip(variants, variant_vectors, strict=True):
        similarity = float(vector @ reference)
        assert similarity > closest_other, f"{name}: {similarity:.3f} <= other design {closest_other:.3f}"


def test_blank_image_gives_zero_vector(encoder):
    vectors = encoder.encode([Image.new("L", (800, 600), 255), Image.new("1", (40, 40), 1)])
    assert vectors.shape == (2, encoder.dim)
    assert not vectors.any()


def test_info_names_codebook_identity(encoder):
    info = encoder.info()
    assert info["name"] == encoder.name
    assert info["dim"] == encoder.dim
    assert info["weights"] == hashlib.sha256(encoder.codebook_path.read_bytes()).hexdigest()
    assert {"opencv", "numpy"} <= set(info["versions"])


def test_prepare_drawing_crops_margins_and_keeps_aspect(query):
    padded = ImageOps.expand(query, border=300, fill=255)
    a = np.asarray(prepare_drawing(query, size=256))
    b = np.asarray(prepare_drawing(padded, size=256))
    assert a.shape == (256, 256)
    # Same drawing with a different margin: nearly identical prepared images.
    assert np.mean(a != b) < 0.01
    # Aspect ratio kept: a wide drawing stays wide (ink box width / height as in the original).
    original_box = content_box(ink_mask(query))
    prepared_box = content_box(ink_mask(Image.fromarray(a)))
    original_ratio = (original_box[2] - original_box[0]) / (original_box[3] - original_box[1])
    prepared_ratio = (prepared_box[2] - prepared_box[0]) / (prepared_box[3] - prepared_box[1])
    assert prepared_ratio == pytest.approx(original_ratio, rel=0.05)


def test_prepare_drawing_ignores_specks_and_normalises_stroke(query):
    specked = query.copy()
    specked.paste(0, (3, 3, 6, 6))  # a 3-px scanner speck in the corner
    np.testing.assert_array_equal(np.asarray(prepare_drawing(specked)), np.asarray(prepare_drawing(query)))
    thickened = query.filter(ImageFilter.MinFilter(7))  # strokes ~6 px thicker at 300 dpi

    def width(image: Image.Image, stroke_px: float | None) -> float:
        return stroke_width(ink_mask(prepare_drawing(image, size=1024, stroke_px=stroke_px)))

    # Without normalisation the thickened drawing keeps much wider strokes; with it, about the same.
    assert width(thickened, None) > 1.5 * width(query, None)
    assert width(thickened, 2.0) == pytest.approx(width(query, 2.0), rel=0.2)


def test_prepare_drawing_rejects_bad_size(query):
    with pytest.raises(BadInputError):
        prepare_drawing(query, size=0)


def test_query_expansion_pulls_in_neighbours():
    rng = np.random.default_rng(0)
    database = rng.normal(size=(6, 8)).astype(np.float32)
    database /= np.linalg.norm(database, axis=1, keepdims=True)
    expanded = query_expansion(database, database[:1], top=2)
    assert expanded.shape == (1, 8)
    assert np.linalg.norm(expanded) == pytest.approx(1.0, abs=1e-5)
    assert not np.allclose(expanded[0], database[0])
