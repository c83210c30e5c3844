"""Rules for text read on a patent drawing: reference signs, figure captions, everything else.

A drawing prints three kinds of text: reference signs (``104``, ``16a``, ``12'``, ``S1``, ``200A``,
``L2``, ``Ta``, single letters), figure captions (``FIG. 1B``, ``Fig.3``, ``FIGURE 2``) and other words
(flowchart boxes, axis ticks, units). OCR output is noisy, so the rules also undo the usual confusions
inside numerals (``O``/``o`` for ``0``, ``l``/``I``/``|`` for ``1``) and strip leader-line debris.
"""

from __future__ import annotations

import re

from patimg.figure_numbers import normalise_figure_number

REFERENCE = "reference"
FIGURE = "figure"
OTHER = "other"

# "FIG", "Fig", "FIGURE", with OCR misreads of the dot/space, then a number with an optional letter
# suffix and an optional "(a)" sub-figure part. "l"/"I"/"O" inside the number are OCR confusions.
_CAPTION = re.compile(
    r"^(?:FIG(?:URE)?|Fig(?:ure)?|fig(?:ure)?|F1G|FlG|FIC)\s*[.,:]?\s*"
    r"(?P<num>[0-9OolI|]{1,3})\s*(?P<suffix>[A-Za-z]?)\s*(?P<sub>\(\s*[a-zA-Z0-9]\s*\))?\s*\.?$"
)
# A caption with a subtitle on the same line ("FIG 1 Prior art", "FIG.3 (PRIOR ART)", "Fig. 2 - Related Art"):
# the caption, a separator, then words only.
_CAPTION_AND_SUBTITLE = re.compile(
    r"^(?P<caption>.+?[0-9OolI|][A-Za-z]?(?:\s*\(\s*[a-zA-Z0-9]\s*\))?)(?:\s+|\s*[-–—:(\[]\s*)"
    r"[(\[]?(?P<subtitle>[A-Za-z][A-Za-z .'-]*[A-Za-z])[)\]]?\.?$"
)
# Numeral sign, optionally with one letter suffix and primes: 104, 16a, 12', 200A, 62a''.
_NUMERAL_SIGN = re.compile(r"^(?P<num>[0-9]{1,4})(?P<suffix>[A-Za-z]?)(?P<prime>'{0,2})$")
# Letter-prefixed sign: S1, L2, P3, D5, S11, PT1, S1a.
_LETTER_NUMERAL_SIGN = re.compile(r"^[A-Z]{1,2}[0-9]{1,3}[a-z]?'{0,2}$")
# Pure-letter signs: A, x, Ta, PT (also with primes: A').
_LETTER_SIGN = re.compile(r"^(?:[A-Za-z]|[A-Z][a-z]|[A-Z]{2})'{0,2}$")
# Two-letter words that flowcharts and tables print; they are not signs even though they look like "PT".
_SHORT_WORDS = frozenset(
    "NO OK ON IN OF TO OR IS IT AT BY UP GO IF AN AS BE DO HE ME MY SO US WE Hz No Ok On In Of To Or Is "
    "It At By Up Go If An As mm cm km kg mg ml dB nm um Yes".split()
)
# Single upper-case X, Y, Z on drawings are nearly always coordinate-axis names, not element signs;
# a lone O/o is what OCR makes of a small circle (and the letter is avoided as a sign next to 0).
_AXIS_LETTERS = frozenset("XYZOo")
# Characters that separate several signs printed on one leader ("106, 114", "A、B", "A,B,C").
_SEPARATORS = re.compile(r"\s*[,、;，/&]\s*|\s+and\s+|\s+")
# A range or formula between numbers ("0 ~ 33", "10-20", "5 x 3") is a value, not a list of signs.
_RANGE = re.compile(r"[0-9]\s*(?:[~～\-–—=+×<>≦≧≤≥%]|\s[xX*]\s|\sto\s)\s*[0-9]")
# "~" standing apart from a neighbour ("0 ~ 33", "34 ~", "0~33") marks a range; glued to a label
# ("~S32", "104~") it is the end of a wavy leader line.
_TILDE_RANGE = re.compile(r"[0-9]\s*[~～]\s*[0-9]|\s[~～]|[~～]\s")
# Leader-line and frame debris OCR glues to a label.
_DEBRIS = '-_—–~～.,:;|*·•°"`()[]{}<>'
_CONFUSABLE_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1"})


def _fix_numeral_confusions(token: str) -> str:
    """Read ``1O4`` as ``104`` and ``l2`` as ``12``: confusable letters inside a digit run.

    Only tokens that already hold a real digit are touched, so letter signs (``I``, ``O``, ``S1``)
    keep their letters.
    """
    match = re.match(r"^(?P<num>[0-9OolI|]+)(?P<rest>[A-Za-z]?'{0,2})$", token)
    if not match or not any(ch.isdigit() for ch in match["num"]):
        return token
    return match["num"].translate(_CONFUSABLE_DIGITS) + match["rest"]


def _clean(text: str) -> str:
    """Unify quotes and spaces, strip leader debris."""
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'").replace("′", "'").replace("´", "'")
    text = " ".join(text.split())
    return text.strip(_DEBRIS + " ")


def figure_number(caption: str) -> str:
    """Figure number of a caption.

    Args:
        caption: Caption as printed or normalised (``"FIG. 1B"``, ``"Fig.3 (a)"``).

    Returns:
        The normalised number (``"1B"``, ``"3(a)"``), or ``""`` when ``caption`` is not a caption.
    """
    match = _CAPTION.match(
        _clean(caption) if not caption.rstrip().endswith(")") else " ".join(caption.split())
    )
    if not match:
        return ""
    return normalise_figure_number(
        f"{match['num'].translate(_CONFUSABLE_DIGITS)}{match['suffix']}{match['sub'] or ''}"
    )


def _classify_token(token: str) -> tuple[str, str]:
    """Classify one separated token as a reference sign or other text."""
    token = _fix_numeral_confusions(_clean(token))
    if not token:
        return OTHER, token
    match = _NUMERAL_SIGN.match(token)
    if match:
        number = int(match["num"])
        # A 4-digit number in the year range is a date or a value, not a sign; leading zeros are values.
        if len(match["num"]) == 4 and 1900 <= number <= 2099 and not match["suffix"]:
            return OTHER, token
        # "0" and zero-led numbers are axis ticks or values; no sign numbering starts at zero.
        if match["num"].startswith("0"):
            return OTHER, token
        return REFERENCE, token
    if _LETTER_NUMERAL_SIGN.match(token):
        return REFERENCE, token
    if _LETTER_SIGN.match(token) and token.rstrip("'") not in _SHORT_WORDS:
        if token in _AXIS_LETTERS:
            return OTHER, token
        return REFERENCE, token
    return OTHER, token


def _all_signs(text: str) -> list[tuple[str, str]]:
    """The separated parts of ``text`` (``"106, 114"``) classified, when every one is a reference sign; else ``[]``."""
    parts = [_classify_token(part) for part in _SEPARATORS.split(_clean(text)) if _clean(part)]
    return parts if parts and all(kind == REFERENCE for kind, _ in parts) else []


def _signs_only(text: str) -> list[tuple[str, str]]:
    """``text`` as reference signs of two characters or more, or ``[]`` when any part is something else."""
    if _RANGE.search(text) or _TILDE_RANGE.search(text):
        return []
    signs = _all_signs(text)
    return signs if all(len(value.rstrip("'")) >= 2 for _, value in signs) else []


def _caption_and_signs(text: str) -> list[tuple[str, str]]:
    """A caption and the reference signs printed on its line (``"FIG 11 360"``, ``"344 FIG 11"``), or ``[]``.

    A caption set beside its figure often has a leader numeral next to it, and the detector boxes both as one
    line (issue 11: such sheets lost their captions and were kept whole). The longest caption is taken
    (``"FIG. 1 A 12"`` is FIG. 1A and 12); every sign beside it must have two characters or more, so that a
    figure number read with a space inside (``"FIG. 1 2"``) is not made a caption and a sign.
    """
    words = text.split(" ")
    for cut in range(len(words) - 1, 0, -1):  # caption first, signs after
        number = figure_number(" ".join(words[:cut]))
        if number:
            signs = _signs_only(" ".join(words[cut:]))
            return [(FIGURE, f"FIG. {number}"), *signs] if signs else []
    for cut in range(1, len(words)):  # signs first, caption after
        number = figure_number(" ".join(words[cut:]))
        if number:
            signs = _signs_only(" ".join(words[:cut]))
            return [*signs, (FIGURE, f"FIG. {number}")] if signs else []
    return []


def split_drawing_text(text: str) -> list[tuple[str, str]]:
    """Split one piece of drawing text into classified items.

    A caption stays whole; a combined leader label whose every part is a reference sign
    (``"106, 114"``, ``"A、B"``) becomes one item per sign; anything else is one ``"other"`` item.

    Args:
        text: Text as read by OCR.

    Returns:
        ``[(kind, normalised text), ...]`` with kind ``"reference"``, ``"figure"`` or ``"other"``;
        empty when the text is blank or debris only.
    """
    cleaned = " ".join(text.split())
    if not _clean(cleaned):
        return []
    number = figure_number(cleaned)
    if number:
        return [(FIGURE, f"FIG. {number}")]
    with_subtitle = _CAPTION_AND_SUBTITLE.match(cleaned)
    if with_subtitle and sum(ch.isalpha() for ch in with_subtitle["subtitle"]) >= 3:
        number = figure_number(with_subtitle["caption"])
        if number:
            return [(FIGURE, f"FIG. {number}"), (OTHER, with_subtitle["subtitle"])]
    beside = _caption_and_signs(cleaned)
    if beside:
        return beside
    # "~" marks a range ("0 ~ 33", "34 ~"): the numbers around it are values, never signs.
    if _RANGE.search(cleaned) or _TILDE_RANGE.search(cleaned):
        return [(OTHER, cleaned)]
    whole = _classify_token(cleaned)
    if whole[0] == REFERENCE:
        return [whole]
    signs = _all_signs(cleaned)
    if len(signs) > 1:
        return signs
    return [(OTHER, _clean(cleaned))]
