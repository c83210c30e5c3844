"""Rules that classify text read on a patent drawing (patimg.ocr.signs)."""

from __future__ import annotations

import pytest

from patimg.ocr.signs import figure_number, split_drawing_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("104", ("reference", "104")),
        ("16a", ("reference", "16a")),
        ("12'", ("reference", "12'")),
        ("12’", ("reference", "12'")),
        ("S1", ("reference", "S1")),
        ("200A", ("reference", "200A")),
        ("L2", ("reference", "L2")),
        ("Ta", ("reference", "Ta")),
        ("A", ("reference", "A")),
        ("x", ("reference", "x")),
        ("S11", ("reference", "S11")),
        ("FIG. 12", ("figure", "FIG. 12")),
        ("Fig.3", ("figure", "FIG. 3")),
        ("FIG.12", ("figure", "FIG. 12")),
        ("FIG. 1B", ("figure", "FIG. 1B")),
        ("FIGURE 2", ("figure", "FIG. 2")),
        ("Fig.3 (a)", ("figure", "FIG. 3(a)")),
        ("100 mm", ("other", "100 mm")),
        ("5%", ("other", "5%")),
        ("2019", ("other", "2019")),
        ("0 ~ 33", ("other", "0 ~ 33")),
        ("34 ~", ("other", "34 ~")),
        ("0~33", ("other", "0~33")),
        ("START", ("other", "START")),
        ("NO", ("other", "NO")),
        ("Yes", ("other", "Yes")),
        ("X", ("other", "X")),
        ("0", ("other", "0")),
    ],
)
def test_classify_drawing_text(text: str, expected: tuple[str, str]) -> None:
    assert split_drawing_text(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1O4", "104"),  # letter O read inside a numeral
        ("l2", "12"),  # lower-case l for 1
        ("I0", "10"),
        ("-104", "104"),  # leader line glued to the label
        ("104-", "104"),
        ("~S32", "S32"),  # wavy leader glued to the label
    ],
)
def test_ocr_confusions_inside_numerals_are_undone(text: str, expected: str) -> None:
    assert split_drawing_text(text) == [("reference", expected)]


def test_letter_signs_keep_their_letters() -> None:
    # Only digit runs are repaired: a lone I or a step S1 stays as printed.
    assert split_drawing_text("I") == [("reference", "I")]
    assert split_drawing_text("S1") == [("reference", "S1")]


def test_caption_is_not_a_sign() -> None:
    assert split_drawing_text("FIG. 12") == [("figure", "FIG. 12")]
    assert split_drawing_text("12") == [("reference", "12")]


@pytest.mark.parametrize(
    ("text", "signs"),
    [
        ("106, 114", ["106", "114"]),
        ("108,112", ["108", "112"]),
        ("A、B", ["A", "B"]),
        ("A,B,C", ["A", "B", "C"]),
    ],
)
def test_combined_labels_split(text: str, signs: list[str]) -> None:
    assert split_drawing_text(text) == [("reference", sign) for sign in signs]


def test_mixed_text_is_not_split_into_signs() -> None:
    assert split_drawing_text("100 mm") == [("other", "100 mm")]
    assert split_drawing_text("pH 10.5, 80°C") == [("other", "pH 10.5, 80°C")]
    assert split_drawing_text("  ") == []


@pytest.mark.parametrize(
    ("caption", "number"),
    [
        ("FIG. 1B", "1B"),
        ("Fig.3", "3"),
        ("FIG.12", "12"),
        ("Fig.10 (c)", "10(c)"),
        ("FIG.l", "1"),
        ("104", ""),
    ],
)
def test_figure_number(caption: str, number: str) -> None:
    assert figure_number(caption) == number


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("FIG 1 Prior art", [("figure", "FIG. 1"), ("other", "Prior art")]),
        ("FIG.3 (PRIOR ART)", [("figure", "FIG. 3"), ("other", "PRIOR ART")]),
        ("Fig. 2 - Related Art", [("figure", "FIG. 2"), ("other", "Related Art")]),
        ("FIG. 12B Side view", [("figure", "FIG. 12B"), ("other", "Side view")]),
        # Not a caption with a subtitle: a sentence naming a figure, a reference to one, a lone suffix.
        ("FIG. 3 shows 104", [("other", "FIG. 3 shows 104")]),
        ("See FIG. 3", [("other", "See FIG. 3")]),
        ("FIG 1 A", [("figure", "FIG. 1A")]),
    ],
)
def test_caption_with_a_subtitle_on_its_line_is_still_a_caption(text: str, items: list) -> None:
    # Issue 11: "FIG 1 / Prior art" sheets were kept whole when the detector boxed both in one line.
    assert split_drawing_text(text) == items


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("FIG 11 360", [("figure", "FIG. 11"), ("reference", "360")]),
        ("FIG. 12 124", [("figure", "FIG. 12"), ("reference", "124")]),
        ("Fig.3 16a, 18", [("figure", "FIG. 3"), ("reference", "16a"), ("reference", "18")]),
        ("FIG. 1 A 12", [("figure", "FIG. 1A"), ("reference", "12")]),
        ("FIGURE 4 S10", [("figure", "FIG. 4"), ("reference", "S10")]),
        ("344 FIG 11", [("reference", "344"), ("figure", "FIG. 11")]),
        ("12, 14 Fig. 2", [("reference", "12"), ("reference", "14"), ("figure", "FIG. 2")]),
        # Not a caption with signs: a figure number read with a space inside, a range, words.
        ("FIG. 1 2", [("other", "FIG. 1 2")]),
        ("FIG. 3 10-20", [("other", "FIG. 3 10-20")]),
        ("FIG. 3 shows 104", [("other", "FIG. 3 shows 104")]),
        ("2 FIG. 3", [("other", "2 FIG. 3")]),
        ("see FIG. 3", [("other", "see FIG. 3")]),
    ],
)
def test_caption_beside_a_figure_with_a_sign_on_its_line(text: str, items: list) -> None:
    # Issue 11: a caption set beside its figure, boxed with the leader numeral next to it ("FIG 11 360"),
    # was "other" text, so the sheet lost that caption (generated sheets read by the OCR, seed 1000082).
    assert split_drawing_text(text) == items


def test_caption_read_with_a_sign_keeps_its_own_part_of_the_box() -> None:
    from patimg.ocr.base import labels_from_read

    # "FIG 11 360" over x 0..100: the caption is the first 6 characters of 10, the sign the last 3.
    caption, sign = labels_from_read("FIG 11 360", 0.99, (0.0, 0.0, 100.0, 10.0), horizontal=True)
    assert (caption.text, caption.kind, caption.box) == ("FIG. 11", "figure", (0.0, 0.0, 60.0, 10.0))
    assert (sign.text, sign.kind, sign.box) == ("360", "reference", (70.0, 0.0, 100.0, 10.0))
    # "344 FIG 11": the sign first, the caption what follows it.
    sign, caption = labels_from_read("344 FIG 11", 0.99, (0.0, 0.0, 100.0, 10.0), horizontal=True)
    assert (sign.text, sign.box) == ("344", (0.0, 0.0, 30.0, 10.0))
    assert (caption.text, caption.box) == ("FIG. 11", (40.0, 0.0, 100.0, 10.0))
