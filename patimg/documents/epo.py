"""EPO publication-server XML (``ep-patent-document``, DTD v1.0 to v1.5.1, A and B documents)."""

from __future__ import annotations

import re

from patimg.documents.text import (
    SentenceCollector,
    element_text,
    first_text,
    is_drawings_heading,
    iso_date,
    leading_figure_numbers,
    local_name,
    normalise_class,
    patent_id,
    raw_text,
    unique,
)
from patimg.figure_numbers import normalise_figure_number
from patimg.types import DrawingRef, ParsedDocument, Patent


def _in_language(elements: list, language: str) -> list:
    """The elements in the document language; else the English ones; else all of them."""
    for lang in (language, "en"):
        chosen = [e for e in elements if (e.get("lang") or "").lower() == lang]
        if chosen:
            return chosen
    return elements


def _title(root, language: str) -> str:
    b540 = root.find("SDOBI/B500/B540")
    if b540 is None:
        b540 = root.find(".//B540")
    if b540 is None:
        return ""
    titles: dict[str, str] = {}
    current = ""
    for child in b540:
        tag = local_name(child)
        if tag == "B541":
            current = element_text(child).lower()
        elif tag == "B542":
            titles.setdefault(current, element_text(child))
    return titles.get(language) or titles.get("en") or next(iter(titles.values()), "")


def parse_ep(root, source: str, *, include_claims: bool = True) -> ParsedDocument:
    """Read an ``ep-patent-document``.

    Drawings: each ``<figure>`` of ``<drawings>`` is one image (``imgfNNNN.tif``) and the abstract
    figure (``imgafNNN.tif``) comes as kind ``"abstract"``. ``<figure num="...">`` gives the figure
    number, but the EPO often leaves it empty. Then the number is derived from the figure order
    (``f0003`` -> ``"3"``) only when the document describes exactly as many figures as it has images;
    when it describes more figures than images (EP1667425: 12 figures on 8 images, "Fig. 2" and
    "Fig. 3" share ``imgf0002.tif``) an image may hold several figures, so it is returned as kind
    ``"sheet"`` with no number, to be split by its printed captions like a US drawing sheet.
    """
    language = (root.get("lang") or "").lower()
    country = root.get("country") or first_text(root, ["SDOBI/B100/B190"]) or "EP"
    number = root.get("doc-number") or first_text(root, ["SDOBI/B100/B110"])
    kind = root.get("kind") or first_text(root, ["SDOBI/B100/B130"])
    date = root.get("date-publ") or first_text(root, ["SDOBI/B100/B140"])
    biblio = root.find("SDOBI")
    biblio = biblio if biblio is not None else root
    names = [first_text(p, ["snm"]) for p in biblio.iterfind(".//B710/B711")]
    names += [first_text(p, ["snm"]) for p in biblio.iterfind(".//B730/B731")]
    ipc = [normalise_class(raw_text(t)) for t in biblio.iterfind(".//classification-ipcr/text")]
    ipc += [
        normalise_class(raw_text(e)) for e in biblio.iter() if re.fullmatch(r"B51[1-9]", local_name(e) or "")
    ]
    pid = patent_id(country, number, kind)
    abstracts = _in_language(list(root.iterfind("abstract")), language)
    patent = Patent(
        patent_id=pid,
        office=country.upper(),
        number=number,
        kind=kind,
        date=iso_date(date),
        title=_title(root, language),
        abstract=" ".join(element_text(a) for a in abstracts),
        applicants=unique(names),
        ipc=unique(ipc),
        language=language,
        source=source,
    )
    collector = SentenceCollector(pid)
    for description in _in_language(list(root.iterfind("description")), language)[:1]:
        _walk_description(description, collector)
    if include_claims:
        for claims in _in_language(list(root.iterfind("claims")), language)[:1]:
            for claim in claims.iterfind("claim"):
                collector.add_paragraph(element_text(claim), "claims")
    collector.captions_from_description()
    return ParsedDocument(
        patent=patent,
        sentences=tuple(collector.sentences),
        figure_descriptions=dict(collector.figure_descriptions),
        drawings=tuple(dict.fromkeys(_drawings(root, abstracts, collector.figure_descriptions))),
    )


def _walk_description(description, collector: SentenceCollector) -> None:
    section = "description"
    for child in description:
        tag = local_name(child)
        if tag == "heading":
            section = "drawings" if is_drawings_heading(element_text(child)) else "description"
        elif tag == "p":
            items = list(child.iterfind(".//li"))
            terms = list(child.iterfind(".//dt"))
            if terms:
                # "<dt>Fig. 1:</dt><dd>Schematische Darstellung ...</dd>": one entry per term; a list of
                # figures is the brief description of the drawings whatever heading precedes it.
                for term in terms:
                    definition = term.getnext()
                    text = element_text(term)
                    if definition is not None and local_name(definition) == "dd":
                        text = f"{text} {element_text(definition)}"
                    collector.add_paragraph(text, "drawings" if leading_figure_numbers(text) else section)
            elif items:
                # A list of figures ("FIG. 1 is ...;" per <li>): one entry per item, plus any text around it.
                for item in items:
                    collector.add_paragraph(element_text(item), section)
            else:
                collector.add_paragraph(element_text(child), section)


def _drawings(root, abstracts: list, figure_descriptions: dict[str, str]) -> list[DrawingRef]:
    refs: list[DrawingRef] = []
    for abstract in abstracts:
        refs += [
            DrawingRef(file=i.get("file"), kind="abstract")
            for i in abstract.iterfind(".//img")
            if i.get("file")
        ]
    figures = [f for drawings in root.iterfind("drawings") for f in drawings.iterfind("figure")]
    described = len(figure_descriptions)
    per_image = not figure_descriptions or described == len(figures)
    for position, figure in enumerate(figures, start=1):
        num = (figure.get("num") or "").strip()
        if num:
            figure_num, kind = normalise_figure_number(num), "figure"
        elif per_image:
            id_digits = re.sub(r"\D", "", figure.get("id") or "")
            figure_num, kind = (str(int(id_digits)) if id_digits else str(position)), "figure"
        else:
            figure_num, kind = "", "sheet"
        refs += [
            DrawingRef(file=i.get("file"), kind=kind, figure_num=figure_num)
            for i in figure.iterfind("img")
            if i.get("file")
        ]
    return refs
