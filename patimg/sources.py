"""Turn what a user hands in (files and folders) into publication units to ingest.

A *publication unit* is one publication XML with the drawing images it names, or one folder of plain
images. :func:`find_publications` accepts, in any mix and nested in folders:

* a USPTO ZIP (XML + TIFF sheets; chemistry ``-Cnnnnn.TIF/.CDX/.MOL`` and other images that the XML
  does not list as drawings are dropped) or the same unzipped as a folder;
* an EPO publication-server package (``DOC*.xml`` + ``imgfNNNN.tif`` + ``imgafNNN.tif``; search-report
  pages ``srepNNNN.tif`` are not drawings and are dropped), as a folder or a ZIP;
* a bare publication XML (a unit without images);
* a folder of images (PNG, JPEG, TIFF) without any publication XML (kind ``"images"``);
* a PDF publication (kind ``"pdf"``; :mod:`patimg.pdf` reads its text layer and renders its drawing pages
  under ``work_dir``); a PDF beside a publication XML (``DOCUMENT.PDF`` of an EPO package) is that
  publication again and is not read;
* a folder holding any of those (searched recursively);
* a TAR of ZIPs as USPTO ships its weekly bulk releases (:mod:`patimg.bulk`; only through
  :func:`patimg.batches.iter_publications`, which streams it member by member).

ZIPs are unpacked with :func:`safe_extract_zip` under ``work_dir``. Problems with one input never
stop the batch: :func:`find_publications` returns ``(units, errors)``, each error a
:class:`~patimg.errors.BadInputError` naming the input and what is wrong with it. A folder that cannot be
listed, or a file that cannot be read, is such an error too, never silently skipped.

Disk: one archive, with every ZIP nested in it, unpacks to at most :data:`MAX_EXTRACTED_BYTES` in all (the
limit is not per nesting level, so ZIPs of ZIPs cannot multiply it). :func:`patimg.batches.iter_publications` hands out
the units one archive at a time and deletes what it unpacked as soon as the caller moves on, so ingesting a
folder of many ZIPs never holds more than one archive's files on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patimg.documents.roots import publication_kind, root_tag, xml_root_tag
from patimg.errors import BadInputError
from patimg.fileio import file_sha256
from patimg.types import ParsedDocument
from patimg.unzip import MAX_EXTRACTED_BYTES, ExtractionBudget, safe_extract_zip

#: Image file suffixes taken as drawings or plain images.
IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".png", ".jpg", ".jpeg"})
#: How deep ZIPs inside extracted ZIPs are followed.
MAX_ZIP_NESTING = 2
#: File names taken as TAR archives (plain or compressed); a plain TAR is also known by its header.
TAR_SUFFIXES = (".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz")


@dataclass(frozen=True)
class PublicationUnit:
    """One thing to ingest.

    Attributes:
        key: Stable id of the unit's content, used to skip units already ingested: ``"xml-<sha256>"``
            over the XML bytes (the same publication from a ZIP or a folder gets the same key),
            ``"images-<sha256>"`` over the names and bytes of a folder's images, or ``"pdf-<sha256>"``
            over a PDF's bytes.
        kind: ``"uspto"``, ``"epo"``, ``"images"`` or ``"pdf"``.
        xml: The publication XML, or None for a folder of images or a PDF.
        images: Drawing images in the order the XML names them (missing files skipped), the folder's
            images sorted by name, or a PDF's drawing pages rendered as PNG.
        source: What the user gave, for messages: the path, or ``"<zip>!<member>"`` for a ZIP member.
        document: The publication's text when it is read already (a PDF's text layer); see :meth:`read_document`.
        notes: What the user should know about an input that is still ingested (``"no text layer; ..."``).
    """

    key: str
    kind: str
    xml: Path | None
    images: tuple[Path, ...]
    source: str
    document: ParsedDocument | None = field(default=None, compare=False, repr=False)
    notes: tuple[str, ...] = ()

    def read_document(self) -> ParsedDocument | None:
        """The publication's text: the PDF's, else the XML parsed, else None (a folder of images)."""
        if self.document is not None or self.xml is None:
            return self.document
        from patimg.documents import parse_publication

        return parse_publication(self.xml)


def _is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def xml_unit_key(sha256_hex: str) -> str:
    """The key of a publication unit, from the SHA-256 of its XML's bytes (:attr:`PublicationUnit.key`)."""
    return f"xml-{sha256_hex[:24]}"


def is_tar(path: Path) -> bool:
    """Whether ``path`` is a TAR archive: by its name (plain or compressed), else by a plain TAR's header."""
    if path.name.lower().endswith(TAR_SUFFIXES):
        return True
    try:
        with open(path, "rb") as handle:
            handle.seek(257)
            return handle.read(5) == b"ustar"
    except OSError:
        return False


class _Finder:
    """Walks inputs, collecting units and errors.

    With ``defer_zips``, a ZIP that is not inside another ZIP is not opened but put on ``pending``, so the
    caller can unpack, use and delete one archive at a time (:func:`patimg.batches.iter_publications`).
    """

    def __init__(
        self, work_dir: Path, *, seen_keys: set[str] | None = None, defer_zips: bool = False
    ) -> None:
        self.work_dir = Path(work_dir)
        self.units: list[PublicationUnit] = []
        self.errors: list[BadInputError] = []
        self.seen_keys: set[str] = set() if seen_keys is None else seen_keys
        self.found = 0  # units found, duplicates included: "found nothing" must not count them as missing
        self.defer_zips = defer_zips
        self.pending: list[tuple[Path, str]] = []
        self.extracted: list[Path] = []  # folders this finder unpacked into
        self.budget = ExtractionBudget(MAX_EXTRACTED_BYTES)

    def add(self, unit: PublicationUnit) -> None:
        self.found += 1
        if unit.key not in self.seen_keys:
            self.seen_keys.add(unit.key)
            self.units.append(unit)

    def visit(self, path: Path, *, label: str, depth: int = 0, in_zip: bool = False) -> None:
        try:
            if not path.exists():
                raise BadInputError(label, "no such file or folder")
            if path.is_dir():
                before = (self.found, len(self.errors), len(self.pending))
                self.visit_folder(path, label=label, depth=depth)
                if (self.found, len(self.errors), len(self.pending)) == before:
                    raise BadInputError(
                        label, "folder holds no publication XML, no PDF, no images and no ZIP"
                    )
            elif path.suffix.lower() == ".pdf":
                if self.defer_zips and not in_zip:  # rendered like a ZIP is unpacked: one at a time
                    self.pending.append((path, label))
                else:
                    self.visit_pdf(path, label=label)
            elif _is_zip(path):
                if self.defer_zips and not in_zip:
                    self.pending.append((path, label))
                else:
                    self.visit_zip(path, label=label, depth=depth)
            elif is_tar(path):
                if in_zip or not self.defer_zips:
                    raise BadInputError(
                        label, "a TAR archive is read by `patimg ingest` only, and not inside a ZIP"
                    )
                self.pending.append((path, label))
            elif path.suffix.lower() == ".xml":
                self.visit_xml(path, label=label)
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                self.add(_images_unit([path], label=label))
            else:
                raise BadInputError(
                    label, "unknown kind of input (expected a ZIP, an XML, a PDF, an image or a folder)"
                )
        except BadInputError as error:
            self.errors.append(error)
        except OSError as error:
            self.errors.append(_read_error(error, label))

    def visit_xml(self, path: Path, *, label: str) -> None:
        kind = publication_kind(xml_root_tag(path))
        if not kind:
            if path.stat().st_size == 0:
                raise BadInputError(label, "empty file")
            raise BadInputError(label, "not a USPTO or EPO publication XML")
        self.add(
            PublicationUnit(key=xml_unit_key(file_sha256(path)), kind=kind, xml=path, images=(), source=label)
        )

    def visit_pdf(self, path: Path, *, label: str) -> None:
        from patimg.pdf import read_pdf

        key = f"pdf-{file_sha256(path)[:24]}"
        if key in self.seen_keys:  # the same PDF again: not rendered twice
            self.found += 1
            return
        target = self.work_dir / "pdf" / f"{_safe_stem(path.name)}-{key[4:20]}"
        self.extracted.append(target)
        pdf = read_pdf(path, label=label, out_dir=target)
        self.add(PublicationUnit(key, "pdf", None, pdf.images, label, document=pdf.document, notes=pdf.notes))

    def visit_zip(self, path: Path, *, label: str, depth: int) -> None:
        if depth > MAX_ZIP_NESTING:
            raise BadInputError(label, f"ZIP nested deeper than {MAX_ZIP_NESTING} levels")
        if depth == 0:  # an archive not inside another: its own budget, shared with what it nests
            self.budget = ExtractionBudget(MAX_EXTRACTED_BYTES)
        digest = file_sha256(path)[:16]
        target = self.work_dir / "unzipped" / f"{_safe_stem(path.name)}-{digest}"
        done_marker = target / ".patimg-extracted"
        if not done_marker.exists():
            if target.exists():
                shutil.rmtree(target)
            partial = target.with_name(target.name + ".partial")
            if partial.exists():
                shutil.rmtree(partial)
            try:
                safe_extract_zip(path, partial, budget=self.budget)
            except BadInputError as error:
                shutil.rmtree(partial, ignore_errors=True)
                raise BadInputError(label, error.problem) from error
            os.replace(partial, target)
            done_marker.touch()
        self.extracted.append(target)
        before = self.found
        self.visit_folder(target, label=f"{label}!", depth=depth + 1, root=target)
        if self.found == before:
            self.errors.append(BadInputError(label, "ZIP holds no publication XML and no images"))

    def visit_folder(self, folder: Path, *, label: str, depth: int, root: Path | None = None) -> None:
        """Every folder under ``folder``: publication XMLs with their drawings, else its images.

        A folder that cannot be listed and a file that cannot be read are errors naming them (``os.walk``
        would skip them silently).
        """

        def unreadable(error: OSError) -> None:
            where = Path(error.filename) if error.filename else folder
            self.errors.append(_read_error(error, _label_for(label, where, folder, root), folder=True))

        for current, dirnames, filenames in os.walk(folder, onerror=unreadable):
            dirnames.sort()
            here = Path(current)
            files = sorted(here / f for f in filenames if not f.startswith("."))
            where = _label_for(label, here, folder, root)
            publications = []
            for f in (f for f in files if f.suffix.lower() == ".xml"):
                try:
                    kind = publication_kind(root_tag(f))
                except OSError as error:
                    self.errors.append(_read_error(error, _label_for(label, f, folder, root)))
                    continue
                if kind:
                    publications.append((f, kind))
            images = [f for f in files if f.suffix.lower() in IMAGE_SUFFIXES]
            for xml, kind in publications:
                try:
                    self.add(_publication_unit(xml, kind, images, label=_label_for(label, xml, folder, root)))
                except BadInputError as error:
                    self.errors.append(error)
                except OSError as error:
                    self.errors.append(_read_error(error, _label_for(label, xml, folder, root)))
            if not publications:  # beside a publication XML, a PDF is that publication again
                for pdf in (f for f in files if f.suffix.lower() == ".pdf"):
                    self.visit(pdf, label=_label_for(label, pdf, folder, root), in_zip=root is not None)
            if not publications and images:
                try:
                    self.add(_images_unit(images, label=where))
                except OSError as error:
                    self.errors.append(_read_error(error, where))
            for archive in (
                f for f in files if f.suffix.lower() == ".zip" or f.name.lower().endswith(TAR_SUFFIXES)
            ):
                self.visit(
                    archive,
                    label=_label_for(label, archive, folder, root),
                    depth=depth,
                    in_zip=root is not None,
                )


def _read_error(error: OSError, label: str, *, folder: bool = False) -> BadInputError:
    """``label: cannot read folder: Permission denied (/data/x/locked)`` for an OS error on an input."""
    what = "cannot read folder" if folder else "cannot read"
    where = f" ({error.filename})" if error.filename and str(error.filename) != label else ""
    return BadInputError(label, f"{what}: {error.strerror or error}{where}")


def _label_for(label: str, path: Path, folder: Path, root: Path | None) -> str:
    """``"/data/x"`` for plain folders; ``"/data/a.zip!US1/US1.XML"`` for ZIP members."""
    if root is None:
        return str(path)
    relative = path.relative_to(folder).as_posix()
    return f"{label}{relative}" if relative != "." else label.rstrip("!")


def _safe_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "zip"


def _publication_unit(xml: Path, kind: str, images: list[Path], *, label: str) -> PublicationUnit:
    """The XML and the images of its folder that it names as drawings, in the XML's order.

    A file is matched to a drawing by name (case-insensitive), or by stem when the image was
    converted (``...-D00001.png`` for ``...-D00001.TIF``).
    """
    from patimg.documents import parse_publication

    document = parse_publication(xml)
    by_name = {p.name.lower(): p for p in images}
    by_stem: dict[str, Path] = {}
    for p in images:
        by_stem.setdefault(p.stem.lower(), p)
    chosen: list[Path] = []
    for drawing in document.drawings:
        name = Path(drawing.file).name.lower()
        match = by_name.get(name) or by_stem.get(Path(name).stem)
        if match is not None and match not in chosen:
            chosen.append(match)
    return PublicationUnit(
        key=xml_unit_key(file_sha256(xml)), kind=kind, xml=xml, images=tuple(chosen), source=label
    )


def _images_unit(images: list[Path], *, label: str) -> PublicationUnit:
    digest = hashlib.sha256()
    for image in images:
        digest.update(image.name.encode("utf-8") + b"\0" + file_sha256(image).encode("ascii"))
    return PublicationUnit(
        key=f"images-{digest.hexdigest()[:24]}", kind="images", xml=None, images=tuple(images), source=label
    )


def find_publications(
    paths: Sequence[str | Path], *, work_dir: Path
) -> tuple[list[PublicationUnit], list[BadInputError]]:
    """Find the publication units in files and folders a user gave.

    Args:
        paths: ZIPs, XML files, images, package folders or folders holding any of those.
        work_dir: Folder where ZIPs are extracted (``work_dir/unzipped/<zip name>-<sha>``); an
            archive already extracted there is reused. What is extracted stays there: the caller
            removes it (or use :func:`patimg.batches.iter_publications`, which does).

    Returns:
        ``(units, errors)``: the units in input order without duplicates (same key), and one
        :class:`BadInputError` per input (or ZIP member) that could not be used. Never raises for
        bad inputs.
    """
    finder = _Finder(Path(work_dir))
    for path in paths:
        finder.visit(Path(path), label=str(path))
    return finder.units, finder.errors


def plain_batch(
    path: Path, *, label: str, work_dir: Path, seen_keys: set[str]
) -> tuple[list[PublicationUnit], list[BadInputError], list[tuple[Path, str]]]:
    """The units of ``path``'s plain files and folders, and its archives left for later.

    Returns:
        ``(units, errors, archives)``: ``archives`` are the ZIPs and TARs not inside another ZIP (``path``
        itself, or those found in its folders) as ``(file, label)``, unopened, for the caller to unpack one
        at a time (:func:`unpacked_batch`, :func:`patimg.bulk.iter_tar`).
    """
    finder = _Finder(Path(work_dir), seen_keys=seen_keys, defer_zips=True)
    finder.visit(Path(path), label=label)
    return finder.units, finder.errors, finder.pending


def unpacked_batch(
    archive: Path, *, label: str, work_dir: Path, seen_keys: set[str]
) -> Iterator[tuple[list[PublicationUnit], list[BadInputError]]]:
    """The units of one ZIP (or XML) as one batch, its unpacked files deleted when the caller moves on.

    Args:
        archive: The ZIP or XML file.
        label: Its name in messages and unit sources.
        work_dir: Where it is unpacked.
        seen_keys: Keys handed out already (not repeated; the new ones are added).
    """
    unpacker = _Finder(work_dir, seen_keys=seen_keys)
    try:
        unpacker.visit(archive, label=label)
        yield unpacker.units, unpacker.errors
    finally:
        for folder in unpacker.extracted:
            shutil.rmtree(folder, ignore_errors=True)
