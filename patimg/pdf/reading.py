"""Open a PDF safely and read its text layer as lines, with the running header and page numbers set apart.

PDFium (``pypdfium2``) reads the file. Every problem with the file is one :class:`~patimg.errors.BadInputError`
naming it: empty, not a PDF (no ``%PDF-`` header), corrupt, encrypted with a password, no pages, more than
:data:`MAX_PDF_PAGES` pages, or a page larger than :data:`MAX_PAGE_INCHES` on a side (no patent publication has
one; rendering it at 300 dpi would take gigabytes).

Text is read per page as PDFium's text rectangles (runs of characters on one line, in the order the page draws
them, which for patent publications is reading order: column by column), joined into lines. *Furniture* is
what the office prints around the text, not part of it: lines of digits only (page numbers, the line numbers
in the gutter of EP and US columns, column numbers) and the running header (``EP 1 667 425 A1``,
``US 12,448,402 B2``), recognised as a line printed in the top or bottom margin of at least half of the pages,
or as a line that is nothing but a publication number printed in a margin.
Furniture in the margins is kept apart by box, so that it can be blanked when the page is rendered; it is not
blanked elsewhere, because reference numerals drawn as text on a vector drawing are digit-only lines too.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from patimg.errors import BadInputError

#: Most pages a PDF may have. Long US publications (sequence listings aside) stay under a thousand pages.
MAX_PDF_PAGES = 2500
#: Longest page side accepted, in inches: an A0 sheet is 46.8 in; a publication's pages are A4 or Letter.
MAX_PAGE_INCHES = 50
#: Part of the page height, at the top and at the bottom, where a running header or a page number is printed.
MARGIN_BAND = 0.08

_DIGITS_ONLY = re.compile(r"^[\d\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\uffff]")
#: PDFium's mark for a hyphen at the end of a line (a word broken across lines); the line break after it is
#: implied, not written.
LINE_END_HYPHEN = "\ufffe"
_VISUAL_LINE = re.compile(rf"[^\r\n{LINE_END_HYPHEN}]+{LINE_END_HYPHEN}?")

_OFFICES = "EP|US|WO|DE|GB|FR|JP|CN|KR|CA|AU|CH|AT"
#: A publication number as printed or as a file name: office, number (spaces, commas, slashes inside), kind.
_PUBLICATION = re.compile(
    rf"(?<![A-Za-z0-9])({_OFFICES})\s?((?:D|RE|PP)?\s?\d(?:[\d\s,./]{{3,14}})\d)\s?([ABCESPUT]\d?)?(?![A-Za-z0-9])"
)

Box = tuple[float, float, float, float]
"""``(left, bottom, right, top)`` in PDF points, on the page as stored (before its ``/Rotate``)."""


@dataclass(frozen=True)
class PdfLine:
    """One line of a page's text layer.

    Attributes:
        text: The line, control characters removed; it may end with :data:`LINE_END_HYPHEN`.
        box: Where it is printed.
    """

    text: str
    box: Box


@dataclass(frozen=True)
class PdfPageText:
    """What the text layer holds on one page.

    Attributes:
        number: Page number, 1-based.
        lines: Lines of running text (furniture removed), in reading order.
        margin_furniture: Boxes of the running header and page numbers printed in the page's margins.
        headers: The running header lines printed on the page (``"EP 1 667 425 A1"``).
        words: How many words of two letters or more ``lines`` hold.
        size: ``(width, height)`` in points, before the page's ``/Rotate``.
    """

    number: int
    lines: tuple[PdfLine, ...]
    margin_furniture: tuple[Box, ...]
    headers: tuple[str, ...]
    words: int
    size: tuple[float, float]


@contextlib.contextmanager
def open_pdf(path: Path, *, label: str) -> Iterator:
    """The PDF as a ``pypdfium2.PdfDocument``, checked (see the module docs), closed on exit.

    Raises:
        BadInputError: Naming ``label``, for every problem the module docs list.
    """
    import pypdfium2 as pdfium

    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as error:
        raise BadInputError(label, f"cannot read: {error.strerror or error}") from None
    if not head:
        raise BadInputError(label, "empty file (0 bytes), not a PDF")
    if b"%PDF-" not in head:
        raise BadInputError(label, "not a PDF: the file does not start with a %PDF- header")
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise BadInputError(label, "encrypted PDF: it cannot be read without its password") from None
        raise BadInputError(label, f"corrupt PDF: PDFium cannot open it ({error})") from None
    try:
        try:
            _check_pages(document, label)
        except pdfium.PdfiumError as error:
            raise BadInputError(label, f"corrupt PDF: PDFium cannot read it ({error})") from None
        yield document
    finally:
        document.close()


def _check_pages(document, label: str) -> None:
    pages = len(document)
    if pages == 0:
        raise BadInputError(label, "PDF without pages")
    if pages > MAX_PDF_PAGES:
        raise BadInputError(label, f"refused: {pages} pages, over the limit of {MAX_PDF_PAGES}")
    limit = MAX_PAGE_INCHES * 72
    for index in range(pages):
        width, height = document.get_page_size(index)
        if not (0 < width <= limit and 0 < height <= limit):
            raise BadInputError(
                label,
                f"refused: page {index + 1} is {width / 72:.0f} x {height / 72:.0f} in, over the limit of "
                f"{MAX_PAGE_INCHES} in on a side (not a patent publication page)",
            )


def read_text_layer(document) -> list[PdfPageText]:
    """Every page's text (see the module docs); pages without a text layer have no lines and no words."""
    raw_pages = []
    for index in range(len(document)):
        page = document[index]
        try:
            width, height = page.get_size()
            if page.get_rotation() in (90, 270):
                width, height = height, width
            textpage = page.get_textpage()
            try:
                lines = _lines(textpage)
            finally:
                textpage.close()
        finally:
            page.close()
        raw_pages.append((index + 1, lines, (width, height)))
    running = _running_lines(raw_pages)
    pages = []
    for number, lines, size in raw_pages:
        kept, margin, headers = [], [], []
        for line in lines:
            # "EP 1 667 425 A1" alone in a margin is a running header even on a PDF of one page.
            only_number = _PUBLICATION.fullmatch(line.text)
            header = _shape(line.text) in running or bool(only_number and _in_margin(line.box, size[1]))
            if header:
                headers.append(line.text)
            if header or _DIGITS_ONLY.match(line.text):
                if _in_margin(line.box, size[1]):
                    margin.append(line.box)
            else:
                kept.append(line)
        words = sum(len(re.findall(r"[^\W\d_]{2,}", line.text)) for line in kept)
        pages.append(PdfPageText(number, tuple(kept), tuple(margin), tuple(headers), words, size))
    return pages


def _lines(textpage) -> list[PdfLine]:
    """The page's visual lines: PDFium's text split at its line breaks and after its end-of-line hyphens."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count)
    lines: list[PdfLine] = []
    if len(text) != count:  # characters outside the BMP: no 1:1 map from text to character boxes
        return lines
    for match in _VISUAL_LINE.finditer(text):
        raw = match.group(0)
        kept = _CONTROL.sub("", raw)
        if not kept.strip() or len(kept.strip()) < 0.7 * len(raw.strip()):
            continue  # nothing, or mostly control characters: a bar code printed in a symbol font
        boxes = [textpage.get_charbox(i) for i in range(match.start(), match.end()) if not text[i].isspace()]
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        lines.append(PdfLine(" ".join(kept.split()), box))
    return lines


def publication_number(text: str) -> tuple[str, str, str] | None:
    """``(office, number, kind)`` of the first publication number in ``text``: ``"EP 1 667 425 A1"`` ->
    ``("EP", "1667425", "A1")``, ``"US 12,448,402 B2"`` -> ``("US", "12448402", "B2")``; ``None`` if none."""
    match = _PUBLICATION.search(text)
    if not match:
        return None
    return match.group(1), re.sub(r"[\s,./]", "", match.group(2)), match.group(3) or ""


def _shape(text: str) -> str:
    """A line with its digits masked: a running header stays the same while its page or sheet number changes."""
    return re.sub(r"\d+", "#", text.strip().lower())


def _in_margin(box: Box, height: float) -> bool:
    return box[1] >= (1 - MARGIN_BAND) * height or box[3] <= MARGIN_BAND * height


def _running_lines(pages: list[tuple[int, list[PdfLine], tuple[float, float]]]) -> set[str]:
    """Shapes of the lines printed in a margin of at least half of the pages (two at least): running headers."""
    counts: Counter[str] = Counter()
    for _, lines, (_, height) in pages:
        counts.update({_shape(line.text) for line in lines if _in_margin(line.box, height)})
    needed = max(2, (len(pages) + 1) // 2)
    return {shape for shape, count in counts.items() if count >= needed and re.search(r"[^\W\d_]", shape)}
