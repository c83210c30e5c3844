"""Figure numbers in one normal form, wherever they come from: a description's "FIG. 03", a caption read on a
sheet ("Fig.3 (a)"), an XML ``<figure num="01">``. Matching a figure to the sentences that describe it relies on
all of them agreeing, so there is one normaliser and every reader of figure numbers calls it."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^(?:fig(?:ure)?s?\s*\.?\s*)?0*(\d+)(.*)$", re.IGNORECASE)
_PRIMES = str.maketrans({"\u2032": "'", "\u2019": "'", "`": "'"})


def normalise_figure_number(value: str) -> str:
    """The normal form of a figure number: no leading zeros, letters upper case, no spaces, a parenthesised
    sub-figure kept as printed.

    ``"03"`` and ``"FIG. 03"`` -> ``"3"``; ``"1a"`` -> ``"1A"``; ``"3 (a)"`` -> ``"3(a)"``; ``"3'"`` -> ``"3'"``;
    ``"3-1"`` -> ``"3-1"``. A value without digits is only upper-cased and stripped of spaces.
    """
    value = re.sub(r"\s+", "", str(value).translate(_PRIMES))
    match = _NUMBER.match(value)
    if not match:
        return value.upper()
    number, rest = match.groups()
    parts = re.split(r"(\([^)]*\))", rest)
    return number + "".join(part if part.startswith("(") else part.upper() for part in parts)
