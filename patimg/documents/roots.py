"""Which office's publication an XML file is, told by its root element without parsing the file."""

from __future__ import annotations

import re
from pathlib import Path

#: Root elements of USPTO publications: grants v2.5, applications v1.5, v4.x grants and applications.
US_ROOTS = ("PATDOC", "patent-application-publication", "us-patent-grant", "us-patent-application")
#: Root element of EPO publications (DTD v1.0 to v1.5.1).
EP_ROOTS = ("ep-patent-document",)
#: Root elements :func:`patimg.documents.parse_publication` reads.
SUPPORTED_ROOTS = US_ROOTS + EP_ROOTS

#: How much of an XML file is read to find its root element.
XML_HEAD_BYTES = 256 * 1024

_ROOT_TAG = re.compile(rb"<(?![?!/])([A-Za-z_][\w.\-:]*)")


def xml_root_tag(path: Path) -> str:
    """Root element name of an XML file, read from its first 256 KiB; ``""`` when none is found or unreadable."""
    try:
        return root_tag(path)
    except OSError:
        return ""


def root_tag(path: Path) -> str:
    """:func:`xml_root_tag`, raising ``OSError`` for a file that cannot be read (so it can be reported)."""
    with open(path, "rb") as handle:
        return head_root_tag(handle.read(XML_HEAD_BYTES))


def head_root_tag(head: bytes) -> str:
    """Root element name found in the first :data:`XML_HEAD_BYTES` of an XML file, ``""`` when none."""
    match = _ROOT_TAG.search(head[:XML_HEAD_BYTES])
    return match.group(1).decode("ascii", "replace") if match else ""


def xml_head_kind(head: bytes) -> str:
    """``"uspto"``, ``"epo"`` or ``""`` for the first :data:`XML_HEAD_BYTES` of an XML file."""
    return publication_kind(head_root_tag(head))


def publication_kind(root: str) -> str:
    """``"uspto"`` or ``"epo"`` for a publication's root element, else ``""``."""
    if root in US_ROOTS:
        return "uspto"
    if root in EP_ROOTS:
        return "epo"
    return ""
