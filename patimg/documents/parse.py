"""Parse one publication XML: detect its kind by the root element and hand it to the office's parser."""

from __future__ import annotations

from pathlib import Path

from patimg.documents.roots import SUPPORTED_ROOTS
from patimg.documents.xmlsafe import read_safe_xml
from patimg.errors import BadInputError
from patimg.types import ParsedDocument


def parse_publication(
    source: str | Path, *, data: bytes | None = None, include_claims: bool = True
) -> ParsedDocument:
    """Parse one USPTO or EPO publication XML.

    Args:
        source: Path of the XML file; when ``data`` is given, only the name used in messages and
            recorded as ``Patent.source``.
        data: The XML bytes, when already in memory.
        include_claims: Also return the claims as sentences with ``section="claims"``.

    Returns:
        Bibliography, sentences (description, then ``"drawings"`` for the brief description of the
        drawings in document order, then claims; indexes 0..n-1), figure captions by figure number
        and the images the document names.

    Raises:
        BadInputError: Empty, unreadable, not XML, malformed, hostile (external entities, entity
            bombs, too big) or an unknown kind of document; the message names ``source``.
    """
    from patimg.documents import epo, uspto
    from patimg.documents.text import local_name

    name = str(source)
    parsed = read_safe_xml(source, data=data)
    root = parsed.root
    tag = local_name(root)
    try:
        if tag == "PATDOC":
            document = uspto.parse_v25(
                root, name, unparsed=parsed.unparsed_entities, include_claims=include_claims
            )
        elif tag == "patent-application-publication":
            document = uspto.parse_v15(
                root, name, unparsed=parsed.unparsed_entities, include_claims=include_claims
            )
        elif tag in ("us-patent-grant", "us-patent-application"):
            document = uspto.parse_v4(root, name, include_claims=include_claims)
        elif tag == "ep-patent-document":
            document = epo.parse_ep(root, name, include_claims=include_claims)
        else:
            raise BadInputError(
                name,
                f"unknown kind of XML document (root element <{tag}>); expected one of {', '.join(SUPPORTED_ROOTS)}",
            )
    except BadInputError:
        raise
    except (AttributeError, ValueError, TypeError) as error:
        raise BadInputError(name, f"unexpected {tag} structure: {error}") from error
    if not document.patent.patent_id or not document.patent.number:
        raise BadInputError(name, f"<{tag}> document without a publication number")
    return document
