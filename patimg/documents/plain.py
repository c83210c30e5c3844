"""A description given as plain text (pasted, or a text file): its sentences and its brief description of drawings.

A drawing searched with its description (issue 12, item 2) has no publication XML to say where paragraphs and
headings are, so the text's own layout does: paragraphs are separated by blank lines or start with a paragraph
number (``[0012]``, as Google Patents and USPTO full text print them; the number is dropped); a single line inside
a paragraph is a wrapped line. A short line without closing punctuation is a heading: "BRIEF DESCRIPTION OF THE
DRAWINGS" opens the drawings section and any other heading closes it, as in a publication XML. Without such a
heading, sentences opening with "FIG. n is/shows ..." are the figures' descriptions, the rule the XML readers
fall back on too (:class:`patimg.documents.text.SentenceCollector` does both).
"""

from __future__ import annotations

import re

from patimg.documents.text import SentenceCollector, is_drawings_heading
from patimg.errors import BadInputError
from patimg.types import ParsedDocument, Patent

#: Most characters a description may have (the longest USPTO descriptions, sequence listings apart, are about
#: a tenth of it): a bound on what a pasted text can make the sentence splitter and the linker work through.
MAX_DESCRIPTION_CHARS = 5_000_000

_PARAGRAPH_NUMBER = re.compile(r"^\s*\[\d{1,5}\]\s*")
_HEADING_MAX_CHARS = 100
_HEADING_MAX_WORDS = 12


def _is_heading(line: str) -> bool:
    text = line.strip()
    return (
        0 < len(text) <= _HEADING_MAX_CHARS
        and len(text.split()) <= _HEADING_MAX_WORDS
        and not text.endswith((".", ";", ":", ",", "!", "?"))
        and text[0].isalpha()
        and (text.isupper() or text.istitle() or is_drawings_heading(text))
    )


def _blocks(text: str) -> list[tuple[str, bool]]:
    """``(text, is_heading)`` for each paragraph and heading, in order."""
    blocks: list[tuple[str, bool]] = []
    lines: list[str] = []

    def flush() -> None:
        if lines:
            blocks.append((" ".join(lines), False))
            lines.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif _is_heading(line):
            flush()
            blocks.append((line, True))
        else:
            if _PARAGRAPH_NUMBER.match(line):
                flush()
                line = _PARAGRAPH_NUMBER.sub("", line)
            lines.append(line)
    flush()
    return blocks


def parse_description(text: str, *, patent: Patent, source: str = "description") -> ParsedDocument:
    """Read a plain-text description into sentences and figure descriptions (the module docstring's rules).

    Args:
        text: The description as pasted or read from a UTF-8 file.
        patent: The publication it describes (its id owns the sentences).
        source: What messages call the text (a file name).

    Returns:
        A document with ``patent``, the sentences (``"description"`` or ``"drawings"``) and the figure
        descriptions by figure number; no drawings.

    Raises:
        BadInputError: The text is empty, holds NUL characters, or is longer than :data:`MAX_DESCRIPTION_CHARS`.
    """
    if not isinstance(text, str):
        raise BadInputError(source, f"a description is text, got {type(text).__name__}")
    if "\x00" in text:
        raise BadInputError(source, "not text: it holds NUL characters")
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise BadInputError(
            source, f"description too long: {len(text):,} characters (at most {MAX_DESCRIPTION_CHARS:,})"
        )
    collector = SentenceCollector(patent.patent_id)
    section = "description"
    for block, heading in _blocks(text):
        if heading:
            section = "drawings" if is_drawings_heading(block) else "description"
        else:
            collector.add_paragraph(block, section)
    if not collector.sentences:
        raise BadInputError(source, "the description is empty")
    collector.captions_from_description()
    return ParsedDocument(
        patent=patent,
        sentences=tuple(collector.sentences),
        figure_descriptions=dict(collector.figure_descriptions),
    )
