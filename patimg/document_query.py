"""A publication as the query: the examiner's search for prior art *for an application* (issue 12).

:func:`search_document` reads a publication in any format ingest reads (USPTO ZIP or folder, EPO package, XML
with its images, a folder of images, one image) **without adding it to the collection**: its publication units are
found as ingest finds them, its sheets are split into figures and read as ingest reads them (the crops go to a
temporary folder, deleted afterwards), and each figure's reference signs are linked to the sentences of *its own*
description: the publication's, or a description given as text (``description``: pasted, or ``--description
FILE``), which replaces the publication's or supplies one where there is none (a drawing alone).
:func:`search_drawing` does the same for one drawing held in memory, and :func:`search_figures` for figures already
cut out and read (the figures and regions an examiner chose on an uploaded sheet: :mod:`patimg.sheet_query`).

Each figure then becomes one multimodal query, as in the reference paper: its visual vector from the collection's
visual encoder, and a text vector that is the normalised mean of the collection's text encoder's vectors of its
texts, picked by the rule that built the collection's text index (:mod:`patimg.figure_text`: its linked sentences;
without any, its own brief-description sentence and the publication's title). A figure with no text is searched
on the visual channel alone, and its notes say so.

Aggregation per patent (the documented rule, :func:`patimg.multi_query.aggregate_by_patent`): a patent's score is the **maximum, over the query figures, of
the fused score of its best-ranked figure** in that query figure's results; ties are broken by how many query
figures found the patent, then by patent id. Each patent lists its matching figures (every one of its figures
found by any query figure), each with its best score and the query figure that gave it, best first. Scores of
query figures with and without a text vector are compared as they come (a visual-only query's score is its
visual cosine), which favours neither: both are cosines in [-1, 1].

The query's own patent is left out of the results only when ``exclude_patent`` is true. Every figure's search is
logged under one ``search`` id when ``user`` is given, so the audit log shows them as one search.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patimg.errors import BadInputError
from patimg.figure_text import own_descriptions, publication_title
from patimg.multi_query import PatentMatch, aggregate_by_patent
from patimg.search import Searcher, SearchResult, SearchSettings, hits_to_json
from patimg.types import Figure, Label, ParsedDocument, Patent, SignLink


@dataclass
class QueryFigure:
    """One figure of the query publication and its results.

    Attributes:
        figure: The figure as ingest would make it (its ``image`` file is gone once the search returns).
        patent_id: The query publication it belongs to.
        signs: Reference signs read on it.
        links: Its signs with the sentences of its own description that use them.
        result: Its search result (hits, channels used, notes).
        sentences: The text of each sentence its links name, by sentence index.
        text_sentences: The texts averaged into its text vector (empty: searched visually).
        thumbnail: The figure as a small PNG (:func:`patimg.figures.rendering.thumbnail_png`), for reports.
    """

    figure: Figure
    patent_id: str
    signs: list[str]
    links: list[SignLink]
    result: SearchResult
    sentences: dict[int, str] = field(default_factory=dict)
    text_sentences: list[str] = field(default_factory=list)
    thumbnail: bytes = b""

    @property
    def linked_signs(self) -> list[str]:
        """Signs linked to at least one sentence of the query's own description."""
        return [link.sign for link in self.links if link.sentence_indexes]

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure.figure_id,
            "patent": self.patent_id,
            "caption": self.figure.caption,
            "signs": self.signs,
            "linked_signs": self.linked_signs,
            "text_sentences": self.text_sentences,
            "channels_used": self.result.channels_used,
            "notes": self.result.notes,
            "hits": hits_to_json(self.result.hits),
        }


@dataclass
class DocumentResult:
    """What :func:`search_document` returns: results per query figure and per patent."""

    query_patents: list[str] = field(default_factory=list)
    query_figures: list[QueryFigure] = field(default_factory=list)
    patents: list[PatentMatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON (``patimg search --document``)."""
        return {
            "query_patents": self.query_patents,
            "query_figures": [q.to_json() for q in self.query_figures],
            "patents": [p.to_json() for p in self.patents],
            "notes": self.notes,
        }


class _FigureFolder:
    """Where :func:`patimg.unit_ingest.read_figures` writes the crops: a temporary folder, not a collection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def figure_records(self, patent_id: str | None = None) -> list[Figure]:
        return []  # nothing is stored: every crop is temporary


def search_document(
    searcher: Searcher,
    path: str | Path,
    *,
    description: str | Path | None = None,
    settings: SearchSettings | None = None,
    exclude_patent: bool = False,
    user: str | None = None,
) -> DocumentResult:
    """Search the collection with every figure of a publication (not added to the collection).

    Args:
        searcher: The collection's searcher (its encoders make the query vectors; its OCR backend reads).
        path: USPTO ZIP or folder, EPO package (folder or ZIP), publication XML, image or folder of images.
        description: The publication's description as plain text (:mod:`patimg.documents.plain`), or a UTF-8 text
            file holding it: replaces the XML's sentences, or supplies them for drawings without XML. ``path``
            must then hold one publication.
        settings: Channel, fusion, k and filters of each figure's search (default fused ``avg``, k 50); their
            ``exclude_patent`` is replaced by this function's.
        exclude_patent: Leave the query publication's own patent out of the results.
        user: When given, each figure's search is written to the audit log under this name.

    Returns:
        Results per query figure and per patent (rule in the module docstring).

    Raises:
        BadInputError: The path holds no publication (or several, with a description), none of its drawings
            could be read, or the description is empty or not text.
    """
    from patimg.sources import find_publications

    settings = settings or SearchSettings()
    label = str(path)
    out = DocumentResult()
    given = _Description.of(description)
    with tempfile.TemporaryDirectory(prefix="patimg-document-") as temp:
        units, errors = find_publications([Path(path)], work_dir=Path(temp) / "work")
        if not units:
            problems = "; ".join(e.problem if e.source == label else str(e) for e in errors)
            raise BadInputError(label, problems or "no publication found")
        if given is not None and len(units) > 1:
            raise BadInputError(
                label, f"holds {len(units)} publications; a description goes with one of them"
            )
        out.notes.extend(f"skipped {e}" for e in errors)
        query = _Query(searcher, Path(temp) / "query", settings, exclude_patent, user, label, given)
        for unit in units:
            query.search_unit(unit, out)
    if not out.query_figures:
        raise BadInputError(label, "no figure could be read: " + ("; ".join(out.notes) or "no drawings"))
    out.patents = aggregate_by_patent(out.query_figures)
    return out


def search_drawing(
    searcher: Searcher,
    image,
    *,
    name: str = "drawing.png",
    description: str | Path | None = None,
    settings: SearchSettings | None = None,
    exclude_patent: bool = False,
    user: str | None = None,
) -> DocumentResult:
    """:func:`search_document` for one drawing held in memory (an upload), with its description if given.

    The drawing is split into its figures and read like a publication's sheet; with ``description``, the signs
    read on each figure are linked to its sentences. Without one, each figure is searched on its drawing alone
    and the result's notes say so.

    Args:
        image: The drawing (PIL image).
        name: Its file name (the query's id is ``QUERY-<name>``).
        description, settings, exclude_patent, user: As :func:`search_document`.
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(name).stem) or "drawing"
    with tempfile.TemporaryDirectory(prefix="patimg-drawing-") as temp:
        path = Path(temp) / f"{safe}.png"
        image.save(path, format="PNG")
        return search_document(
            searcher,
            path,
            description=description,
            settings=settings,
            exclude_patent=exclude_patent,
            user=user,
        )


def search_figures(
    searcher: Searcher,
    figures: Sequence[tuple[Figure, Any, Sequence[Label]]],
    *,
    source: str,
    description: str | Path | None = None,
    settings: SearchSettings | None = None,
    exclude_patent: bool = False,
    user: str | None = None,
) -> DocumentResult:
    """Search with figures already cut out and read (the figures and regions chosen on an uploaded sheet, see
    :mod:`patimg.sheet_query`), each one query figure as :func:`search_document` searches a publication's.

    Args:
        figures: Each figure (its ``patent_id`` the query's, its ``image`` a bare file name), its image (PIL),
            and the labels read on it (boxes on that image).
        source: What notes and the audit log call the query (the upload's file name).
        description, settings, exclude_patent, user: As :func:`search_document`.

    Raises:
        BadInputError: No figure given, the description is empty, or no channel of the collection can search.
    """
    if not figures:
        raise BadInputError(source, "choose at least one figure or region to search")
    settings = settings or SearchSettings()
    given = _Description.of(description)
    patent_id = figures[0][0].patent_id
    out = DocumentResult()
    with tempfile.TemporaryDirectory(prefix="patimg-figures-") as temp:
        for figure, image, _ in figures:
            image.save(Path(temp) / figure.image, format="PNG")
        document = _with_description(None, patent_id, given) if given is not None else None
        labels = {figure.figure_id: list(read) for figure, _, read in figures}
        query = _Query(searcher, Path(temp), settings, exclude_patent, user, source, given)
        query.search_figures(patent_id, source, document, [figure for figure, _, _ in figures], labels, out)
    if not out.query_figures:
        raise BadInputError(source, "the collection has no index these figures can be searched in")
    out.patents = aggregate_by_patent(out.query_figures)
    return out


@dataclass(frozen=True)
class _Description:
    """A description given with the query: its text and what messages call it (its file, or "description")."""

    text: str
    source: str

    @classmethod
    def of(cls, description: str | Path | None) -> _Description | None:
        from patimg.fileio import read_utf8_text

        if description is None:
            return None
        if isinstance(description, Path):
            return cls(read_utf8_text(description, "a description is a UTF-8 text file"), str(description))
        return cls(description, "description")

    def sha256(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class _Query:
    """One document query under way: what every publication unit of it shares."""

    def __init__(self, searcher, folder, settings, exclude_patent, user, label, description) -> None:
        from patimg.figure_text import recorded_rule

        self.searcher, self.folder = searcher, _FigureFolder(folder)
        self.settings, self.exclude_patent, self.user = settings, exclude_patent, user
        self.label, self.description = label, description
        self.rule = recorded_rule(searcher.infos.get("text", {}).get("encoder"))
        self.ocr = None
        # One id for every figure's entry in the audit log, so a search history shows them as one search.
        self.search_id = uuid.uuid4().hex[:12]

    def search_unit(self, unit, out: DocumentResult) -> None:
        """Read one publication unit's figures and search the collection with each of them."""
        from patimg.ocr import get_ocr
        from patimg.unit_ingest import drawing_refs, read_figures

        document = unit.read_document()
        out.notes.extend(f"{unit.source}: {note}" for note in unit.notes)
        patent_id = document.patent.patent_id if document else f"QUERY-{Path(unit.source).name}"
        if self.description is not None:
            document = _with_description(document, patent_id, self.description)
        if not unit.images:
            out.notes.append(f"{unit.source}: no drawings, nothing to search with")
            return
        self.ocr = self.ocr or get_ocr(self.searcher.ocr_name)
        unreadable: list[str] = []
        figures, labels = read_figures(
            collection=self.folder,
            patent_id=patent_id,
            drawings=drawing_refs(document, unit.images),
            ocr=self.ocr,
            problems=unreadable,
        )
        out.notes.extend(f"{unit.source}: {problem}" for problem in unreadable)
        self.search_figures(patent_id, unit.source, document, figures, labels, out)

    def search_figures(self, patent_id, source, document, figures, labels, out: DocumentResult) -> None:
        """Search the collection with each of a query publication's figures (images in :attr:`folder`)."""
        from patimg.unit_ingest import link_figures

        if not figures:
            return
        out.query_patents.append(patent_id)
        if document is None or not document.sentences:
            out.notes.append(
                f"{source}: no description (no publication text came with the drawings), so no sign "
                "read on them links to a sentence"
            )
        links = link_figures(document=document, figures=figures, labels=labels)
        filters = dataclasses.replace(
            self.settings.filters, exclude_patent=patent_id if self.exclude_patent else False
        )
        settings = dataclasses.replace(self.settings, filters=filters)
        for figure in figures:
            own = [link for link in links if link.figure_id == figure.figure_id]
            signs = list(
                dict.fromkeys(lab.text for lab in labels[figure.figure_id] if lab.kind == "reference")
            )
            query = QueryFigure(figure, patent_id, signs, own, SearchResult())
            searched = self._search_figure(query, document, settings)
            if searched is not None:
                out.query_figures.append(searched)

    def _search_figure(self, query: QueryFigure, document, settings: SearchSettings) -> QueryFigure | None:
        """``query`` (its figure, signs and links) searched; ``None`` when no channel of the collection can."""
        from PIL import Image

        from patimg.figure_text import CURRENT_RULE, figure_text_sentences, text_vector
        from patimg.figures.rendering import thumbnail_png

        searcher, figure = self.searcher, query.figure
        sentences = {s.index: s.text for s in (document.sentences if document else ())}
        linked = {i: sentences[i] for link in query.links for i in link.sentence_indexes if i in sentences}
        own_text = {
            "linked": [linked[i] for i in sorted(linked)],
            "descriptions": own_descriptions(
                document.figure_descriptions if document else {}, figure.figure_num
            ),
            "title": publication_title(document.patent if document else None),
        }
        texts = figure_text_sentences(**own_text, rule=self.rule)
        with Image.open(self.folder.path / figure.image) as opened:
            image = opened.convert("L")
        visual = searcher.encoder("visual").encode([image])[0] if "visual" in searcher.indexes else None
        text = text_vector(searcher.encoder("text"), texts) if texts and "text" in searcher.indexes else None
        if visual is None and text is None:
            return None
        logged = {"document": self.label, "figure": figure.figure_id, "search": self.search_id}
        if self.description is not None:
            logged["description"] = self.description.sha256()
        result = searcher.search_vectors(
            visual=visual, text=text, settings=settings, user=self.user, query=logged
        )
        if "text" in searcher.indexes and settings.channel != "visual":
            by_current_rule = figure_text_sentences(**own_text, rule=CURRENT_RULE)
            note = _text_note(figure.figure_id, texts, own_text, by_current_rule)
            if note:
                result.notes.insert(0, note)
        return dataclasses.replace(
            query, result=result, sentences=linked, text_sentences=texts, thumbnail=thumbnail_png(image)
        )


def _text_note(figure_id: str, texts: list[str], own_text: dict[str, Any], by_current_rule: list[str]) -> str:
    """What to tell the examiner about where a query figure's text came from (``""`` when from linked signs)."""
    if texts and own_text["linked"]:
        return ""
    if texts:
        used = [
            name
            for name, key in (("its brief description", "descriptions"), ("the title", "title"))
            if own_text[key]
        ]
        return f"figure {figure_id} has no sign linked to a description: its text is {' and '.join(used)}"
    if by_current_rule:
        return (
            f"figure {figure_id} has no sign linked to a description, and the collection's text index was built "
            "before figures without one were given their brief description and title (run `patimg index` on "
            "it): searched visually"
        )
    return (
        f"figure {figure_id} has no sign linked to a description, nor a brief description or title: "
        "searched visually"
    )


def _with_description(
    document: ParsedDocument | None, patent_id: str, description: _Description
) -> ParsedDocument:
    """The document with its sentences and figure descriptions read from ``description`` instead."""
    from patimg.documents.plain import parse_description

    patent = document.patent if document is not None else Patent(patent_id=patent_id)
    given = parse_description(description.text, patent=patent, source=description.source)
    if document is None:
        return given
    return dataclasses.replace(
        document, sentences=given.sentences, figure_descriptions=given.figure_descriptions
    )
