"""A publication as the query: the examiner's search for prior art *for an application* (issue 12).

:func:`search_document` reads a publication in any format ingest reads (USPTO ZIP or folder, EPO package, XML
with its images, a folder of images) **without adding it to the collection**: its publication units are found
as ingest finds them, its sheets are split into figures and read as ingest reads them (the crops go to a
temporary folder, deleted afterwards), and each figure's reference signs are linked to the sentences of *its
own* description. Each figure then becomes one multimodal query, as in the reference paper: its visual vector
from the collection's visual encoder, and a text vector that is the normalised mean of the collection's text
encoder's vectors of its linked sentences (:func:`patimg.encoders.text.mean_text_vector`, the rule that built
the collection's text index). A figure with no linked sentence is searched on the visual channel alone, and
its notes say so.

Aggregation per patent (the documented rule): a patent's score is the **maximum, over the query figures, of
the fused score of its best-ranked figure** in that query figure's results; ties are broken by how many query
figures found the patent, then by patent id. Each patent lists its matching figures (every one of its figures
found by any query figure), each with its best score and the query figure that gave it, best first. Scores of
query figures with and without a text vector are compared as they come (a visual-only query's score is its
visual cosine), which favours neither: both are cosines in [-1, 1].

The query's own patent is left out of the results only when ``exclude_patent`` is true.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patimg.errors import BadInputError
from patimg.search import Searcher, SearchResult, SearchSettings, hits_to_json
from patimg.types import Figure, SignLink


@dataclass
class QueryFigure:
    """One figure of the query publication and its results.

    Attributes:
        figure: The figure as ingest would make it (its ``image`` is gone once the search returns).
        patent_id: The query publication it belongs to.
        signs: Reference signs read on it.
        links: Its signs with the sentences of its own description that use them.
        result: Its search result (hits, channels used, notes).
    """

    figure: Figure
    patent_id: str
    signs: list[str]
    links: list[SignLink]
    result: SearchResult

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
            "channels_used": self.result.channels_used,
            "notes": self.result.notes,
            "hits": hits_to_json(self.result.hits),
        }


@dataclass
class PatentMatch:
    """One patent of the collection, ranked by the aggregation rule of this module's docstring.

    Attributes:
        patent_id: The patent.
        score: Max over query figures of the fused score of the patent's best figure.
        figures: ``{"figure_id", "caption", "score", "query_figure"}`` for each of its matching figures, best
            first.
    """

    patent_id: str
    score: float
    figures: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"patent": self.patent_id, "score": self.score, "figures": self.figures}


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
    """Where :func:`patimg.ingest.read_figures` writes the crops: a temporary folder, not a collection."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def figure_records(self, patent_id: str | None = None) -> list[Figure]:
        return []  # nothing is stored: every crop is temporary


def search_document(
    searcher: Searcher,
    path: str | Path,
    *,
    settings: SearchSettings | None = None,
    exclude_patent: bool = False,
    user: str | None = None,
) -> DocumentResult:
    """Search the collection with every figure of a publication (not added to the collection).

    Args:
        searcher: The collection's searcher (its encoders make the query vectors; its OCR backend reads).
        path: USPTO ZIP or folder, EPO package (folder or ZIP), publication XML, image or folder of images.
        settings: Channel, fusion, k and filters of each figure's search (default fused ``avg``, k 50); their
            ``exclude_patent`` is replaced by this function's.
        exclude_patent: Leave the query publication's own patent out of the results.
        user: When given, each figure's search is written to the audit log under this name.

    Returns:
        Results per query figure and per patent (rule in the module docstring).

    Raises:
        BadInputError: The path holds no publication, or none of its drawings could be read.
    """
    from patimg.ingest import drawing_refs, link_figures, read_figures
    from patimg.ocr import get_ocr
    from patimg.sources import find_publications

    settings = settings or SearchSettings()
    label = str(path)
    out = DocumentResult()
    with tempfile.TemporaryDirectory(prefix="patimg-document-") as temp:
        units, errors = find_publications([Path(path)], work_dir=Path(temp) / "work")
        if not units:
            problems = "; ".join(e.problem if e.source == label else str(e) for e in errors)
            raise BadInputError(label, problems or "no publication found")
        out.notes.extend(f"skipped {e}" for e in errors)
        folder = _FigureFolder(Path(temp) / "query")
        ocr = None
        for unit in units:
            document = unit.read_document()
            out.notes.extend(f"{unit.source}: {note}" for note in unit.notes)
            patent_id = document.patent.patent_id if document else f"QUERY-{Path(unit.source).name}"
            if not unit.images:
                out.notes.append(f"{unit.source}: no drawings, nothing to search with")
                continue
            ocr = ocr or get_ocr(searcher.ocr_name)
            unreadable: list[str] = []
            figures, labels = read_figures(
                collection=folder,
                patent_id=patent_id,
                drawings=drawing_refs(document, unit.images),
                ocr=ocr,
                problems=unreadable,
            )
            out.notes.extend(f"{unit.source}: {problem}" for problem in unreadable)
            if not figures:
                continue
            out.query_patents.append(patent_id)
            links = link_figures(document=document, figures=figures, labels=labels)
            sentences = {s.index: s.text for s in (document.sentences if document else ())}
            unit_settings = dataclasses.replace(
                settings,
                filters=dataclasses.replace(
                    settings.filters, exclude_patent=patent_id if exclude_patent else False
                ),
            )
            for figure in figures:
                own = [link for link in links if link.figure_id == figure.figure_id]
                signs = list(
                    dict.fromkeys(lab.text for lab in labels[figure.figure_id] if lab.kind == "reference")
                )
                visual, text = _query_vectors(searcher, folder.path / figure.image, own, sentences)
                if visual is None and text is None:
                    continue
                result = searcher.search_vectors(
                    visual=visual,
                    text=text,
                    settings=unit_settings,
                    user=user,
                    query={"document": label, "figure": figure.figure_id},
                )
                if text is None and "text" in searcher.indexes and settings.channel != "visual":
                    result.notes.insert(
                        0,
                        f"figure {figure.figure_id} has no sign linked to its description: searched visually",
                    )
                out.query_figures.append(QueryFigure(figure, patent_id, signs, own, result))
    if not out.query_figures:
        raise BadInputError(label, "no figure could be read: " + ("; ".join(out.notes) or "no drawings"))
    out.patents = aggregate_by_patent(out.query_figures)
    return out


def _query_vectors(
    searcher: Searcher, image_path: Path, links: list[SignLink], sentences: dict[int, str]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A query figure's visual vector and the normalised mean of its linked sentences' text vectors."""
    from PIL import Image

    from patimg.encoders.text import mean_text_vector

    visual = text = None
    if "visual" in searcher.indexes:
        with Image.open(image_path) as image:
            visual = searcher.encoder("visual").encode([image.convert("L")])[0]
    indexes = sorted({i for link in links for i in link.sentence_indexes if i in sentences})
    if indexes and "text" in searcher.indexes:
        text = mean_text_vector(searcher.encoder("text").encode([sentences[i] for i in indexes]))
    return visual, text


def aggregate_by_patent(query_figures: list[QueryFigure]) -> list[PatentMatch]:
    """Rank the patents found by the query figures (the rule is in this module's docstring)."""
    best: dict[str, dict[str, dict[str, Any]]] = {}  # patent -> figure -> best entry
    found_by: dict[str, set[str]] = {}
    for query in query_figures:
        for hit in query.result.hits:
            found_by.setdefault(hit.patent_id, set()).add(query.figure.figure_id)
            entries = best.setdefault(hit.patent_id, {})
            entry = entries.get(hit.figure_id)
            if entry is None or hit.score > entry["score"]:
                entries[hit.figure_id] = {
                    "figure_id": hit.figure_id,
                    "caption": hit.caption,
                    "score": hit.score,
                    "query_figure": query.figure.figure_id,
                }
    matches = []
    for patent_id, entries in best.items():
        figures = sorted(entries.values(), key=lambda e: (-e["score"], e["figure_id"]))
        matches.append(PatentMatch(patent_id, figures[0]["score"], figures))
    matches.sort(key=lambda m: (-m.score, -len(found_by[m.patent_id]), m.patent_id))
    return matches
