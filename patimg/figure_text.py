"""What a figure's text vector is made of: the texts averaged into it (issue 12, item 7).

The paper's text channel averages the description sentences a figure's reference signs link to. A figure with
no reference sign (every design patent, most flowcharts and photographs) then has no text at all, although its
publication says what it shows: the brief description of the drawings has a sentence for it ("FIG. 3 is a side
view of the chair") and the publication has a title ("Chair"). The rule, :data:`CURRENT_RULE`:

* a figure with at least one linked sentence: those sentences and nothing else (the paper's rule);
* a figure with none: its own brief-description sentence(s) and its publication's title.

Why not add them to every figure: for a figure with linked signs, the linked sentences describe its parts, which is
what tells it from the other figures of its patent and what the paper measured (Table 1). The title is the same for
every figure of a patent and a brief-description sentence mostly names the view ("a top view thereof"): averaged
into every figure they would pull all of one patent's figures towards one point of the text space, blurring what
the signs say and flattering the same-patent evaluation further. For a figure with no linked sentence they are the
only text it has, and a title like "Chair" is what a free-text query "chair" should find.

A folder of images has no title (its record's title is the folder's name, which says nothing of the drawing), so
its figures stay without text unless a description is given for them.

The rule a collection's text vectors were built with is recorded beside them (``figure_text`` in the text
channel's encoder info). Indexes built before this rule existed record none and are read as :data:`LEGACY_RULE`.
``patimg index`` rebuilds such a text index under the current rule, and a figure searched from outside the
collection (a document query) is given its text by the rule its collection was built with, so an old index and a
new query vector are never mixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from patimg.types import Patent
from patimg.vocabulary import FigureTextRule

#: The rule text vectors are built with now.
CURRENT_RULE: FigureTextRule = "linked-else-description"
#: The rule of indexes that record none (built before issue 12): linked sentences only.
LEGACY_RULE: FigureTextRule = "linked"


def figure_text_sentences(
    *,
    linked: Sequence[str],
    descriptions: Sequence[str] = (),
    title: str = "",
    rule: FigureTextRule = CURRENT_RULE,
) -> list[str]:
    """The texts averaged into one figure's text vector, in order, each once (the rule of the module docstring).

    Args:
        linked: The sentences its reference signs link to.
        descriptions: Its own brief-description sentence(s) ("FIG. 3 is a side view of the chair").
        title: Its publication's title (``""`` for a folder of images: see :func:`publication_title`).
        rule: :data:`CURRENT_RULE`, or :data:`LEGACY_RULE` for a collection indexed before it.

    Returns:
        The texts; empty when the figure has none (it then gets no text vector).
    """
    texts = [text.strip() for text in linked if text and text.strip()]
    if not texts and rule != LEGACY_RULE:
        texts = [text.strip() for text in (*descriptions, title) if text and text.strip()]
    return list(dict.fromkeys(texts))


def own_descriptions(figure_descriptions: Mapping[str, str], figure_num: str) -> list[str]:
    """A figure's own sentence of the brief description of the drawings (by its figure number), if any."""
    text = figure_descriptions.get(figure_num, "") if figure_num else ""
    return [text] if text else []


def publication_title(patent: Patent | None) -> str:
    """The title that joins a figure's text: a publication's own, never the folder name of a folder of images."""
    if patent is None or not patent.office:
        return ""
    return patent.title


def recorded_rule(encoder_info: Mapping[str, Any] | None) -> FigureTextRule:
    """The rule a text channel was built with, from its recorded encoder info (:data:`LEGACY_RULE` when none)."""
    return (encoder_info or {}).get("figure_text") or LEGACY_RULE


def text_vector(encoder, texts: Sequence[str]) -> np.ndarray | None:
    """A figure's text vector from its texts: the normalised mean of ``encoder``'s vectors (None for no text)."""
    from patimg.encoders.text import mean_text_vector

    if not texts:
        return None
    return mean_text_vector(encoder.encode(list(texts)))
