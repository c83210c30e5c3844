"""Reference signs in sentences, and figure signs linked to the sentences of real patents."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from patimg.errors import BadInputError
from patimg.linking import (
    build_mention_index,
    find_sign_mentions,
    link_numerals_to_sentences,
    sign_terms,
)
from patimg.types import Sentence


def pairs(sentence: str, **options) -> list[tuple[str, str]]:
    return [(m.sign, m.term) for m in find_sign_mentions(sentence, **options)]


# --- what is a reference sign -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("the hub 14 is mounted on the frame", [("14", "hub")]),
        ("hubs 14a and 14b carry the blades", [("14a", "hub"), ("14b", "hub")]),
        ("elements 12, 14 and 16 are welded", [("12", "element"), ("14", "element"), ("16", "element")]),
        ("via feed rollers 24, 26, 28, and 30.", [(s, "feed roller") for s in ("24", "26", "28", "30")]),
        ("the propeller 104 is mounted on the shaft 106", [("104", "propeller"), ("106", "shaft")]),
        (
            "the first gear 20' meshes with the second gear 22'",
            [("20'", "first gear"), ("22'", "second gear")],
        ),
        ("the first gear 20’ meshes", [("20'", "first gear")]),
        ("In step S1 the valve V2 opens", [("S1", "step"), ("V2", "valve")]),
        ("(Step S26; NO)", [("S26", "step")]),
        ("the arm 200A swings", [("200A", "arm")]),
        ("the above-mentioned hole 141 is drilled", [("141", "hole")]),  # a reference back, not the noun
        ("the aforementioned guide rail 12 slides", [("12", "guide rail")]),
        ("a third distance L3", [("L3", "third distance")]),
        ("the elevator car (1) moves", [("1", "elevator car")]),
        (
            "a holding unit (gripping unit) 7 and a belt (suspension unit) B",
            [("7", "holding unit"), ("B", "belt")],
        ),
        ("guide rail sections 8C,9C rest", [("8C", "guide rail section"), ("9C", "guide rail section")]),
        (
            "a fixing bracket 15;16 by bolts 18",
            [("15", "fixing bracket"), ("16", "fixing bracket"), ("18", "bolt")],
        ),
        ("modules A,B,C are piled", [("A", "module"), ("B", "module"), ("C", "module")]),
        ("the central axes x extend", [("x", "central axis")]),
        ("the original image I is converted", [("I", "original image")]),
        ("a pattern PT for one color", [("PT", "pattern")]),
        ("the gray-scale conversion table T shown", [("T", "gray-scale conversion table")]),
        ("the element a of the pattern", [("a", "element")]),
        ("a system designated generally by reference character 100", [("100", "")]),
        ("reference numeral 14 denotes the hub", [("14", "")]),
        ("D1 and D4 have the resolution", [("D1", ""), ("D4", "")]),
        ("a high voltage assembly 2 is shown", [("2", "high voltage assembly")]),
        ("die Nabe 14 ist mit dem Gehäuse 2 verbunden", [("14", "nabe"), ("2", "gehäuse")]),
        ("Fig. 1 zeigt ein System 100 aus einer Maschine 102", [("100", "system"), ("102", "maschine")]),
    ],
)
def test_reference_signs_and_their_terms(sentence, expected):
    assert pairs(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("the beams 14-14c are welded", ["14", "14a", "14b", "14c"]),
        ("each guide rail section 8A-8C, 9A-9C is metal", ["8A", "8B", "8C", "9A", "9B", "9C"]),
        ("the tables Ta to Ti are used", ["Ta", "Tb", "Tc", "Td", "Te", "Tf", "Tg", "Th", "Ti"]),
        ("the modules A-C are piled", ["A", "B", "C"]),
        ("the steps S21 to S24 repeat", ["S21", "S22", "S23", "S24"]),
    ],
)
def test_ranges_of_lettered_signs_name_every_sign_between(sentence, expected):
    assert [m.sign for m in find_sign_mentions(sentence)] == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "FIG. 14 shows the rotor.",
        "FIGS. 3 and 14 show the rotor.",
        "Figs. 2-4 show details.",
        "according to claim 14, the rotor",
        "as in claims 1 to 14",
        "a plate with a width 14 mm",
        "the ratio is 14%",
        "the blade ratio 14 %",
        "heated to 14 °C",
        "a temperature of 450° C",
        "rotated by 10 degrees",
        "the rotor was built in 2019",
        "see U.S. Pat. No. 5,123,456",
        "filed as Ser. No. 14/123,456 on May 18, 2021",
        "a thickness between 10 and 20 mm",
        "the length is about 14",
        "the rotor has 14 blades",
        "a 1,3,4-oxadiazolone compound",
        "wie 2-Aethyl-6-methyl-N-(1'-methyl-2'-methoxyäthyl)-chloracetanilid",
        "the COVID-19 pandemic",
        "a mixture of CuO2 and H2O2",
        "supercritical CO2 was used",
        "the method (1) has a problem",
        "the steps: (1) mixing, 2) heating",
        "the swing is zero (0)",
        "an origin (0, 0)p of the coordinates (1, 1)p",
        "the coordinates (a, b)i of the image",
        "a value of 1.5 for the shaft",
        "DE 10 2009 041 527 A1 discloses",
        "Patent Document 1 describes",
        "the fiber length Lc(l) was measured",
        "the suspension in water (20:1) was stirred",
        "lowering the pH to less than pH 7",
        "described in Carvalho et al 1997",
        "washed with 200 mls water (3×)",
        "Compound 14 was obtained as in Example 3 and Table 2",
        "comprising providing a counterweight",
        "R 1 bis R 9 die oben angegebene Bedeutung haben",
        "Die Leistung beträgt vorzugsweise 0,5 - 5 Sekunden.",
    ],
)
def test_numbers_that_are_not_reference_signs(sentence):
    assert find_sign_mentions(sentence) == []


def test_a_quantity_after_a_verb_is_not_a_sign_but_the_noun_before_the_verb_has_one():
    assert pairs("the rotor 12 has 14 blades and two hubs") == [("12", "rotor")]


def test_german_decimal_comma_is_a_number_but_english_glued_list_is_two_signs():
    assert pairs("Der Durchmesser 0,5 ist klein", language="de") == []
    assert pairs("the brackets 15,16 hold it", language="en") == [("15", "bracket"), ("16", "bracket")]


def test_a_list_of_reference_signs_reads_sign_then_term():
    listing = (
        "1 Overhead transport vehicle 2 Frame unit 7 Holding unit (gripping unit) B Belt P1 Standby position"
    )
    assert pairs(listing) == [
        ("1", "overhead transport vehicle"),
        ("2", "frame unit"),
        ("7", "holding unit"),
        ("B", "belt"),
        ("P1", "standby position"),
    ]


def test_mention_offsets_point_at_the_sign():
    sentence = "The hub 14 (see FIG. 2) and hubs 14a,14b carry the gear 20'."
    mentions = find_sign_mentions(sentence)
    assert [m.sign for m in mentions] == ["14", "14a", "14b", "20'"]
    assert [sentence[m.start : m.end] for m in mentions] == ["14", "14a", "14b", "20'"]


# --- linking figure signs ---------------------------------------------------------------------------


def make_sentences(*texts: str) -> tuple[Sentence, ...]:
    return tuple(Sentence(patent_id="X", index=10 + i, text=t) for i, t in enumerate(texts))


def test_links_keep_unlinked_signs_merge_duplicates_and_use_the_commonest_term():
    sentences = make_sentences(
        "The hub 14 is fixed to the shaft 16.",
        "FIG. 3 shows the hub 14 from above.",
        "The rotor hub 14 turns.",
        "A plate of 99 mm.",
    )
    links = link_numerals_to_sentences(figure_id="F1", signs=["14", "16", "99", "14"], sentences=sentences)
    assert [(link.sign, link.term, link.sentence_indexes) for link in links] == [
        ("14", "hub", (10, 11, 12)),
        ("16", "shaft", (10,)),
        ("99", "", ()),
    ]
    assert all(link.figure_id == "F1" for link in links)


def test_matching_prefers_exact_case_then_folds_case_primes_and_letter_variants():
    sentences = make_sentences(
        "The car guide rail sections 8a,8b are generic.",
        "The guide rail section 8A is in the pit.",
        "The rope terminals 12a and 12b hold the rope 21'.",
        "The controller repeats step 11.",
        "The controller then performs step S11.",
    )
    index = build_mention_index(sentences)
    found = {
        link.sign: link.sentence_indexes
        for link in link_numerals_to_sentences(
            figure_id="F", signs=["8A", "8B", "12", "21", "S11"], sentences=sentences, index=index
        )
    }
    assert found == {"8A": (11,), "8B": (10,), "12": (12,), "21": (12,), "S11": (13, 14)}


def test_bad_input_is_named():
    with pytest.raises(BadInputError, match="F9"):
        link_numerals_to_sentences(figure_id="F9", signs=["14", " "], sentences=make_sentences("hub 14"))
    with pytest.raises(BadInputError, match="figure_id"):
        link_numerals_to_sentences(figure_id="", signs=["14"], sentences=())
    with pytest.raises(BadInputError, match="sentences"):
        build_mention_index(["the hub 14"])
    with pytest.raises(BadInputError, match="sentence"):
        find_sign_mentions(None)


def test_index_can_leave_out_sections():
    sentences = (
        Sentence("X", 0, "The hub 14 turns.", "description"),
        Sentence("X", 1, "A rotor comprising a hub (14).", "claims"),
    )
    assert build_mention_index(sentences).sentence_indexes == {"14": (0, 1)}
    assert build_mention_index(sentences, sections={"description"}).sentence_indexes == {"14": (0,)}


def test_sign_terms_of_a_patent():
    terms = sign_terms(make_sentences("The hub 14 turns.", "The rotor hub 14 turns.", "The hub 14 stops."))
    assert terms == {"14": "hub"}


# --- real patents -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def groundtruth(shared_data: Path) -> dict:
    return json.loads((shared_data / "numerals_groundtruth.json").read_text())


def _publication_xml(shared_data: Path, patent: str) -> Path:
    folder = next((shared_data / "patents").glob(f"*/{patent}"))
    return next(p for p in folder.iterdir() if p.suffix.lower() == ".xml" and not p.name.startswith("toc"))


@pytest.fixture(scope="module")
def real_patents(shared_data: Path, groundtruth: dict) -> dict:
    """Per ground-truth patent: its sentences, mention index and the signs drawn in each image."""
    from patimg.documents import parse_publication

    drawn: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for image, entry in groundtruth["images"].items():
        drawn[Path(image).parts[2]][image] = entry["labels"]
    patents = {}
    for patent, images in drawn.items():
        sentences = parse_publication(_publication_xml(shared_data, patent)).sentences
        patents[patent] = (sentences, build_mention_index(sentences), images)
    return patents


def test_most_drawn_signs_link_and_the_rest_are_documented_exceptions(real_patents, groundtruth):
    for patent, (sentences, index, images) in real_patents.items():
        drawn = sorted({sign for labels in images.values() for sign in labels})
        if not drawn:
            continue
        links = link_numerals_to_sentences(figure_id=patent, signs=drawn, sentences=sentences, index=index)
        unlinked = [link.sign for link in links if not link.sentence_indexes]
        assert len(unlinked) <= 0.1 * len(drawn), (patent, unlinked)
        notes = groundtruth["patents"][patent]["notes"] + " ".join(
            note for image in images for note in groundtruth["images"][image]["uncertain"]
        )
        for sign in unlinked:  # the ground truth says it is drawn but never named in the text
            assert re.search(rf"(?<!\w){re.escape(sign)}(?!\w)", notes), (patent, sign)


def test_signs_the_description_alone_uses_are_found(real_patents, groundtruth):
    for patent, (_, index, _) in real_patents.items():
        assert set(groundtruth["patents"][patent]["description_only"]) <= set(index.sentence_indexes), patent


def _plausible_use(sign: str, text: str) -> bool:
    """An independent, looser check that a sentence uses ``sign`` as a reference sign."""
    for match in re.finditer(rf"(?<![\w/.]){re.escape(sign)}(?![\w/])", text, flags=re.IGNORECASE):
        before, after = text[: match.start()], text[match.end() :]
        if re.search(r"(FIGS?\.|FIGURES?|claims?|No\.)\s*$", before, flags=re.IGNORECASE):
            continue
        if re.match(r"\s*(mm|cm|%|°|degrees?)\b", after):
            continue
        return True
    stem = re.escape(sign[:-1])
    if re.search(rf"(?<!\w){stem}\w?\s*(?:-|–|to)\s*{stem}\w(?!\w)", text):  # inside a lettered range
        return True
    number = re.fullmatch(r"S(\d+)", sign)
    return bool(number and re.search(rf"\bstep {number[1]}\b", text))


def test_every_link_points_at_a_sentence_that_really_uses_the_sign(real_patents):
    checked = 0
    for patent, (sentences, index, images) in real_patents.items():
        by_index = {s.index: s.text for s in sentences}
        for image, labels in images.items():
            for link in link_numerals_to_sentences(
                figure_id=image, signs=labels, sentences=sentences, index=index
            ):
                for i in link.sentence_indexes:
                    text_signs = [link.sign, *(s for s in index.sentence_indexes if s.startswith(link.sign))]
                    assert any(_plausible_use(s, by_index[i]) for s in text_signs), (
                        patent,
                        link.sign,
                        by_index[i],
                    )
                    checked += 1
    assert checked > 500


def test_no_mention_in_real_text_is_a_figure_claim_or_measurement(shared_data: Path):
    from patimg.documents import parse_publication

    sources = sorted((shared_data / "patents" / "us-grants").glob("US*/US*.XML"))
    sources += sorted((shared_data / "xml" / "epo").glob("*.xml"))
    mentions = 0
    for source in sources:
        for sentence in parse_publication(source).sentences:
            for mention in find_sign_mentions(sentence.text):
                before, after = sentence.text[: mention.start], sentence.text[mention.end :]
                assert not re.search(
                    r"(FIGS?\.?|Figur(?:en)?|claims?|Anspruch|Ansprüche)\s*$", before, re.I
                ), (
                    source.name,
                    sentence.text,
                )
                assert not re.match(r"\s*(mm|cm|%|°|degrees?|seconds?|Sekunden)\b", after), (
                    source.name,
                    sentence.text,
                )
                mentions += 1
    assert mentions > 1000


def test_terms_in_running_text_agree_with_the_patents_own_reference_sign_list(real_patents):
    sentences, _, _ = real_patents["US12448254-20251021"]
    listing = next(s for s in sentences if re.match(r"1 \w+ \w+ \w+ 2 ", s.text))
    listed = {m.sign: m.term for m in find_sign_mentions(listing.text)}
    running = build_mention_index([s for s in sentences if s.index != listing.index]).terms
    agreeing = [sign for sign, term in listed.items() if running.get(sign) == term]
    assert len(listed) >= 10
    assert len(agreeing) >= 0.8 * len(listed), {s: (listed[s], running.get(s)) for s in listed}


def test_german_terms_are_nouns_of_the_sentence(shared_data: Path):
    from patimg.documents import parse_publication

    checked = nouns = 0
    for name in ("grant-v1-5-B2.xml", "grant-v1-5-1-B2.xml", "application-v1-2-A2.xml"):
        document = parse_publication(shared_data / "xml" / "epo" / name)
        assert document.patent.language == "de"
        for sentence in document.sentences:
            for mention in find_sign_mentions(sentence.text, language="de"):
                if not mention.term:
                    continue
                head = mention.term.split()[-1]
                checked += 1
                found = re.search(rf"\b{re.escape(head)}", sentence.text, flags=re.IGNORECASE)
                nouns += bool(found and found.group()[0].isupper())
    assert checked >= 50
    assert nouns == checked
