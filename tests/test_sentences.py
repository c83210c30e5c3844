"""Sentence splitter: patent abbreviations, numbers, German text, real descriptions."""

from __future__ import annotations

import pytest

from patimg.documents.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FIG. 3 is a side view. FIG. 4 is a top view.", ["FIG. 3 is a side view.", "FIG. 4 is a top view."]),
        (
            "As shown in FIGS. 3 and 4, the rotor turns. It stops.",
            ["As shown in FIGS. 3 and 4, the rotor turns.", "It stops."],
        ),
        (
            "A hub, e.g. Steel, is used. A blade, i.e. A vane, is fixed.",
            ["A hub, e.g. Steel, is used.", "A blade, i.e. A vane, is fixed."],
        ),
        ("It is approx. 5 mm wide. It works.", ["It is approx. 5 mm wide.", "It works."]),
        ("See No. 5 on the list. Done.", ["See No. 5 on the list.", "Done."]),
        ("Die Welle ist in Fig. 1 gezeigt. Sie dreht.", ["Die Welle ist in Fig. 1 gezeigt.", "Sie dreht."]),
        ("Screws, nuts, etc. are used. Then it closes.", ["Screws, nuts, etc. are used.", "Then it closes."]),
        ("Screws, nuts etc. The lid closes.", ["Screws, nuts etc.", "The lid closes."]),
        (
            "See U.S. Pat. No. 5,123,456 for details. It is old.",
            ["See U.S. Pat. No. 5,123,456 for details.", "It is old."],
        ),
        (
            "The blade is 1.5 mm thick. The hub is 2.25 mm.",
            ["The blade is 1.5 mm thick.", "The hub is 2.25 mm."],
        ),
        ("Die Welle ist z. B. aus Stahl. Sie ist lang.", ["Die Welle ist z. B. aus Stahl.", "Sie ist lang."]),
        ("Stahl bzw. Aluminium wird verwendet. Gut.", ["Stahl bzw. Aluminium wird verwendet.", "Gut."]),
        ("Sie ist ca. 5 mm lang. Gut.", ["Sie ist ca. 5 mm lang.", "Gut."]),
        ("Siehe Nr. 5 der Liste. Gut.", ["Siehe Nr. 5 der Liste.", "Gut."]),
        ("Is it on? Yes! It is.", ["Is it on?", "Yes!", "It is."]),
        (
            "See Proc. Natl. Acad. Sci. USA 85: 5879 (1988). It grows in the cell. The end.",
            ["See Proc. Natl. Acad. Sci. USA 85: 5879 (1988).", "It grows in the cell.", "The end."],
        ),
        (
            "1. A method comprising a step. 2. The method of claim 1.",
            ["1. A method comprising a step.", "2. The method of claim 1."],
        ),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences_tricky_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_white_space_is_collapsed() -> None:
    assert split_sentences("A  hub\n 14 turns.\tThe end.") == ["A hub 14 turns.", "The end."]


def test_real_description_keeps_figure_and_patent_references(shared_data) -> None:
    from patimg.documents import parse_publication

    document = parse_publication(shared_data / "xml" / "uspto" / "grant-v2-5-B2.xml")
    texts = [s.text for s in document.sentences]
    # No sentence may end right after an abbreviation that the splitter must protect.
    for text in texts:
        assert not text.endswith(("FIG.", "FIGS.", "No.", "Pat.", "e.g.", "i.e.")), text
    assert (
        "Vacuum cleaners with detachable motor/impeller units, commonly referred to as blowers, are known in the art."
        in texts
    )
    assert any(t.startswith("FIG. 2 is a sectional view of the vacuum cleaner of FIG. 1") for t in texts)
