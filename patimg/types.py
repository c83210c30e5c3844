"""Plain frozen records passed between PatImg's pipeline stages.

Every stage of the pipeline (see ``docs`` in the README) is a function over these records, so a stage
can be re-run alone and the Streamlit pages only ever see plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Kinds of text read on a drawing.
LABEL_KINDS = ("reference", "figure", "other")

Box = tuple[float, float, float, float]
"""Pixel box ``(x0, y0, x1, y1)`` on the upright image it belongs to."""


@dataclass(frozen=True)
class Patent:
    """Bibliographic record of one publication.

    Attributes:
        patent_id: Canonical id, country + number + kind, e.g. ``"US12448249B2"``, ``"EP1667425A1"``.
            Images ingested from a plain folder get ``"FOLDER-<folder name>"``.
        office: ``"US"``, ``"EP"``, or ``""`` for a folder of images.
        number: Publication number without country or kind (``"12448249"``).
        kind: Kind code (``"B2"``, ``"A1"``, ``"S1"``), or ``""``.
        date: Publication date as ISO ``YYYY-MM-DD``, or ``""``.
        title: Title of the invention.
        abstract: Abstract text.
        applicants: Applicant / assignee names.
        ipc: IPC classes, normalised like ``"B64C 11/00"``.
        cpc: CPC classes, same form.
        language: Language of the text (``"en"``, ``"de"``), or ``""``.
        source: Path of the file it was read from.
    """

    patent_id: str
    office: str = ""
    number: str = ""
    kind: str = ""
    date: str = ""
    title: str = ""
    abstract: str = ""
    applicants: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()
    cpc: tuple[str, ...] = ()
    language: str = ""
    source: str = ""


@dataclass(frozen=True)
class Sentence:
    """One sentence of a publication's text.

    Attributes:
        patent_id: Owning patent.
        index: Position of the sentence in the document (0-based, unique per patent).
        text: The sentence.
        section: ``"description"``, ``"drawings"`` (brief description of the drawings) or ``"claims"``.
    """

    patent_id: str
    index: int
    text: str
    section: str = "description"


@dataclass(frozen=True)
class DrawingRef:
    """An image a publication names (a US drawing sheet or an EP figure image).

    Attributes:
        file: File name as written in the XML (``"US12448249-20251021-D00001.TIF"``).
        kind: ``"sheet"`` (may hold several figures), ``"figure"`` (one figure), or ``"abstract"``.
        figure_num: Figure number when the XML gives one (``"3"``, ``"1B"``), else ``""``.
    """

    file: str
    kind: str = "sheet"
    figure_num: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """Everything PatImg reads out of one publication's XML.

    Attributes:
        patent: Bibliography.
        sentences: Description (and drawings/claims) sentences in document order.
        figure_descriptions: Brief description of the drawings, figure number to its sentence,
            e.g. ``{"3": "FIG. 3 is a side view of the rotor."}``.
        drawings: Images the document names, in order.
    """

    patent: Patent
    sentences: tuple[Sentence, ...] = ()
    figure_descriptions: dict[str, str] = field(default_factory=dict)
    drawings: tuple[DrawingRef, ...] = ()


@dataclass(frozen=True)
class PdfPublication:
    """What PatImg reads out of one PDF publication (:func:`patimg.pdf.read_pdf`).

    Attributes:
        document: Bibliography, sentences and figure captions from the PDF's text layer (only the patent
            record when it has none); its ``drawings`` name the rendered drawing pages, as sheets.
        images: The drawing pages rendered as PNG files, in page order.
        drawing_pages: Their page numbers in the PDF, 1-based.
        has_text_layer: Whether any page has a text layer (a scanned PDF has none: no sign can link).
        notes: What the user should know about it (``"no text layer; figures stored without links"``).
    """

    document: ParsedDocument
    images: tuple[Path, ...]
    drawing_pages: tuple[int, ...]
    has_text_layer: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    """One piece of text read on a drawing.

    Attributes:
        text: The text as read, normalised (``"104"``, ``"16a"``, ``"FIG. 1B"``).
        kind: ``"reference"`` (a reference sign), ``"figure"`` (a figure caption) or ``"other"``.
        box: Box on the upright image.
        confidence: Recogniser confidence in ``[0, 1]``.
    """

    text: str
    kind: str
    box: Box
    confidence: float


@dataclass(frozen=True)
class Figure:
    """One figure of a publication (a region of a drawing sheet, or a whole image).

    Attributes:
        figure_id: Stable id, ``"<patent_id>-<sheet stem>-f<k>"``, safe as a file name.
        patent_id: Owning patent.
        caption: Caption as printed (``"FIG. 3"``), or ``""`` when none was found.
        figure_num: Normalised figure number (``"3"``, ``"1B"``), or ``""``.
        sheet: Source image file name.
        box: Integer pixel box of the figure on the upright sheet.
        rotation: Degrees clockwise that were applied to the sheet to make it upright.
        image: Path of the figure image, relative to the collection folder.
        split: How it was found: ``"caption"`` (split by captions), ``"whole-sheet"`` (sheet kept
            whole because it could not be split), or ``"single"`` (the image is one figure).
        kind: What it shows (``patimg.vocabulary.FigureKind``: ``"drawing"``, ``"diagram"``, ``"chart"``,
            ``"chemical"``, ``"table"``), told from its ink and text when it was read
            (:mod:`patimg.figures.kind`); ``""`` when it was not classified (stored before figures were).
    """

    figure_id: str
    patent_id: str
    caption: str = ""
    figure_num: str = ""
    sheet: str = ""
    box: tuple[int, int, int, int] = (0, 0, 0, 0)
    rotation: int = 0
    image: str = ""
    split: str = "single"
    kind: str = ""


@dataclass(frozen=True)
class SignMention:
    """A reference sign used in a sentence.

    Attributes:
        sign: The sign (``"14a"``).
        term: The noun phrase it names (``"hub"``), or ``""`` when none precedes it.
        start: Character offset of the sign in the sentence.
        end: End offset.
    """

    sign: str
    term: str
    start: int
    end: int


@dataclass(frozen=True)
class SignLink:
    """A reference sign on a figure and the sentences of its patent that use it.

    Attributes:
        figure_id: The figure.
        sign: The reference sign as read on the figure.
        term: Most frequent term the sign names in the text, or ``""``.
        sentence_indexes: Indexes (``Sentence.index``) of the sentences using the sign; empty when
            the sign is unlinked.
    """

    figure_id: str
    sign: str
    term: str = ""
    sentence_indexes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One search result.

    Attributes:
        figure_id: The figure found.
        patent_id: Its patent.
        caption: Its caption.
        score: Score under the requested channel / fusion rule (higher is better).
        scores: Per-channel scores (``{"visual": 0.81, "text": None}``); ``None`` where the channel
            did not find the figure.
        ranks: Per-channel 1-based ranks, ``None`` where not found.
        rank: 1-based rank in the result list.
        figure_kind: What the figure shows (:attr:`Figure.kind`), ``""`` when not classified.
    """

    figure_id: str
    patent_id: str
    caption: str
    score: float
    scores: dict[str, float | None] = field(default_factory=dict)
    ranks: dict[str, int | None] = field(default_factory=dict)
    rank: int = 0
    figure_kind: str = ""


@dataclass(frozen=True)
class PublicationLink:
    """A page outside PatImg where a publication can be read (see :mod:`patimg.publication_links`).

    Attributes:
        site: Who serves it (``"Espacenet"``, ``"Google Patents"``, ``"USPTO"``).
        url: The https address, safe to put in an ``href`` as it is (the id in it is percent-encoded).
    """

    site: str
    url: str
