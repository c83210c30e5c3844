"""Split patent text into sentences without breaking at the abbreviations patents are full of.

A generic splitter breaks "FIG. 3 is a side view" after "FIG." and "U.S. Pat. No. 5,123,456" three times.
This one splits at ``.``, ``!`` or ``?`` (optionally followed by closing quotes or brackets) followed by
white space and an upper-case letter, digit or opening quote/bracket, unless the word before the period
is a known abbreviation (English and German), a single letter (initials, "z. B."), or the period belongs to
a number ("1.5 mm"). Text inside the sentences is kept as is apart from collapsing runs of white space.
"""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (compared lower-cased, without the period).
_ABBREVIATIONS = frozenset(
    """
    fig figs no nos nr nrn pat pats publ pub appl app ser serial approx ca e.g i.e cf vs viz al
    resp incl ref refs eq eqs equ para paras sect chap vol pp pg mr mrs ms dr prof
    inc ltd corp co jr sr ph wt abb abs bzw bsp bspw ggf evtl vgl sog z.b u.a d.h inkl
    bzgl gem gemäß insb insbes entspr zzgl mind ausf anm jan feb mar apr jun jul aug
    sep sept oct nov dec u.s e.u ibid
    """.split()
)

# Journal and citation abbreviations, matched case-sensitively so that "in the cell. The" still splits
# while "Proc. Natl. Acad. Sci. USA" and "J. Biol. Chem." do not.
_CITATION_ABBREVIATIONS = frozenset(
    """
    Proc Natl Acad Sci Chem Biol Med Res Rev Dis Clin Cell Mol Hum Transl Int Ed Exp Respir Biochem Biophys
    Pharmacol Immunol Appln Soc Am Phys Lett Engl Ann Acta Eur Jpn Opin Nucl Nat Genet Bioorg Lett Pharm
    Sci Technol Eng Mater Appl Org Anal Commun Microbiol Virol Neurosci Physiol Endocrinol Oncol Dev Struct
    Cancer Pat Appl Publ Kokai Abstr Vol Suppl Dept Univ Inst Lab Assoc Ther Surg Toxicol Environ Polym
    """.split()
)
# A sentence so far that is only an enumerator ("1.", "(a).", "iv.") is the number of what follows.
_ENUMERATOR = re.compile(r"^\(?(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]+$")

# Where a sentence may end: terminal punctuation, optional closing quotes/brackets, then white space.
_BOUNDARY = re.compile(r"[.!?][\"')\]\u201d\u2019]*\s+")
# What may start the next sentence: upper-case letter, digit, opening quote/bracket.
_NEXT_START = re.compile(r"[\"'(\[\u201c\u2018]?[A-ZÄÖÜ0-9]")
_WORD_BEFORE = re.compile(r"(\S+)$")
_SPACES = re.compile(r"\s+")


def _is_abbreviation(text_before: str) -> bool:
    """Whether the period ending ``text_before`` belongs to an abbreviation, not a sentence end."""
    match = _WORD_BEFORE.search(text_before)
    if not match:
        return False
    word = match.group(1).lstrip("(\"'[\u201c")
    bare = word.rstrip(".").lower()
    if not bare:
        return False
    if bare in _ABBREVIATIONS or word.rstrip(".") in _CITATION_ABBREVIATIONS:
        return True
    # Dotted abbreviations like "e.g", "i.e", "U.S", "z.B" (the last period is the one being tested).
    if "." in bare and all(len(part) <= 2 for part in bare.split(".") if part):
        return True
    # Single letters: initials ("J. Smith"), German "z. B.", "d. h.", claim items "a." inside a list.
    return len(bare) == 1 and bare.isalpha()


# "etc." and "usw." end sentences as often as not: end one there only when a capital letter follows.
_END_WHEN_CAPITAL_FOLLOWS = frozenset({"etc", "usw"})


def _last_word(text_before: str) -> str:
    match = _WORD_BEFORE.search(text_before)
    return match.group(1).lower() if match else ""


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences.

    Args:
        text: A paragraph (or several) of patent description text.

    Returns:
        Sentences in order, stripped, white space collapsed; empty list for blank text.

    Example:
        >>> split_sentences("FIG. 3 shows the hub 14, e.g. in steel. The blade is 1.5 mm thick.")
        ['FIG. 3 shows the hub 14, e.g. in steel.', 'The blade is 1.5 mm thick.']
    """
    text = _SPACES.sub(" ", text or "").strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text) or not _NEXT_START.match(text, end):
            continue
        punct_at = match.start()
        if text[punct_at] == "." and _is_abbreviation(text[start : punct_at + 1]):
            continue
        if _ENUMERATOR.match(text[start : punct_at + 1].strip()):
            continue
        if _last_word(text[start:punct_at]) in _END_WHEN_CAPITAL_FOLLOWS and not text[end].isupper():
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
