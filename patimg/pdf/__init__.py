"""PDF publications: the full documents examiners have at hand (EPO and USPTO PDFs, Espacenet and Google Patents
downloads), read with PDFium (``pypdfium2``, Apache-2.0/BSD).

:func:`read_pdf` turns one PDF into what an XML publication with its drawing images gives the ingest pipeline:

* the text layer, when the PDF has one, becomes a :class:`~patimg.types.ParsedDocument` (bibliography,
  description and claims sentences, figure captions; :mod:`patimg.pdf.text`), so the reference signs read on
  the figures link to its sentences as for an XML;
* the drawing pages (:mod:`patimg.pdf.pages`) are rendered as 300-dpi greyscale PNG sheets, which the figure
  pipeline reads like USPTO TIFF sheets (rotation, OCR, split into figures by their captions).

Pages of prose (at least :data:`PROSE_WORDS` words in lines of at least :data:`PROSE_LINE_CHARS` characters
on average) are text pages without looking further; every other page, and every page of a PDF without a
text layer (a scan), is a drawing page when its ink looks like one. A PDF without a text layer still gives its
figures, without links (the caller says so); one with neither drawings nor text is refused.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from patimg.errors import BadInputError
from patimg.pdf.reading import PdfPageText, open_pdf, read_text_layer
from patimg.types import PdfPublication

#: Words (two letters or more) from which a page of the text layer is prose.
PROSE_WORDS = 40
#: Median characters per line from which a page of the text layer is prose (flow charts have short lines).
PROSE_LINE_CHARS = 25
#: The note for a PDF without a text layer (a scan), and for one whose text layer holds no description.
NO_TEXT_LAYER = "no text layer; figures stored without links"
NO_DESCRIPTION = "no description in its text layer; figures stored without links"


def read_pdf(path: Path, *, label: str, out_dir: Path) -> PdfPublication:
    """Read a PDF publication: its text, and its drawing pages rendered into ``out_dir`` (replaced).

    Args:
        path: The PDF.
        label: Name of the input in messages (the path, or ``<zip>!<member>``).
        out_dir: Folder the drawing pages are written to, as ``page-NNN.png``.

    Raises:
        BadInputError: Naming ``label``: not a PDF, corrupt, encrypted, too many or too large pages
            (:mod:`patimg.pdf.reading`), or neither a drawing page nor any text.
    """
    import pypdfium2 as pdfium

    from patimg.pdf.pages import drawing_image, is_drawing_page, write_page_image
    from patimg.pdf.text import pdf_document

    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    images: list[Path] = []
    with open_pdf(path, label=label) as document:
        try:
            pages = read_text_layer(document)
            drawing_pages = [
                page.number
                for page in pages
                if not _is_prose(page) and is_drawing_page(document, page.number - 1, page.margin_furniture)
            ]
            digits = max(3, len(str(len(pages))))
            for number in drawing_pages:
                image = drawing_image(document, pages[number - 1])
                images.append(out_dir / f"page-{number:0{digits}d}.png")
                write_page_image(image, images[-1])
        except pdfium.PdfiumError as error:
            raise BadInputError(label, f"corrupt PDF: PDFium cannot read it ({error})") from None
    parsed = pdf_document(pages, drawing_pages=drawing_pages, images=[p.name for p in images], source=path)
    if not images and not parsed.sentences:
        raise BadInputError(label, "PDF with neither a drawing page nor text: nothing to ingest")
    has_text_layer = any(page.lines or page.headers or page.margin_furniture for page in pages)
    notes = ()
    if not parsed.sentences:
        notes = (NO_TEXT_LAYER if not has_text_layer else NO_DESCRIPTION,)
    return PdfPublication(
        document=parsed,
        images=tuple(images),
        drawing_pages=tuple(drawing_pages),
        has_text_layer=has_text_layer,
        notes=notes,
    )


def _is_prose(page: PdfPageText) -> bool:
    if page.words < PROSE_WORDS:
        return False
    return statistics.median(len(line.text) for line in page.lines) >= PROSE_LINE_CHARS
