"""Read untrusted publication XML safely: no external entities, no entity bombs, no DTD fetching.

Patent XML declares a DTD the parser must never fetch, and USPTO files use character entities
(``&mdash;``) that only that DTD defines, plus unparsed ``NDATA`` entities naming the drawing images
(grants v2.5, applications v1.5). So instead of letting the parser process the document type declaration:

1. the input is size-checked and decoded per its XML declaration;
2. the ``<!DOCTYPE ...>`` block is cut out. Its internal subset may declare only unparsed image entities
   (``<!ENTITY name SYSTEM "file" NDATA TIF>``, kept as a name -> file map); any other entity declaration
   is refused with BadInputError: external text entities (XXE), parameter entities, and internal text
   entities. Patent XML never declares the latter, and expanding them is what entity bombs are made of:
   nested ones grow exponentially (billion laughs) and even one long entity used many times grows
   quadratically (a 0.6 MB file with a 10,000-character entity used 200,000 times became 2 GB of text);
3. named entity references are replaced by their characters (HTML5 / ISO tables); unknown names become
   U+FFFD so a document never fails on an undeclared character entity;
4. what remains has no DTD at all and is parsed by lxml with entity resolution, DTD loading and the
   network off and ``huge_tree`` off, as a second line of defence.
"""

from __future__ import annotations

import codecs
import html.entities
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from patimg.errors import BadInputError

#: Largest XML accepted (bytes). Real grants with sequence listings reach ~100 MB; the biggest here is 2 MB.
MAX_XML_BYTES = 256 * 1024 * 1024

log = logging.getLogger(__name__)
_NEXT_DOCUMENT = re.compile(r"<\?xml\s+version")
_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z_][\w.\-]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)")
_XML_PREDEFINED = {"amp", "lt", "gt", "quot", "apos"}
# ISO 8879 Greek entities (ISOgrk1) used by old USPTO text, absent from the HTML5 table.
_ISO_GREEK = dict(
    zip(
        "agr bgr ggr dgr egr zgr eegr thgr igr kgr lgr mgr ngr xgr ogr pgr rgr sgr sfgr tgr ugr phgr khgr psgr ohgr".split(),
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        strict=True,
    )
)
_ISO_GREEK.update(
    {name[0].upper() + name[1:]: char.upper() for name, char in _ISO_GREEK.items() if name != "sfgr"}
)
_ISO_GREEK.update({"EEgr": "Η", "THgr": "Θ", "PHgr": "Φ", "KHgr": "Χ", "PSgr": "Ψ", "OHgr": "Ω"})

_ENTITY_REF = re.compile(r"&([A-Za-z_][\w.\-]*);")
_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_ENTITY_DECL = re.compile(r"<!ENTITY\s+(%\s+)?([^\s]+)\s+(.*?)>", re.S)
_NDATA_DECL = re.compile(
    r"""^(?:SYSTEM\s+["']([^"']*)["']|PUBLIC\s+["'][^"']*["']\s+["']([^"']*)["'])\s+NDATA\s+\S+\s*$""", re.S
)


@dataclass(frozen=True)
class SafeXml:
    """A parsed publication.

    Attributes:
        root: The root element (lxml).
        unparsed_entities: Image entities declared in the internal DTD subset, name to file name.
    """

    root: object
    unparsed_entities: dict[str, str] = field(default_factory=dict)


def _decode(source: str, raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    match = _XML_DECL.match(raw.lstrip()[:300])
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise BadInputError(source, f"unknown XML encoding {encoding!r}") from error
    try:
        return raw.decode(encoding, errors="strict")
    except UnicodeDecodeError as error:
        raise BadInputError(
            source, f"not XML text: bytes invalid in {encoding} at offset {error.start}"
        ) from error


def _find_doctype(source: str, text: str) -> tuple[int, int, str]:
    """Locate ``<!DOCTYPE ...>``; returns (start, end, internal subset) or (-1, -1, "")."""
    # Only the prolog may hold the declaration: skip white space, comments and processing instructions
    # (a "<!DOCTYPE" inside a comment must not hide the real one).
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if text.startswith("<!--", start):
            close = text.find("-->", start + 4)
            if close < 0:
                raise BadInputError(source, "malformed XML: unterminated comment")
            start = close + 3
        elif text.startswith("<?", start):
            close = text.find("?>", start + 2)
            if close < 0:
                raise BadInputError(source, "malformed XML: unterminated processing instruction")
            start = close + 2
        else:
            break
    if not text.startswith("<!DOCTYPE", start):
        return -1, -1, ""
    position = start + len("<!DOCTYPE")
    quote = ""
    subset_start = -1
    while position < len(text):
        char = text[position]
        if quote:
            if char == quote:
                quote = ""
        elif subset_start < 0:
            if char in "\"'":
                quote = char
            elif char == "[":
                subset_start = position + 1
            elif char == ">":
                return start, position + 1, ""
        else:
            if char in "\"'":
                quote = char
            elif text.startswith("<!--", position):
                close = text.find("-->", position + 4)
                if close < 0:
                    break
                position = close + 2
            elif char == "]":
                rest = text[position + 1 :].lstrip()
                if rest.startswith(">"):
                    end = len(text) - len(rest) + 1
                    return start, end, text[subset_start:position]
        position += 1
    raise BadInputError(source, "malformed XML: unterminated <!DOCTYPE> declaration")


def _read_subset(source: str, subset: str) -> dict[str, str]:
    """The internal subset's unparsed image entities, name to file; any other entity declaration is refused."""
    unparsed: dict[str, str] = {}
    for match in _ENTITY_DECL.finditer(subset):
        is_parameter, name, body = match.group(1), match.group(2), match.group(3).strip()
        if is_parameter:
            raise BadInputError(
                source, f"refused: declares parameter entity %{name} (DTD entities are not processed)"
            )
        ndata = _NDATA_DECL.match(body)
        if ndata:
            unparsed[name] = ndata.group(1) or ndata.group(2) or ""
            continue
        if body.startswith(("SYSTEM", "PUBLIC")):
            raise BadInputError(
                source, f"refused: external entity &{name}; (external entities are never resolved)"
            )
        raise BadInputError(
            source,
            f"refused: its DTD declares the internal entity &{name}; (patent XML declares none; "
            "entity expansion is never done, so that no document can blow up in memory)",
        )
    return unparsed


def _replace_entities(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        char = html.entities.html5.get(name + ";") or _ISO_GREEK.get(name)
        return _escape(char) if char else "\ufffd"

    return _ENTITY_REF.sub(replace, text)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;")


def _recover_complete_document(encoded: bytes, text: str, error: Exception, name: str):
    """Re-read a document that is complete but has a local defect (a stray ``<`` in a heading of a
    real EPO file); a truncated document (no closing root tag) stays an error."""
    from lxml import etree

    root_open = re.search(
        r"<([A-Za-z_][\w.\-]*)", re.sub(r"<!--.*?-->|<\?.*?\?>", "", text[:4096], flags=re.S)
    )
    closes_root = root_open is not None and re.search(
        rf"</{re.escape(root_open.group(1))}\s*>\s*$", text[-4096:]
    )
    if not closes_root:
        raise BadInputError(name, f"malformed XML: {error}") from error
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        recover=True,
    )
    root = etree.fromstring(encoded, parser=parser)
    if root is None or not len(root):
        raise BadInputError(name, f"malformed XML: {error}") from error
    log.warning("%s: malformed XML recovered (%s)", name, error)
    return root


def read_safe_xml(source: str | Path, *, data: bytes | None = None) -> SafeXml:
    """Parse a publication XML file without ever resolving external entities or DTDs.

    Args:
        source: Path of the file (read when ``data`` is None) or a name for ``data`` used in errors.
        data: The file's bytes, when already in memory (e.g. read from a ZIP).

    Returns:
        The parsed document and the image entities it declares.

    Raises:
        BadInputError: Empty, too big, not XML, malformed, or declaring entities that are refused.
    """
    from lxml import etree

    name = str(source)
    if data is None:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_XML_BYTES:
                raise BadInputError(name, f"XML file too big ({size} bytes, limit {MAX_XML_BYTES})")
            data = path.read_bytes()
        except OSError as error:
            raise BadInputError(name, f"cannot read file: {error.strerror or error}") from error
    if len(data) > MAX_XML_BYTES:
        raise BadInputError(name, f"XML too big ({len(data)} bytes, limit {MAX_XML_BYTES})")
    if not data.strip():
        raise BadInputError(name, "empty file")
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInputError(name, "not XML: binary data")
    text = _decode(name, data)
    if not text.lstrip().startswith("<"):
        raise BadInputError(name, "not XML: does not start with a tag")
    start, end, subset = _find_doctype(name, text)
    unparsed: dict[str, str] = {}
    if start >= 0:
        unparsed = _read_subset(name, subset)
        text = text[:start] + text[end:]
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    # USPTO bulk files concatenate documents, each with its own XML declaration: read the first one.
    following = _NEXT_DOCUMENT.search(text)
    if following:
        text = text[: following.start()]
    text = _replace_entities(text)
    text = _BARE_AMPERSAND.sub("&amp;", text)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    encoded = text.encode("utf-8")
    try:
        root = etree.fromstring(encoded, parser=parser)
    except etree.XMLSyntaxError as error:
        root = _recover_complete_document(encoded, text, error, name)
    if root is None:
        raise BadInputError(name, "not XML: no root element")
    return SafeXml(root=root, unparsed_entities=unparsed)
