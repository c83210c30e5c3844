"""Helpers shared by the USPTO and EPO readers: element text, classes, ids, sentences, figure captions."""

from __future__ import annotations

import re
from collections.abc import Iterable

from patimg.documents.sentences import split_sentences
from patimg.figure_numbers import normalise_figure_number
from patimg.types import Sentence

# Elements whose text is not running prose (paragraph numbers, tables, formulas, images).
SKIP_TEXT_TAGS = frozenset(
    {
        "number",
        "tables",
        "table",
        "maths",
        "math",
        "chemistry",
        "chem",
        "img",
        "image",
        "figure",
        "EMI",
        "CHEM",
        "MATH",
        "TABLE",
        "CWU",
    }
)
_SPACES = re.compile(r"\s+")


def local_name(element) -> str:
    """Tag without namespace; ``""`` for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def element_text(element, *, skip: frozenset[str] = SKIP_TEXT_TAGS) -> str:
    """Text of an element and its descendants (tails included), white space collapsed.

    Skips the subtrees named in ``skip`` (tables, formulas, paragraph numbers) and never reads
    comments or processing instructions.
    """
    if element is None:
        return ""
    parts: list[str] = []

    def walk(node) -> None:
        if isinstance(node.tag, str) and local_name(node) not in skip:
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
                if child.tail:
                    parts.append(child.tail)
        # Skipped elements, comments and PIs contribute nothing themselves; their tails are added by the parent.

    walk(element)
    return _SPACES.sub(" ", "".join(parts)).strip()


def raw_text(element) -> str:
    """All text under an element, white space kept (fixed-width fields like ``"A47L  514"``)."""
    if element is None:
        return ""
    return "".join(t for t in element.itertext() if isinstance(t, str))


def first_text(root, paths: Iterable[str]) -> str:
    """Text of the first element found under ``root`` by any of ``paths`` (ElementPath), else ``""``."""
    for path in paths:
        found = root.find(path)
        if found is not None:
            text = element_text(found)
            if text:
                return text
    return ""


def iso_date(value: str) -> str:
    """``"20251021"`` -> ``"2025-10-21"``; anything else -> ``""``."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 8:
        return ""
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def patent_id(office: str, number: str, kind: str) -> str:
    """Canonical, file-name safe id: office + number without leading zeros + kind.

    The number keeps a design/plant prefix letter (``"D0907293"`` -> ``"D907293"``) and loses the zeros
    that pad it to a fixed width, so ``USD0907293 S1`` and ``USD907293 S1`` give the same id
    ``"USD907293S1"``; ``US 06530116 B2`` gives ``"US6530116B2"``.
    """
    number = re.sub(r"[^A-Za-z0-9]", "", number or "").upper()
    match = re.match(r"^([A-Z]*)0*(\d.*)$", number)
    if match:
        number = match.group(1) + match.group(2)
    safe_kind = re.sub(r"[^A-Za-z0-9]", "", kind or "").upper()
    return f"{(office or '').upper()}{number}{safe_kind}"


_IPC_SLASHED = re.compile(r"([A-H])\s*(\d{2})\s*([A-Z])\s*0*(\d{1,4})\s*/\s*(\d{1,6})")
_IPC_FIXED = re.compile(r"^([A-H]\d{2}[A-Z])(.{3})(\d{2,6})$")


def normalise_class(raw: str) -> str:
    """Normalise an IPC/CPC symbol to ``"B64C 11/00"``; ``""`` when ``raw`` is not one.

    Handles ``"D21C011/12"`` (USPTO 2001), ``"A47L  514"`` (USPTO v2.5 fixed width: subclass, 3-char
    group, subgroup), ``" 7C 07C  29/44   A"`` (EPO B511 with edition) and ``"H04N   1/40  2006..."``.
    """
    raw = (raw or "").strip()
    match = _IPC_SLASHED.search(raw)
    if match:
        return f"{match.group(1)}{match.group(2)}{match.group(3)} {int(match.group(4))}/{match.group(5)}"
    match = _IPC_FIXED.match(raw)
    if match and match.group(2).strip().isdigit():
        return f"{match.group(1)} {int(match.group(2).strip())}/{match.group(3)}"
    return ""


def class_from_parts(section: str, klass: str, subclass: str, group: str, subgroup: str) -> str:
    """``("B", "64", "C", "11", "00")`` -> ``"B64C 11/00"``."""
    parts = [(p or "").strip() for p in (section, klass, subclass, group, subgroup)]
    if not all(parts):
        return ""
    return normalise_class(f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4]}")


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, first occurrence order."""
    return tuple(dict.fromkeys(v for v in values if v))


# ---- figure references -------------------------------------------------------------------------

_FIG_WORD = r"(?:FIGS?\.?|Figs?\.?|FIGURES?|Figures?|Abb\.|Abbn\.|Abbildungen|Abbildung|Figuren|Figur)"
_FIG_NUM = r"\d{1,3}[A-Za-z]?(?:['\u2032]|\([a-zA-Z0-9]\))?"
_FIG_JOIN = r"(?:\s*,\s*(?:and\s+|und\s+|or\s+|oder\s+)?|\s+(?:and|und|or|oder|to|through|bis|thru)\s+|\s*[-\u2013\u2014&]\s*)"
_FIG_LEAD = re.compile(
    rf"^\s*(?:In\s+|In\s+der\s+|In\s+den\s+|Die\s+|Der\s+)?{_FIG_WORD}\s*({_FIG_NUM}(?:{_FIG_JOIN}(?:{_FIG_WORD}\s*)?{_FIG_NUM})*)"
)
_NUM_SPLIT = re.compile(rf"({_FIG_NUM})|(\b(?:to|through|bis|thru)\b|[-\u2013\u2014])")


def leading_figure_numbers(sentence: str) -> list[str]:
    """Figure numbers a caption-like sentence starts with.

    ``"FIG. 3 is ..."`` -> ``["3"]``; ``"FIGS. 3 and 4 are ..."`` -> ``["3", "4"]``;
    ``"FIGS. 5 to 7 show ..."`` -> ``["5", "6", "7"]``; ``"FIGS. 1A-1C ..."`` -> ``["1A", "1B", "1C"]``;
    German ``"Fig. 1 eine ..."`` -> ``["1"]``. Sentences that do not start with a figure reference -> ``[]``.
    """
    match = _FIG_LEAD.match(sentence)
    if not match:
        return []
    numbers: list[str] = []
    pending_range = False
    for token in _NUM_SPLIT.finditer(match.group(1)):
        if token.group(1):
            number = normalise_figure_number(token.group(1))
            if pending_range and numbers:
                numbers.extend(_expand_range(numbers[-1], number))
            numbers.append(number)
            pending_range = False
        else:
            pending_range = True
    return list(dict.fromkeys(numbers))


def _expand_range(first: str, last: str) -> list[str]:
    """Numbers strictly between ``first`` and ``last`` ("3".."6" -> 4, 5; "1A".."1D" -> 1B, 1C)."""
    a = re.match(r"^(\d+)([A-Z]?)$", first)
    b = re.match(r"^(\d+)([A-Z]?)$", last)
    if not a or not b:
        return []
    if not a.group(2) and not b.group(2):
        low, high = int(a.group(1)), int(b.group(1))
        return [str(n) for n in range(low + 1, high)] if 0 < high - low <= 50 else []
    if a.group(1) == b.group(1) and a.group(2) and b.group(2):
        low, high = ord(a.group(2)), ord(b.group(2))
        return [a.group(1) + chr(c) for c in range(low + 1, high)] if 0 < high - low <= 26 else []
    return []


# ---- sentences -----------------------------------------------------------------------------------

_DRAWINGS_HEADING = re.compile(
    r"(BRIEF\s+)?DESCRIPTION\s+OF\s+(THE\s+)?(DRAWINGS?|FIGURES?)|BRIEF\s+EXPLANATION\s+OF|"
    r"KURZE\s+BESCHREIBUNG\s+DER\s+(ZEICHNUNGEN?|FIGUREN)|FIGURENBESCHREIBUNG|"
    r"BESCHREIBUNG\s+DER\s+(ZEICHNUNGEN?|FIGUREN)|DESCRIPTION\s+OF\s+THE\s+VIEWS",
    re.I,
)
_DETAILED_HEADING = re.compile(r"DETAILED|EMBODIMENT|AUSF(Ü|UE)HRUNG|BEST\s+MODE", re.I)
_FIG_ENTRY_BREAK = re.compile(r";\s*(?:and,?\s+|und\s+)?(?=" + _FIG_WORD + r"\s*\d)")


def is_drawings_heading(heading: str) -> bool:
    """Whether a heading opens the brief description of the drawings."""
    return bool(_DRAWINGS_HEADING.search(heading)) and not _DETAILED_HEADING.search(heading)


_SOLE_FIGURE = re.compile(
    r"^(The\s+)?(sole\s+|single\s+)?(FIGURE|Figure|FIG\.?)\s+(is|shows|illustrates|depicts)\b"
)
_HAGUE_VIEW = re.compile(r"^(\d{1,3}\.\d{1,3})\s*(:\s*\S|(is|are|shows)\b)")


class SentenceCollector:
    """Accumulates paragraphs into numbered sentences and collects figure captions."""

    def __init__(self, patent_id: str) -> None:
        self.patent_id = patent_id
        self.sentences: list[Sentence] = []
        self.figure_descriptions: dict[str, str] = {}
        self._drawings_ended = False

    def add_paragraph(self, text: str, section: str) -> None:
        """Split a paragraph into sentences; in the drawings section also one entry per "FIG. n ...;"."""
        if not text:
            return
        if section != "drawings":
            self._drawings_ended = False
        elif self._drawings_ended:
            section = "description"
        pieces = _FIG_ENTRY_BREAK.split(text) if section == "drawings" else [text]
        split = [sentence for piece in pieces for sentence in split_sentences(piece)]
        if section == "drawings" and len(split) >= 3:
            captions = sum(1 for sentence in split if leading_figure_numbers(sentence))
            if 2 * captions < len(split):
                # A prose paragraph: the brief description of the drawings ended without a heading
                # (EPO documents often go straight on to the detailed description).
                self._drawings_ended = True
                section = "description"
        for sentence in split:
            self.sentences.append(Sentence(self.patent_id, len(self.sentences), sentence, section))
            if section == "drawings":
                self._caption(sentence)

    def _caption(self, sentence: str) -> None:
        numbers = leading_figure_numbers(sentence)
        if not numbers and _SOLE_FIGURE.match(sentence):
            numbers = ["1"]  # a design with one view: "The FIGURE is a front view ..."
        hague = _HAGUE_VIEW.match(sentence)
        if not numbers and hague:
            numbers = [hague.group(1)]  # Hague design registrations: "1.1 : Perspective"
        for number in numbers:
            self.figure_descriptions.setdefault(number, sentence)

    def captions_from_description(self) -> None:
        """Fallback when no drawings section was found: use description sentences that open with
        "FIG. n is/are/shows ..." (design patents, EP documents without headings)."""
        if self.figure_descriptions:
            return
        pattern = re.compile(
            r"^\S+\s*[\dA-Za-z',\s\-]*?\b(is|are|shows?|illustrates?|depicts?|zeigt|zeigen|eine|einen|ein|die|den)\b"
        )
        for sentence in self.sentences:
            if (
                sentence.section == "description"
                and leading_figure_numbers(sentence.text)
                and pattern.match(sentence.text)
            ):
                self._caption(sentence.text)
