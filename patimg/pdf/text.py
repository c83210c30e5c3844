"""A PDF publication's text layer as a :class:`~patimg.types.ParsedDocument`, the record the XML readers make.

* Bibliography from the front page's INID codes (WIPO ST.9, printed by every office): ``(11)``/``(10)`` the
  publication number, ``(54)`` the title, ``(57)`` the abstract, ``(43)``/``(45)`` the date, ``(71)``/``(73)``
  the applicant, ``(51)`` the IPC classes. The number is otherwise read from the running header
  (``EP 1 667 425 A1`` on every page), then from the file name (``US12448402B2.pdf``); a PDF that names none
  gets the id ``PDF-<file name>``.
* Text: the description starts at its heading (``Description``, ``Beschreibung``), else on the first text
  page after the drawings or the front page; paragraphs break at paragraph numbers (``[0012]``), at claim
  numbers inside the claims, and where a column leaves a blank line; a short paragraph in capitals (or in
  brackets) is a heading, which switches the section as in the XML (brief description of the drawings,
  claims). A second claims heading (an EP B1 prints the claims in German and French too) and a search
  report heading end the text.
  Words broken at a line end are joined, keeping the hyphen where the document writes the word with one.

Sentences, figure captions and sections then come from :class:`~patimg.documents.text.SentenceCollector`,
exactly as for an XML publication, so reference signs link the same way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from patimg.documents.text import (
    SentenceCollector,
    is_drawings_heading,
    iso_date,
    normalise_class,
    patent_id,
    unique,
)
from patimg.pdf.reading import LINE_END_HYPHEN, PdfLine, PdfPageText, publication_number
from patimg.types import DrawingRef, ParsedDocument, Patent

_INID = re.compile(r"^\((\d{2})\)\s*")
_PARAGRAPH_NUMBER = re.compile(r"^\[\d{3,5}\]\s*")
_CLAIM_NUMBER = re.compile(r"^\d{1,3}\s?\.\s")
_DESCRIPTION_HEADINGS = frozenset({"description", "beschreibung"})
_CLAIMS_HEADINGS = frozenset(
    {
        "claims",
        "what is claimed is",
        "we claim",
        "i claim",
        "the invention claimed is",
        "patentansprüche",
        "ansprüche",
        "revendications",
    }
)
_SEARCH_REPORT = re.compile(r"SEARCH\s+REPORT|RECHERCHENBERICHT|RAPPORT\s+DE\s+RECHERCHE", re.I)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_IPC = re.compile(r"[A-H]\s?\d{2}\s?[A-Z]\s*\d{1,4}\s*/\s*\d{1,6}")
_WORD = re.compile(r"[^\W_][\w-]*")


def pdf_document(
    pages: Sequence[PdfPageText], *, drawing_pages: Sequence[int], images: Sequence[str], source: Path
) -> ParsedDocument:
    """The publication a PDF's text layer holds (see the module docs).

    Args:
        pages: Every page's text (:func:`patimg.pdf.reading.read_text_layer`).
        drawing_pages: Numbers of the pages that are drawings (their text is captions and numerals, not prose).
        images: File names of the rendered drawing pages, listed as the document's drawings (sheets).
        source: The PDF, for the fallback id and ``Patent.source``.
    """
    front = _inid_fields(pages[0].lines) if pages else {}
    patent = _patent(front, pages, source)
    collector = SentenceCollector(patent.patent_id)
    for text, section in _paragraphs(_text_lines(pages, set(drawing_pages), front)):
        collector.add_paragraph(text, section)
    collector.captions_from_description()
    return ParsedDocument(
        patent=patent,
        sentences=tuple(collector.sentences),
        figure_descriptions=dict(collector.figure_descriptions),
        drawings=tuple(DrawingRef(file=name, kind="sheet") for name in images),
    )


# ---- bibliography --------------------------------------------------------------------------------


def _inid_fields(lines: Sequence[PdfLine]) -> dict[str, list[str]]:
    """The front page's lines by INID code: ``{"54": ["Image forming method and ..."], ...}`` (first of each)."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        match = _INID.match(line.text)
        if match:
            current = None if match.group(1) in fields else fields.setdefault(match.group(1), [])
            rest = line.text[match.end() :].strip()
            if current is not None and rest:
                current.append(rest)
        elif current is not None:
            current.append(line.text)
    return fields


def _patent(front: dict[str, list[str]], pages: Sequence[PdfPageText], source: Path) -> Patent:
    found = None
    for code in ("11", "10"):
        found = found or publication_number(" ".join(front.get(code, [])))
    for page in pages:
        for header in page.headers:
            found = found or publication_number(header)
    found = found or publication_number(source.stem)
    if found:
        office, number, kind = found
        pid = patent_id(office, number, kind)
    else:
        office, number, kind = "", "", ""
        pid = "PDF-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", source.stem).strip("-") or "document")
    abstract = _join_words(front.get("57", []))
    abstract = re.sub(r"^(abstract|zusammenfassung|abrégé)\b[:.]?\s*", "", abstract, flags=re.I)
    return Patent(
        patent_id=pid,
        office=office,
        number=number,
        kind=kind,
        date=_date(" ".join(front.get("45", []) or front.get("43", []))),
        title=_join_words(front.get("54", [])),
        abstract=abstract,
        applicants=unique(_name(front.get(code, [])) for code in ("71", "73")),
        ipc=unique(normalise_class(m.group(0)) for m in _IPC.finditer(" ".join(front.get("51", [])))),
        source=str(source),
    )


def _name(lines: list[str]) -> str:
    """The first applicant of an ``(71)``/``(73)`` field: its first line, label and bullet removed."""
    if not lines:
        return ""
    first = re.sub(
        r"^(applicants?|assignees?|anmelder|demandeur)\s*(\(s\))?\s*:?\s*", "", lines[0], flags=re.I
    )
    first = first.lstrip("•· ").strip()
    return first if first else (lines[1].lstrip("•· ").strip() if len(lines) > 1 else "")


def _date(text: str) -> str:
    """``"Date of publication: 07.06.2006 ..."`` or ``"Date of Patent: Oct. 21, 2025"`` -> ISO; else ``""``."""
    match = re.search(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if match:
        return iso_date(f"{match.group(3)}{int(match.group(2)):02d}{int(match.group(1)):02d}")
    match = re.search(r"\b([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})", text)
    if match and match.group(1).lower() in _MONTHS:
        return iso_date(f"{match.group(3)}{_MONTHS[match.group(1).lower()]:02d}{int(match.group(2)):02d}")
    return ""


# ---- running text --------------------------------------------------------------------------------


def _text_lines(
    pages: Sequence[PdfPageText], drawing_pages: set[int], front: dict
) -> list[tuple[int, PdfLine]]:
    """``(page, line)`` of the description and claims, in reading order (see the module docs for the start)."""
    text_pages = [p for p in pages if p.number not in drawing_pages and p.lines]
    for start, page in enumerate(text_pages):
        for position, line in enumerate(page.lines):
            if _heading_key(line.text) in _DESCRIPTION_HEADINGS:
                rest = _all_lines(text_pages[start + 1 :])
                return [(page.number, ln) for ln in page.lines[position:]] + rest
    last_drawing = max(drawing_pages, default=0)
    after_drawings = [p for p in text_pages if p.number > last_drawing]
    if drawing_pages and after_drawings:  # drawings before the description (USPTO): it follows them
        return _all_lines(after_drawings)
    return _all_lines([p for p in text_pages if not (front and p.number == 1)])


def _all_lines(pages: Sequence[PdfPageText]) -> list[tuple[int, PdfLine]]:
    return [(page.number, line) for page in pages for line in page.lines]


def _heading_key(text: str) -> str:
    """A heading reduced for comparison: ``"4. BRIEF DESCRIPTION ..."`` -> ``"brief description ..."``."""
    text = re.sub(r"^\s*(\d{1,2}\.|[IVX]{1,4}\.)\s*", "", text)
    return text.strip().rstrip(":.").strip().lower()


def _paragraphs(lines: list[tuple[int, PdfLine]]) -> list[tuple[str, str]]:
    """``(paragraph text, section)`` in order; headings switch the section and are not text themselves."""
    groups: list[tuple[list[str], bool]] = []  # (lines, whether they are in the claims)
    previous: tuple[int, PdfLine] | None = None
    in_claims = False
    for page, line in lines:
        text = line.text
        if _SEARCH_REPORT.search(text) and _is_heading(text):
            break  # the search report an EP A document ends with is not the applicant's text
        claims_heading = _heading_key(text) in _CLAIMS_HEADINGS
        in_claims = in_claims or claims_heading
        if in_claims:  # a claim runs on over blank lines between its clauses, up to the next claim number
            starts = claims_heading or bool(_CLAIM_NUMBER.match(text)) or not groups[-1][1]
        else:
            # A heading at the top of a column has no blank line above it: it follows a finished sentence.
            heading = _is_heading(text) or _heading_key(text) in _DESCRIPTION_HEADINGS
            after_sentence = bool(groups) and groups[-1][0][-1].endswith((".", ":", ";"))
            after_heading = bool(groups) and not heading and _is_heading(" ".join(groups[-1][0]))
            starts = (
                bool(_PARAGRAPH_NUMBER.match(text))
                or _blank_line_between(previous, (page, line))
                or (heading and after_sentence)
                or after_heading
            )
        if not groups or starts:
            groups.append(([], in_claims))
        groups[-1][0].append(_PARAGRAPH_NUMBER.sub("", text))
        previous = (page, line)
    vocabulary = _hyphenated_vocabulary([group for group, _ in groups])
    out: list[tuple[str, str]] = []
    section = "description"
    claims_headings = 0
    for group, claims in groups:
        text = _join_lines(group, vocabulary)
        key = _heading_key(text)
        if key in _CLAIMS_HEADINGS:
            claims_headings += 1
            if claims_headings > 1:
                break  # the claims again, in another language
            section = "claims"
        elif claims:
            out.append((_CLAIM_NUMBER.sub("", text, count=1), "claims"))
        elif key in _DESCRIPTION_HEADINGS or _is_heading(text):
            section = "drawings" if is_drawings_heading(text) else "description"
        elif text:
            out.append((text, section))
    return out


def _blank_line_between(previous: tuple[int, PdfLine] | None, current: tuple[int, PdfLine]) -> bool:
    """Whether a blank line separates two lines of one column (a new column or page never breaks)."""
    if previous is None:
        return True
    (page_a, a), (page_b, b) = previous, current
    if page_a != page_b or b.box[3] > a.box[1]:
        return False
    height = max(a.box[3] - a.box[1], b.box[3] - b.box[1], 1.0)
    return a.box[1] - b.box[3] > 1.2 * height


def _is_heading(text: str) -> bool:
    """A short paragraph in capitals without a full stop, or in brackets: ``"FIELD OF THE INVENTION"``."""
    if len(text.split()) > 15 or text.endswith((".", ";", ",")):
        return False
    if text.startswith("[") and text.endswith("]"):
        return True
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _hyphenated_vocabulary(groups: list[list[str]]) -> Counter[str]:
    """How often each word is written in the document, lower case (``"gray-scale"``, ``"grayscale"``)."""
    counts: Counter[str] = Counter()
    for group in groups:
        for line in group:
            counts.update(w.lower() for w in _WORD.findall(line.replace(LINE_END_HYPHEN, " ")))
    return counts


def _join_lines(lines: list[str], vocabulary: Counter[str]) -> str:
    """A paragraph's lines as one text, words broken at line ends joined (see the module docs)."""
    text = " ".join(lines)
    parts = re.split(rf"{LINE_END_HYPHEN}\s*", text)
    joined = parts[0]
    for part in parts[1:]:
        head = re.search(r"([^\W_][\w-]*)$", joined)
        tail = re.match(r"[\w-]+", part)
        if head and tail:
            whole = f"{head.group(1)}{tail.group(0)}".lower()
            hyphenated = f"{head.group(1)}-{tail.group(0)}".lower()
            keep = vocabulary[hyphenated] > vocabulary[whole] or not tail.group(0)[0].islower()
            joined += ("-" if keep else "") + part
        else:
            joined += part
    return " ".join(joined.split())


def _join_words(lines: list[str]) -> str:
    return _join_lines(lines, Counter())
