"""USPTO full-text XML: grants v2.5 (``PATDOC``), applications v1.5 (``patent-application-publication``)
and the v4.x grants / applications (``us-patent-grant``, ``us-patent-application``)."""

from __future__ import annotations

import re

from patimg.documents.text import (
    SentenceCollector,
    class_from_parts,
    element_text,
    first_text,
    is_drawings_heading,
    iso_date,
    local_name,
    normalise_class,
    patent_id,
    raw_text,
    unique,
)
from patimg.types import DrawingRef, ParsedDocument, Patent

_SHEET_FILE = re.compile(r"-D\d{5}\.TIF+$", re.I)


def _finish(patent: Patent, collector: SentenceCollector, drawings: list[DrawingRef]) -> ParsedDocument:
    collector.captions_from_description()
    return ParsedDocument(
        patent=patent,
        sentences=tuple(collector.sentences),
        figure_descriptions=dict(collector.figure_descriptions),
        drawings=tuple(dict.fromkeys(drawings)),
    )


def _person_or_org(addressbook) -> str:
    org = first_text(addressbook, ["orgname", ".//orgname", "organization-name", ".//organization-name"])
    if org:
        return org
    first = first_text(addressbook, ["first-name", ".//first-name", ".//given-name"])
    last = first_text(addressbook, ["last-name", ".//last-name", ".//family-name"])
    return " ".join(p for p in (first, last) if p)


# ---- v4.x ----------------------------------------------------------------------------------------


def parse_v4(root, source: str, *, include_claims: bool = True) -> ParsedDocument:
    """Read a ``us-patent-grant`` / ``us-patent-application`` (v4.0 to v4.7)."""
    biblio = root.find("us-bibliographic-data-grant")
    if biblio is None:
        biblio = root.find("us-bibliographic-data-application")
    if biblio is None:
        biblio = root
    doc_id = biblio.find("publication-reference/document-id")
    country = first_text(doc_id, ["country"]) if doc_id is not None else ""
    number = first_text(doc_id, ["doc-number"]) if doc_id is not None else ""
    kind = first_text(doc_id, ["kind"]) if doc_id is not None else ""
    date = first_text(doc_id, ["date"]) if doc_id is not None else ""
    country = country or root.get("country", "US")
    number = number or root.get("file", "").split("-")[0]
    kind = kind or root.get("kind", "")
    date = date or root.get("date-publ", "")

    names = [_person_or_org(book) for book in biblio.iterfind(".//us-applicant/addressbook")]
    names += [_person_or_org(book) for book in biblio.iterfind(".//applicants/applicant/addressbook")]
    names += [
        _person_or_org(a.find("addressbook") if a.find("addressbook") is not None else a)
        for a in biblio.iterfind(".//assignees/assignee")
    ]

    ipc = [
        class_from_parts(
            *(first_text(c, [p]) for p in ("section", "class", "subclass", "main-group", "subgroup"))
        )
        for c in biblio.iterfind(".//classifications-ipcr/classification-ipcr")
    ]
    for path in (".//classification-ipc/main-classification", ".//classification-ipc/further-classification"):
        ipc += [normalise_class(raw_text(e)) for e in biblio.iterfind(path)]
    cpc = [
        class_from_parts(
            *(first_text(c, [p]) for p in ("section", "class", "subclass", "main-group", "subgroup"))
        )
        for c in biblio.iterfind(".//classifications-cpc//classification-cpc")
    ]
    pid = patent_id(country or "US", number, kind)
    patent = Patent(
        patent_id=pid,
        office=(country or "US").upper(),
        number=number,
        kind=kind,
        date=iso_date(date),
        title=first_text(biblio, ["invention-title", ".//invention-title"]),
        abstract=" ".join(element_text(a) for a in root.iterfind("abstract")),
        applicants=unique(names),
        ipc=unique(ipc),
        cpc=unique(cpc),
        language=(root.get("lang") or "en").lower(),
        source=source,
    )
    collector = SentenceCollector(pid)
    description = root.find("description")
    if description is not None:
        _walk_v4_description(description, collector, section="description")
    if include_claims:
        for claim in root.iterfind("claims/claim"):
            collector.add_paragraph(element_text(claim), "claims")
    drawings = [
        DrawingRef(file=img.get("file", ""), kind="sheet")
        for img in root.iterfind("drawings/figure/img")
        if img.get("file")
    ]
    return _finish(patent, collector, drawings)


def _walk_v4_description(container, collector: SentenceCollector, *, section: str) -> str:
    """Walk description blocks in order; the drawings section is marked by ``<description-of-drawings>``,
    by ``<?brief-description-of-drawings end="lead"?>`` ... ``end="tail"`` or by its heading."""
    current = section
    for child in container:
        if not isinstance(child.tag, str):
            target = getattr(child, "target", "")
            if target == "brief-description-of-drawings":
                current = "drawings" if 'end="lead"' in (child.text or "") else "description"
            continue
        tag = local_name(child)
        if tag == "heading":
            if section == "description":
                current = "drawings" if is_drawings_heading(element_text(child)) else "description"
        elif tag == "description-of-drawings":
            _walk_v4_description(child, collector, section="drawings")
            current = section
        elif tag in {"p", "paragraph"}:
            collector.add_paragraph(element_text(child), current)
    return current


# ---- v1.5 applications ---------------------------------------------------------------------------


def parse_v15(root, source: str, *, unparsed: dict[str, str], include_claims: bool = True) -> ParsedDocument:
    """Read a ``patent-application-publication`` (pre-grant publications 2001-2004, DTD v1.5)."""
    doc_id = root.find("subdoc-bibliographic-information/document-id")
    number = first_text(doc_id, ["doc-number"]) if doc_id is not None else ""
    kind = first_text(doc_id, ["kind-code"]) if doc_id is not None else ""
    date = first_text(doc_id, ["document-date"]) if doc_id is not None else ""
    biblio = root.find("subdoc-bibliographic-information")
    biblio = biblio if biblio is not None else root
    names = [_person_or_org(a) for a in biblio.iterfind(".//assignee")]
    ipc = [normalise_class(raw_text(e)) for e in biblio.iterfind(".//classification-ipc//ipc")]
    pid = patent_id("US", number, kind)
    patent = Patent(
        patent_id=pid,
        office="US",
        number=number,
        kind=kind,
        date=iso_date(date),
        title=first_text(biblio, [".//title-of-invention"]),
        abstract=" ".join(element_text(p) for p in root.iterfind("subdoc-abstract//paragraph")),
        applicants=unique(names),
        ipc=unique(ipc),
        language="en",
        source=source,
    )
    collector = SentenceCollector(pid)
    description = root.find("subdoc-description")
    if description is not None:
        _walk_sections(
            description,
            collector,
            "description",
            heading_tag="heading",
            paragraph_tag="paragraph",
            drawings_tag="brief-description-of-drawings",
        )
    if include_claims:
        for claim in root.iterfind("subdoc-claims/claim"):
            collector.add_paragraph(element_text(claim), "claims")
    drawings = [
        DrawingRef(file=i.get("file", ""), kind="sheet")
        for i in root.iterfind("subdoc-drawings//image")
        if i.get("file")
    ]
    if not drawings:
        drawings = [DrawingRef(file=f, kind="sheet") for f in unparsed.values() if _SHEET_FILE.search(f)]
    return _finish(patent, collector, drawings)


def _walk_sections(
    element,
    collector: SentenceCollector,
    section: str,
    *,
    heading_tag: str,
    paragraph_tag: str,
    drawings_tag: str,
) -> None:
    """Recursive walk for the v1.5 / v2.5 layouts: containers hold headings and paragraphs."""
    current = section
    for child in element:
        tag = local_name(child)
        if not tag:
            continue
        if tag == drawings_tag:
            _walk_sections(
                child,
                collector,
                "drawings",
                heading_tag=heading_tag,
                paragraph_tag=paragraph_tag,
                drawings_tag=drawings_tag,
            )
        elif tag == heading_tag:
            if section == "description":
                current = "drawings" if is_drawings_heading(element_text(child)) else "description"
        elif tag == paragraph_tag:
            collector.add_paragraph(element_text(child), current)
        else:
            _walk_sections(
                child,
                collector,
                current,
                heading_tag=heading_tag,
                paragraph_tag=paragraph_tag,
                drawings_tag=drawings_tag,
            )


# ---- v2.5 grants (PATDOC) ------------------------------------------------------------------------


def parse_v25(root, source: str, *, unparsed: dict[str, str], include_claims: bool = True) -> ParsedDocument:
    """Read a ``PATDOC`` grant (2002-2004, ST.32 SGML-style upper-case tags, DTD v2.5)."""
    b100 = root.find("SDOBI/B100")
    b100 = b100 if b100 is not None else root
    number = first_text(b100, ["B110"])
    kind = first_text(b100, ["B130"])
    date = first_text(b100, ["B140"])
    country = first_text(b100, ["B190"]) or "US"
    biblio = root.find("SDOBI")
    biblio = biblio if biblio is not None else root
    names = []
    for party in biblio.iterfind(".//B730//NAM"):
        org = first_text(party, ["ONM"])
        names.append(
            org or " ".join(p for p in (first_text(party, ["FNM"]), first_text(party, ["SNM"])) if p)
        )
    ipc = [normalise_class(raw_text(e)) for path in ("B511", "B512") for e in biblio.iterfind(f".//{path}")]
    pid = patent_id(country, number, kind)
    patent = Patent(
        patent_id=pid,
        office=country.upper(),
        number=number,
        kind=kind,
        date=iso_date(date),
        title=first_text(biblio, [".//B540"]),
        abstract=" ".join(element_text(p) for p in root.iterfind("SDOAB//PARA")),
        applicants=unique(names),
        ipc=unique(ipc),
        language="en",
        source=source,
    )
    collector = SentenceCollector(pid)
    description = root.find("SDODE")
    if description is not None:
        _walk_sections(
            description,
            collector,
            "description",
            heading_tag="H",
            paragraph_tag="PARA",
            drawings_tag="DRWDESC",
        )
    if include_claims:
        for claim in root.iterfind("SDOCL//CLM"):
            collector.add_paragraph(element_text(claim), "claims")
    drawings = [
        DrawingRef(file=e.get("FILE", ""), kind="sheet")
        for e in root.iterfind(".//EMI")
        if _SHEET_FILE.search(e.get("FILE", ""))
    ]
    if not drawings:
        drawings = [DrawingRef(file=f, kind="sheet") for f in unparsed.values() if _SHEET_FILE.search(f)]
    return _finish(patent, collector, drawings)
