"""Finding the reference signs a sentence uses, and the term each names (see :mod:`patimg.linking`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from patimg.errors import BadInputError
from patimg.linking.vocabulary import (
    CHEMISTRY_PREFIXES,
    CHUNK,
    DE_HINTS,
    DE_STOP,
    EN_STOP,
    LETTER_FOLLOWERS,
    LETTER_MODIFIED,
    LETTER_SIGN,
    LIST_LINKS,
    LY_NOUNS,
    MARKER_LINKS,
    MARKERS,
    NOT_LETTER_SIGNS,
    NOT_TERMS,
    NUMBER_SIGN,
    PREFIX_SIGN,
    PRIMES,
    RANGE_LINKS,
    SINGULAR_KEEP,
    THOUSANDS,
    UNITS,
    VALUE_MARKS,
)
from patimg.types import SignMention


def _singular(word: str) -> str:
    """English plural to singular for the last word of a term ("hubs" -> "hub", "axes" -> "axis")."""
    if word in SINGULAR_KEEP or len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word == "axes":
        return "axis"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    return word[:-1]


def _is_german(chunks: Sequence[str]) -> bool:
    words = [c.lower() for c in chunks]
    german = sum(w in DE_HINTS for w in words)
    english = sum(w in {"the", "and", "of", "is", "a", "to", "with", "are", "which", "an"} for w in words)
    return german > english


@dataclass
class _Chunk:
    text: str
    start: int
    end: int
    signs: list[str] = field(default_factory=list)  # the signs it names once accepted
    kind: str = ""  # "number", "prefix", "letter", or "" (not sign-shaped)


def _sign_kind(text: str) -> str:
    if NUMBER_SIGN.fullmatch(text):
        return "" if text.endswith("x") else "number"  # "diluted 30x": a factor
    if PREFIX_SIGN.fullmatch(text) and text not in NOT_LETTER_SIGNS:
        return "prefix"
    if LETTER_SIGN.fullmatch(text) and text not in NOT_LETTER_SIGNS:
        return "letter"
    return ""


def _expand_range(low: str, high: str) -> list[str] | None:
    """Signs named by a lettered range ("14-14c", "8A-8C", "Ta to Ti", "A-C", "S21-S26"), else None."""
    if low == high:
        return [low]
    number_low, number_high = NUMBER_SIGN.fullmatch(low), NUMBER_SIGN.fullmatch(high)
    if number_low and number_high and number_low[1] == number_high[1] and number_high[2]:
        last = number_high[2]
        first = number_low[2] or ("a" if last.islower() else "A")
        if first.islower() != last.islower() or not 0 <= ord(last) - ord(first) <= 25:
            return None
        letters = [chr(c) for c in range(ord(first), ord(last) + 1)]
        return ([low] if not number_low[2] else []) + [number_low[1] + letter for letter in letters]
    prefix_low, prefix_high = PREFIX_SIGN.fullmatch(low), PREFIX_SIGN.fullmatch(high)
    if (
        prefix_low
        and prefix_high
        and prefix_low[1] == prefix_high[1]
        and not prefix_low[3]
        and not prefix_high[3]
    ):
        first, last = int(prefix_low[2]), int(prefix_high[2])
        if 0 < last - first <= 30:
            return [f"{prefix_low[1]}{n}" for n in range(first, last + 1)]
        return None
    if LETTER_SIGN.fullmatch(low) and LETTER_SIGN.fullmatch(high) and len(low) == len(high):
        if (
            low[:-1] == high[:-1]
            and 0 < ord(high[-1]) - ord(low[-1]) <= 25
            and low[-1].isupper() == high[-1].isupper()
        ):
            return [low[:-1] + chr(c) for c in range(ord(low[-1]), ord(high[-1]) + 1)]
    return None


def _split_glued(text: str, *, german: bool = False) -> tuple[list[str], str] | None:
    """Signs of a glued chunk ("8C,9C", "A,B,C", "14-14c") with how they are joined, else None.

    In German text "0,5" is a decimal number, never a list of signs.
    """
    if german and re.fullmatch(r"\d+,\d+", text):
        return None
    if "," in text and not THOUSANDS.fullmatch(text) and "-" not in text:
        parts = text.split(",")
        kinds = {_sign_kind(p) for p in parts}
        if len(kinds) == 1 and "" not in kinds and not all(p.isdigit() and len(p) == 3 for p in parts[1:]):
            return parts, "list"
        return None
    for dash in ("-", "–"):
        if text.count(dash) == 1 and "," not in text and "/" not in text:
            low, high = text.split(dash)
            if _sign_kind(low) and _sign_kind(high) and not (low.isdigit() and high.isdigit()):
                expanded = _expand_range(low, high)
                if expanded:
                    return expanded, "range"
    return None


_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _word(text: str) -> str:
    """The word a chunk holds, without a possessive ending, or "" when it is no plain word."""
    if text.endswith(("'s", "'")):
        text = text[: -2 if text.endswith("'s") else -1]
    return text if _PLAIN_WORD.fullmatch(text) else ""


def _is_noun(text: str, *, german: bool, letter_sign: bool = False) -> bool:
    """Whether a word can end the noun phrase a reference sign follows ("hub", "Nabe", "assembly").

    "Table 1" counts a table but "table T" names one, so tables may precede lettered signs only.
    """
    word = _word(text)
    lower = word.lower()
    if letter_sign and lower in {"table", "tables", "tabelle"}:
        return True
    if len(word) < 2 or lower in NOT_TERMS or lower in MARKERS or lower in UNITS:
        return False
    if german:
        return word[0].isupper() and lower not in DE_STOP
    return lower not in EN_STOP and (not lower.endswith("ly") or lower in LY_NOUNS)


def _term(chunks: Sequence[_Chunk], last: int, *, german: bool) -> str:
    """The noun phrase ending at chunk ``last``: up to four words, no article, last word singular."""
    words: list[str] = []
    stop = DE_STOP if german else EN_STOP
    position = last
    while position >= 0 and len(words) < 4:
        word = _word(chunks[position].text)
        lower = word.lower()
        if not word or lower in stop or (lower in NOT_TERMS and position != last):
            break
        if words and not german and word.isupper() and len(word) == 1:
            break
        words.insert(0, lower)
        position -= 1
    if words and not german:
        words[-1] = _singular(words[-1])
    return " ".join(words)


def _skip_back(chunks: Sequence[_Chunk], position: int) -> int:
    """Index of the chunk before ``position`` ignoring "(" and word-only parentheticals ("unit (gripping unit) 7")."""
    j = position - 1
    while j >= 0:
        if chunks[j].text == "(":
            j -= 1
            continue
        if chunks[j].text == ")":
            opening = next((k for k in range(j - 1, max(-1, j - 10), -1) if chunks[k].text == "("), None)
            inside = chunks[opening + 1 : j] if opening is not None else []
            if inside and not any(c.kind or any(ch.isdigit() for ch in c.text) for c in inside):
                j = opening - 1
                continue
        return j
    return j


def _sign_list(chunks: list[_Chunk], *, german: bool) -> list[SignMention] | None:
    """Mentions of a list of reference signs ("1 Overhead transport vehicle 2 Frame unit"), else None."""
    if len(chunks) < 2 or chunks[0].kind not in {"number", "prefix"} or not _word(chunks[1].text):
        return None
    stop = DE_STOP if german else EN_STOP
    mentions: list[SignMention] = []
    position = 0
    while position < len(chunks):
        sign = chunks[position]
        words: list[str] = []
        position += 1
        depth = 0
        while position < len(chunks):
            text = chunks[position].text
            if depth == 0 and _sign_kind(text) and words:
                break
            if text == "(":
                depth += 1
            elif text == ")":
                depth = max(0, depth - 1)
            elif depth == 0:
                word = _word(text)
                if not word or word.lower() in stop or word.lower() in UNITS or not _sign_kind(sign.text):
                    return None
                words.append(word.lower())
            position += 1
        if not 1 <= len(words) <= 6:
            return None
        term_words = words[:4]
        if not german:
            term_words[-1] = _singular(term_words[-1])
        mentions.append(SignMention(sign.text, " ".join(term_words), sign.start, sign.end))
    return mentions


def is_german_text(text: str) -> bool:
    """Whether a text reads as German rather than English (by its commonest function words)."""
    return _is_german([c.text for c in _chunks(text)])


def _could_be_sign(text: str) -> bool:
    """Cheap pre-test: signs start with a digit or a capital, or are one letter ("x")."""
    return text[0].isdigit() or text[0].isupper() or len(text) == 1


def _chunks(sentence: str) -> list[_Chunk]:
    chunks = []
    for match in CHUNK.finditer(sentence):
        text = match.group()
        if "’" in text or "′" in text:
            text = text.translate(PRIMES)
        kind = _sign_kind(text) if _could_be_sign(text) else ""
        chunks.append(_Chunk(text, match.start(), match.end(), kind=kind))
    return chunks


def _part_spans(chunk: _Chunk, parts: list[str], how: str) -> list[tuple[int, int]]:
    """Character spans of the signs of a glued chunk; signs inside a range span the whole chunk."""
    if how == "list":
        spans, offset = [], chunk.start
        for part in parts:
            spans.append((offset, offset + len(part)))
            offset += len(part) + 1
        return spans
    low, high = re.split(r"[-–]", chunk.text)
    return [
        (chunk.start, chunk.start + len(low))
        if i == 0 and part == low
        else (chunk.end - len(high), chunk.end)
        if i == len(parts) - 1
        else (chunk.start, chunk.end)
        for i, part in enumerate(parts)
    ]


def _next_is_digit(chunks: Sequence[_Chunk], i: int) -> bool:
    return i + 1 < len(chunks) and chunks[i + 1].start == chunks[i].end and chunks[i + 1].text[0].isdigit()


def _is_tuple(chunks: Sequence[_Chunk], i: int) -> bool:
    """Whether chunk ``i`` sits in a coordinate tuple like "(0, 0)p" or "(1, 1)" (not a list of signs)."""
    opening = next((k for k in range(i - 1, max(-1, i - 8), -1) if chunks[k].text in "()"), None)
    closing = next((k for k in range(i + 1, min(len(chunks), i + 8)) if chunks[k].text in "()"), None)
    if opening is None or closing is None or chunks[opening].text != "(" or chunks[closing].text != ")":
        return False
    inside = [c.text for c in chunks[opening + 1 : closing] if c.text != ","]
    glued_after = closing + 1 < len(chunks) and chunks[closing + 1].start == chunks[closing].end
    glued_after = glued_after and chunks[closing + 1].text[0].isalpha()
    return glued_after or (len(inside) > 1 and len(set(inside)) < len(inside))


def _judge(
    chunks: list[_Chunk], i: int, signs: list[str], how: str, accepted: dict[int, str], *, german: bool
) -> tuple[list[str], str, str] | None:
    """``(signs, how, term)`` when chunk ``i`` is used as a reference sign, else None."""
    chunk = chunks[i]
    kind = chunk.kind or _sign_kind(signs[-1])
    following = chunks[i + 1] if i + 1 < len(chunks) else None
    if following is not None and (
        following.text.lower() in UNITS
        or (chunk.text.isdigit() and following.text.isdigit())  # spaced number: "DE 10 2009 041 527"
        or (
            signs[-1] in {"a", "i", "s"}
            and _word(following.text)
            and following.text.lower() not in LETTER_FOLLOWERS
        )
        or (following.start == chunk.end and following.text in {"(", "=", "×"})
        or (kind == "letter" and signs[-1].isupper() and following.text.lower() in LETTER_MODIFIED)
        or (following.start == chunk.end and following.text == ":" and _next_is_digit(chunks, i + 1))
    ):
        return None
    if signs == ["0"] or (i > 0 and chunks[i - 1].text in VALUE_MARKS) or _is_tuple(chunks, i):
        return None
    j = _skip_back(chunks, i)
    before = chunks[j] if j >= 0 else None
    link = before.text.lower() if before is not None else ""
    head = j - 1
    if link in {"and", "or", "und", "oder"} and head >= 0 and chunks[head].text == ",":
        head -= 1  # Oxford comma: "rollers 24, 26, 28, and 30"
    if link in LIST_LINKS | RANGE_LINKS and head in accepted:
        head_kind = chunks[head].kind or _sign_kind(chunks[head].signs[-1])
        if link in RANGE_LINKS:
            expanded = _expand_range(chunks[head].signs[-1], signs[0]) if how == "single" else None
            return (expanded[1:], "range-tail", accepted[head]) if expanded else None
        if head_kind == kind or {head_kind, kind} <= {"number", "prefix"}:
            return signs, how, accepted[head]
        return None
    if before is not None and (
        link in MARKERS or (link in MARKER_LINKS and j > 0 and chunks[j - 1].text.lower() in MARKERS)
    ):
        return signs, how, ""
    if before is not None and _is_noun(before.text, german=german, letter_sign=kind == "letter"):
        if kind == "letter" and (chunks[i - 1].text == "(" or (not german and link.endswith(("ing", "ed")))):
            return None
        return signs, how, _term(chunks, j, german=german)
    # Flowchart steps and lettered positions ("D1 and D4 have ...") are signs wherever they stand.
    prefix = PREFIX_SIGN.fullmatch(signs[0])
    if kind == "prefix" and prefix and len(prefix[1]) == 1 and prefix[1] not in CHEMISTRY_PREFIXES:
        if before is None or link in LIST_LINKS or link in {"(", "at", "to", "in", "from", "after", "before"}:
            return signs, how, ""
    return None


def find_sign_mentions(sentence: str, *, language: str | None = None) -> list[SignMention]:
    """Every reference sign a sentence uses, with the term (noun phrase) it names.

    Args:
        sentence: One sentence (or paragraph) of a publication's text.
        language: ``"en"`` or ``"de"``; guessed from the sentence's function words when ``None``.

    Returns:
        Mentions in text order; a sign written twice gives two mentions. Signs continuing a list or a
        range take the term of the first sign ("elements 12, 14 and 16" -> term "element" for all).
    """
    if not isinstance(sentence, str):
        raise BadInputError("sentence", f"expected text, got {type(sentence).__name__}")
    chunks = _chunks(sentence)
    german = language == "de" if language else _is_german([c.text for c in chunks])
    listed = _sign_list(chunks, german=german)
    if listed is not None:
        return listed
    mentions: list[SignMention] = []
    accepted: dict[int, str] = {}  # chunk index -> term, for lists and ranges that continue it
    for i, chunk in enumerate(chunks):
        glued = (
            None if chunk.kind or not _could_be_sign(chunk.text) else _split_glued(chunk.text, german=german)
        )
        if not chunk.kind and glued is None:
            continue
        signs, how = glued if glued else ([chunk.text], "single")
        judged = _judge(chunks, i, signs, how, accepted, german=german)
        if judged is None:
            continue
        signs, how, term = judged
        chunk.signs = signs
        accepted[i] = term
        if how == "range-tail":
            first = chunks[_skip_back(chunks, i) - 1]
            spans = [(first.start, chunk.end)] * (len(signs) - 1) + [(chunk.start, chunk.end)]
        elif how == "single":
            spans = [(chunk.start, chunk.end)]
        else:
            spans = _part_spans(chunk, signs, how)
        mentions.extend(SignMention(sign, term, a, b) for sign, (a, b) in zip(signs, spans, strict=True))
    return mentions
