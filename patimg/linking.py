"""Linking: reference signs read on a figure to the description sentences that use them.

A number in a patent's text is a *reference sign* only in a few shapes: right after the noun it names
("the hub 14", "die Nabe 14", "the elevator car (1)"), after a marker ("reference numeral 14",
"designated by 14"), continuing a list of signs ("elements 12, 14 and 16", "sections 8C,9C",
"brackets 15;16") or a range of lettered signs ("beams 14-14c", "tables Ta to Ti", "modules A-C",
which name every sign between). Everything else that looks like a number is rejected by its context:
what precedes it ("FIG. 14", "claims 1 to 14", "U.S. Pat. No. 5,123,456", "about 14", "in 2019",
"has 14 blades"), what follows it ("14 mm", "14%", "450° C") or its own form ("1.5", "14/123",
"COVID-19", "H2O2", "2 328 340"). The rule is lexical, not statistical, so it needs no model and
explains itself; its limits are written in the tests.

A list of reference signs ("1 Overhead transport vehicle 2 Frame unit ...", or one "14 Nabe" per
paragraph) is read the other way round: sign first, then its term.

Matching a sign read on a figure against the signs of the text (see :func:`link_numerals_to_sentences`):

1. the sign exactly as written in the text ("8A" matches "8A", not "8a");
2. else ignoring case ("8a" read by OCR matches the text's "8A"), then ignoring primes ("12'" read
   where the text only has "12");
3. else, for a plain number, its lettered variants ("12" drawn for the text's "12a" and "12b");
4. and always, for a step sign ``S<n>``, the sentences writing "step <n>" (flowchart steps).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from patimg.errors import BadInputError
from patimg.types import Sentence, SignLink, SignMention

__all__ = [
    "MentionIndex",
    "build_mention_index",
    "find_sign_mentions",
    "link_numerals_to_sentences",
    "sign_terms",
]

# A chunk is a run of word characters, possibly joined by . , - / (so "1.5", "5,123,456", "8C,9C",
# "14-14c", "COVID-19" and "14/123" each come as one chunk and are judged whole); any other
# non-space character is a chunk of its own.
_WORDCHARS = r"[^\W_]"
_CHUNK = re.compile(rf"(?:{_WORDCHARS}|['’′])+(?:[.,\-–/](?:{_WORDCHARS}|['’′])+)*|\S")
_NUMBER_SIGN = re.compile(r"(\d{1,4})([A-Za-z]?)('{0,3})")
_PREFIX_SIGN = re.compile(r"([A-Z]{1,2})(\d{1,3})([a-z]?)('{0,2})")
_LETTER_SIGN = re.compile(r"[A-Z]{1,2}|[A-Z][a-z]|[a-z]")
_PRIMES = str.maketrans({"’": "'", "′": "'"})
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")

_EN_STOP = set(
    """
a an the said this that these those each every all any some no not its their his her our your such
same other another either neither both one two three four five six seven eight nine ten eleven twelve
twenty thirty forty fifty hundred thousand zero several many few more most less least much
of in on at to by for from with without within into onto upon over under above below between among
through via per about around approximately approx ca nearly almost than then as like unlike until up down
out off near along across against behind beyond during after before since while when where which who whom
whose what how why whether if and or nor but so yet also only just even still again further e.g i.e etc
is are was were be been being am has have had having do does did done can could may might must shall
should will would comprise comprises comprising comprised include includes including included contain
contains containing contained equal equals equaling exceed exceeds exceeding reach reaches reached take
takes took taken give gives giving given use uses used using show shows shown showing see seen
it they them there here thereof therein thereby wherein whereby herein al circa greater larger smaller
higher lower longer shorter wider narrower thicker thinner bigger
""".split()
)
_DE_STOP = set(
    """
der die das des dem den ein eine einer eines einem einen kein keine und oder sowie aber mit ohne von
vom zu zum zur im in an am auf aus bei beim für über unter durch gemäß nach vor hinter neben zwischen
um bis ca etwa circa ist sind war wird werden wurde kann können soll sollen weist hat haben dieser diese
dieses jeder jede jedes welche welcher welches sich als wie auch nicht nur je pro
""".split()
)
# Words after which a number is a counter, a citation or a date, never a reference sign.
_NOT_TERMS = set(
    """
fig figs figure figures drawing drawings claim claims table tables example examples formula formulae
formulas equation equations expression embodiment embodiments compound compounds method methods process
condition conditions item items case cases aspect page pages paragraph paragraphs col column columns
no nos number numbers ser serial pat patent patents publication application applications appl document
documents reference references literature version step? type types class grade generation series
sample samples run runs test tests experiment experiments day days week weeks month months year years
hour hours minute minutes second? jan feb mar apr may jun jul aug sep sept oct nov dec january february
march april june july august september october november december seq id sequence
abb abbildung abbildungen figur figuren anspruch ansprüche ansprüchen tabelle beispiel beispiele formel
nr seite spalte zeile absatz jahr ph
""".replace("?", "").split()
) - {"step", "second"}
# Words after which a number is a reference sign that names no term itself.
_MARKERS = set(
    """
numeral numerals sign signs character characters designated denoted indicated labeled labelled numbered
referenced identified bezugszeichen bezugsziffer bezugsziffern
""".split()
)
_MARKER_LINKS = {"by", "at", "as", "with", "generally", "mit", "durch"}
_LIST_LINKS = {",", ";", "/", "&", "and", "or", "und", "oder", "bzw"}
_RANGE_LINKS = {"-", "–", "to", "bis", "through"}
_UNITS = set(
    """
mm cm dm m km µm μm um nm pm in inch inches ft feet foot yd mil mils % ‰ ° °c °f °k deg degree degrees
rad g kg mg µg μg ng t lb lbs oz ml l µl μl dl cl s sec secs second seconds ms µs μs ns min mins minute
minutes h hr hrs hour hours d day days week weeks month months year years yr hz khz mhz ghz v mv kv
a ma µa μa w mw kw gw wh kwh mwh j kj mj cal kcal n kn mn nm pa kpa mpa gpa bar mbar psi atm torr rpm
dpi ppi ppm ppb wt vol mol mmol µmol μmol m2 m3 mm2 mm3 cm2 cm3 db dba lm lx cd ω ohm ohms kω mω bit
bits byte bytes kb mb gb tb px pixel pixels times fold x k mesh gauge awg sekunde sekunden minute
minuten stunde stunden tage watt volt ampere grad prozent liter gramm mls kgs liters litres pass passes
cycle cycles × ″ " ''
""".split()
)
_NOT_LETTER_SIGNS = set(
    """
NO YES OK ON OFF OR AND IF IS IT IN AT TO OF BY AN AS BE DO GO ID IC PC AC DC TV UV IR RF OS UI IP CD
PH US EP WO JP DE GB FR CN KR EU In At On As An It Is If To By Or No So Do Be We He Up Us My Of Mr Dr
St Co Nr II IV VI IX XI XX CO2 NO2 SO2 SO3 NH3 CH4 H2 O2 N2 O3
""".split()
)
_LY_NOUNS = {
    "assembly",
    "subassembly",
    "supply",
    "family",
    "trolley",
    "pulley",
    "valley",
    "alley",
    "belly",
    "dolly",
    "anomaly",
    "monopoly",
    "gully",
    "volley",
    "rally",
    "ply",
    "reply",
    "jelly",
    "fly",
}
_SINGULAR_KEEP = {
    "axis",
    "gas",
    "lens",
    "chassis",
    "series",
    "species",
    "apparatus",
    "means",
    "status",
    "bus",
    "plus",
    "bellows",
    "glass",
    "mass",
    "pass",
    "boss",
    "press",
    "process",
    "access",
    "class",
    "cross",
    "radius",
    "nucleus",
    "stimulus",
    "analysis",
    "basis",
    "thesis",
}


def _singular(word: str) -> str:
    """English plural to singular for the last word of a term ("hubs" -> "hub", "axes" -> "axis")."""
    if (
        word in _SINGULAR_KEEP
        or len(word) <= 3
        or not word.endswith("s")
        or word.endswith(("ss", "us", "is"))
    ):
        return word
    if word == "axes":
        return "axis"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    return word[:-1]


_DE_HINTS = set(
    """
der die das und ist mit von den dem des ein eine einer eines einem wird werden sind zeigt dieses diese
aus für auf sich nicht oder bei zur zum im wobei durch über
""".split()
)


def _is_german(chunks: Sequence[str]) -> bool:
    words = [c.lower() for c in chunks]
    german = sum(w in _DE_HINTS for w in words)
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
    if _NUMBER_SIGN.fullmatch(text):
        return "number"
    if _PREFIX_SIGN.fullmatch(text) and text not in _NOT_LETTER_SIGNS:
        return "prefix"
    if _LETTER_SIGN.fullmatch(text) and text not in _NOT_LETTER_SIGNS:
        return "letter"
    return ""


def _expand_range(low: str, high: str) -> list[str] | None:
    """Signs named by a lettered range ("14-14c", "8A-8C", "Ta to Ti", "A-C", "S21-S26"), else None."""
    if low == high:
        return [low]
    number_low, number_high = _NUMBER_SIGN.fullmatch(low), _NUMBER_SIGN.fullmatch(high)
    if number_low and number_high and number_low[1] == number_high[1] and number_high[2]:
        last = number_high[2]
        first = number_low[2] or ("a" if last.islower() else "A")
        if first.islower() != last.islower() or not 0 <= ord(last) - ord(first) <= 25:
            return None
        letters = [chr(c) for c in range(ord(first), ord(last) + 1)]
        return ([low] if not number_low[2] else []) + [number_low[1] + letter for letter in letters]
    prefix_low, prefix_high = _PREFIX_SIGN.fullmatch(low), _PREFIX_SIGN.fullmatch(high)
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
    if _LETTER_SIGN.fullmatch(low) and _LETTER_SIGN.fullmatch(high) and len(low) == len(high):
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
    if "," in text and not _THOUSANDS.fullmatch(text) and "-" not in text:
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


def _word(text: str) -> str:
    """The word a chunk holds, without a possessive ending, or "" when it is no plain word."""
    word = re.sub(r"'s?$", "", text)
    return word if re.fullmatch(r"[^\W\d_]+(?:-[^\W\d_]+)*", word) else ""


def _is_noun(text: str, *, german: bool, letter_sign: bool = False) -> bool:
    """Whether a word can end the noun phrase a reference sign follows ("hub", "Nabe", "assembly").

    "Table 1" counts a table but "table T" names one, so tables may precede lettered signs only.
    """
    word = _word(text)
    lower = word.lower()
    if letter_sign and lower in {"table", "tables", "tabelle"}:
        return True
    if len(word) < 2 or lower in _NOT_TERMS or lower in _MARKERS or lower in _UNITS:
        return False
    if german:
        return word[0].isupper() and lower not in _DE_STOP
    return lower not in _EN_STOP and (not lower.endswith("ly") or lower in _LY_NOUNS)


def _term(chunks: Sequence[_Chunk], last: int, *, german: bool) -> str:
    """The noun phrase ending at chunk ``last``: up to four words, no article, last word singular."""
    words: list[str] = []
    stop = _DE_STOP if german else _EN_STOP
    position = last
    while position >= 0 and len(words) < 4:
        word = _word(chunks[position].text)
        lower = word.lower()
        if not word or lower in stop or lower in _NOT_TERMS:
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
    stop = _DE_STOP if german else _EN_STOP
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
                if not word or word.lower() in stop or word.lower() in _UNITS or not _sign_kind(sign.text):
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


def _chunks(sentence: str) -> list[_Chunk]:
    chunks = []
    for match in _CHUNK.finditer(sentence):
        text = match.group().translate(_PRIMES)
        chunks.append(_Chunk(text, match.start(), match.end(), kind=_sign_kind(text)))
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


_VALUE_MARKS = {"+", "-", "−", "±", "~", "≈", "<", ">", "=", "≤", "≥", "×", "*", "#", "$", "€"}
_CHEMISTRY_PREFIXES = {"C", "H", "N", "O"}
# After "element a" these follow; after the article "a" a noun or adjective does.
_LETTER_FOLLOWERS = {"of", "and", "or", "to", "is", "are", "in", "on", "at", "with", "as", "has", "by", "for"}


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
        following.text.lower() in _UNITS
        or (chunk.text.isdigit() and re.fullmatch(r"\d{3}", following.text))
        or (
            signs[-1] in {"a", "i", "s"}
            and _word(following.text)
            and following.text.lower() not in _LETTER_FOLLOWERS
        )
        or (following.start == chunk.end and following.text in {"(", "=", "×"})
        or (following.start == chunk.end and following.text == ":" and _next_is_digit(chunks, i + 1))
    ):
        return None
    if signs == ["0"] or (i > 0 and chunks[i - 1].text in _VALUE_MARKS) or _is_tuple(chunks, i):
        return None
    j = _skip_back(chunks, i)
    before = chunks[j] if j >= 0 else None
    link = before.text.lower() if before is not None else ""
    head = j - 1
    if link in {"and", "or", "und", "oder"} and head >= 0 and chunks[head].text == ",":
        head -= 1  # Oxford comma: "rollers 24, 26, 28, and 30"
    if link in _LIST_LINKS | _RANGE_LINKS and head in accepted:
        head_kind = chunks[head].kind or _sign_kind(chunks[head].signs[-1])
        if link in _RANGE_LINKS:
            expanded = _expand_range(chunks[head].signs[-1], signs[0]) if how == "single" else None
            return (expanded[1:], "range-tail", accepted[head]) if expanded else None
        if head_kind == kind or {head_kind, kind} <= {"number", "prefix"}:
            return signs, how, accepted[head]
        return None
    if before is not None and (
        link in _MARKERS or (link in _MARKER_LINKS and j > 0 and chunks[j - 1].text.lower() in _MARKERS)
    ):
        return signs, how, ""
    if before is not None and _is_noun(before.text, german=german, letter_sign=kind == "letter"):
        if kind == "letter" and (chunks[i - 1].text == "(" or (not german and link.endswith(("ing", "ed")))):
            return None
        return signs, how, _term(chunks, j, german=german)
    # Flowchart steps and lettered positions ("D1 and D4 have ...") are signs wherever they stand.
    prefix = _PREFIX_SIGN.fullmatch(signs[0])
    if kind == "prefix" and prefix and len(prefix[1]) == 1 and prefix[1] not in _CHEMISTRY_PREFIXES:
        if (
            before is None
            or link in _LIST_LINKS
            or link in {"(", "at", "to", "in", "from", "after", "before"}
        ):
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
    chunks = _chunks(sentence)
    german = language == "de" if language else _is_german([c.text for c in chunks])
    listed = _sign_list(chunks, german=german)
    if listed is not None:
        return listed
    mentions: list[SignMention] = []
    accepted: dict[int, str] = {}  # chunk index -> term, for lists and ranges that continue it
    for i, chunk in enumerate(chunks):
        glued = None if chunk.kind else _split_glued(chunk.text, german=german)
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


@dataclass(frozen=True)
class MentionIndex:
    """Where each reference sign of one patent's text is used, built once and queried per figure.

    Attributes:
        sentence_indexes: Sign as written in the text -> indexes (``Sentence.index``) of the sentences
            using it, ascending.
        terms: Sign -> the term it names most often (``""`` when it never follows a noun).
        folded: Case- and prime-folded sign -> the text's spellings of it (``"8a"`` -> ``("8A",)``).
        step_sentences: Step number -> sentences writing "step <n>" (for flowchart signs ``S<n>``).
    """

    sentence_indexes: dict[str, tuple[int, ...]]
    terms: dict[str, str]
    folded: dict[str, tuple[str, ...]]
    step_sentences: dict[str, tuple[int, ...]]

    def __len__(self) -> int:
        return len(self.sentence_indexes)


def _fold(sign: str) -> str:
    return sign.translate(_PRIMES).replace("'", "").casefold()


def _guess_language(sentences: Sequence[Sentence]) -> str:
    sample = " ".join(s.text for s in sentences[:40])
    return "de" if _is_german([c.text for c in _chunks(sample)]) else "en"


def build_mention_index(sentences: Sequence[Sentence], *, language: str | None = None) -> MentionIndex:
    """Index the reference signs of one patent's sentences.

    Args:
        sentences: The patent's sentences (any sections).
        language: ``"en"`` or ``"de"``; guessed from the text when ``None``.

    Raises:
        BadInputError: An item is not a :class:`~patimg.types.Sentence`.
    """
    language = language or _guess_language(sentences)
    where: dict[str, set[int]] = defaultdict(set)
    term_counts: dict[str, Counter[str]] = defaultdict(Counter)
    steps: dict[str, set[int]] = defaultdict(set)
    for sentence in sentences:
        if not isinstance(sentence, Sentence):
            raise BadInputError("sentences", f"expected Sentence records, got {type(sentence).__name__}")
        for mention in find_sign_mentions(sentence.text, language=language):
            where[mention.sign].add(sentence.index)
            if mention.term:
                term_counts[mention.sign][mention.term] += 1
            if mention.sign.isdigit() and mention.term.endswith(("step", "schritt")):
                steps[mention.sign].add(sentence.index)
    folded: dict[str, list[str]] = defaultdict(list)
    for sign in sorted(where):
        folded[_fold(sign)].append(sign)
    return MentionIndex(
        sentence_indexes={sign: tuple(sorted(found)) for sign, found in where.items()},
        terms={sign: (term_counts[sign].most_common(1)[0][0] if term_counts[sign] else "") for sign in where},
        folded={key: tuple(signs) for key, signs in folded.items()},
        step_sentences={number: tuple(sorted(found)) for number, found in steps.items()},
    )


def sign_terms(sentences: Sequence[Sentence]) -> dict[str, str]:
    """Per reference sign of a patent's text, the term it names most often (``""`` if none)."""
    return dict(build_mention_index(sentences).terms)


def _text_signs_for(sign: str, index: MentionIndex) -> list[str]:
    """The text's signs a figure's sign stands for (matching rules 1-3 of the module docstring)."""
    if sign in index.sentence_indexes:
        return [sign]
    by_case = [s for s in index.folded.get(_fold(sign), ()) if s.casefold() == sign.casefold()]
    if by_case:
        return by_case
    if _fold(sign) in index.folded:
        return list(index.folded[_fold(sign)])
    if sign.isdigit():
        return [s for s in index.sentence_indexes if re.fullmatch(rf"{sign}[a-z]", s)]
    return []


_CACHE: list[tuple[Sequence[Sentence], MentionIndex]] = []


def link_numerals_to_sentences(
    *,
    figure_id: str,
    signs: Sequence[str],
    sentences: Sequence[Sentence],
    index: MentionIndex | None = None,
) -> list[SignLink]:
    """Link each reference sign read on a figure to the sentences of its patent that use it.

    Args:
        figure_id: The figure the signs were read on.
        signs: Signs as OCR normalised them (``"14a"``, ``"12'"``, ``"S1"``); duplicates are merged.
        sentences: All sentences of the figure's patent.
        index: A prebuilt :func:`build_mention_index` of ``sentences``; built (and kept for the next call
            with the same sentences object) when ``None``.

    Returns:
        One :class:`SignLink` per distinct sign, in first-seen order; a sign no sentence uses is kept
        with empty ``sentence_indexes``.

    Raises:
        BadInputError: ``figure_id`` or a sign is empty.
    """
    if not figure_id:
        raise BadInputError("figure_id", "empty figure id")
    if index is None:
        if _CACHE and _CACHE[0][0] is sentences:
            index = _CACHE[0][1]
        else:
            index = build_mention_index(sentences)
            _CACHE[:] = [(sentences, index)]
    links = []
    for sign in dict.fromkeys(_clean(s, figure_id) for s in signs):
        text_signs = _text_signs_for(sign, index)
        found: set[int] = set()
        terms: Counter[str] = Counter()
        for text_sign in text_signs:
            found.update(index.sentence_indexes[text_sign])
            if index.terms.get(text_sign):
                terms[index.terms[text_sign]] += len(index.sentence_indexes[text_sign])
        step = re.fullmatch(r"S(\d+)", sign)
        if step and step[1] in index.step_sentences:
            found.update(index.step_sentences[step[1]])
            terms["step"] += 0 if terms else 1
        term = terms.most_common(1)[0][0] if terms else ""
        links.append(
            SignLink(figure_id=figure_id, sign=sign, term=term, sentence_indexes=tuple(sorted(found)))
        )
    return links


def _clean(sign: str, figure_id: str) -> str:
    if not isinstance(sign, str) or not sign.strip():
        raise BadInputError(figure_id, f"empty or non-text reference sign {sign!r}")
    return sign.strip().translate(_PRIMES)


def mentions_by_sentence(sentences: Iterable[Sentence]) -> dict[int, list[SignMention]]:
    """Mentions per sentence index (for display and checks); sentences without signs are left out."""
    sentences = list(sentences)
    language = _guess_language(sentences)
    found = {s.index: find_sign_mentions(s.text, language=language) for s in sentences}
    return {index: mentions for index, mentions in found.items() if mentions}
