"""USPTO bulk archives: the weekly TAR of per-publication ZIPs, ingested as it ships, one member at a time.

USPTO's weekly "full text with images" releases of grants and applications are one TAR holding a ZIP per
publication, in folders: ``I20251021/UTIL12448/US12448402-20251021.ZIP``, ``I20251021/DESIGN/USD...ZIP``, and
``PP``, ``REISSUE`` alike. :func:`iter_tar` reads such an archive front to back (``.tar``, or ``.tar.gz``,
``.tgz``, ``.tar.bz2``, ``.tar.xz``) and hands out one batch of publication units per member:

* Nothing is unpacked whole, nothing held in memory: a member is copied under the work folder, unpacked by the
  rules of :mod:`patimg.unzip` (its own byte budget), and both are deleted when the caller asks for the next
  batch. Disk use is one member at a time.
* Taken: ``*.zip`` (a publication ZIP) and ``*.xml`` (a bare publication XML). Passed over, counted in the log:
  folders, other files (manifests, checksums), XMLs that are no publication, and supplements (``-SUPP`` ZIPs or
  folders). A supplement carries a publication's sequence listings, program listings or large tables; the
  publication's XML and drawings are in its own ZIP, so a supplement is neither a publication nor drawings, and
  taking it like any ZIP would report each as "holds no publication XML" or store its images as a publication.
* Refused and reported by name (``archive.tar!I20251021/UTIL12448/x.ZIP: problem``), the rest going on: a name
  that would escape a folder (absolute, ``..``), a link, a device or pipe, a member over the byte budget; a
  corrupt ZIP, a zip bomb and the like by the ZIP rules.
* A truncated or corrupt archive: the members before the damage are handed out, then the archive is reported
  with the member after which it broke (``tarfile`` alone ends silently at a bad header: see
  :class:`_EndAwareInfo`).
* Resume: given ``is_stored``, a member whose publication XMLs are all stored already is not unpacked. Only its
  XMLs are read and hashed (the unit key) and its units handed out without files, for the caller to skip. In a
  plain ``.tar`` the member is read in place (the file is seekable), so re-running an interrupted ingest reads
  each stored member's XML and nothing else: no copy, no unpacking, no drawing. A compressed archive is
  decompressed from its start again and each member copied out, but still not unpacked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from patimg import sources
from patimg.documents.roots import XML_HEAD_BYTES, xml_head_kind
from patimg.errors import BadInputError
from patimg.sources import IMAGE_SUFFIXES, PublicationUnit, unpacked_batch, xml_unit_key
from patimg.unzip import MAX_ZIP_MEMBERS, escapes_folder, member_parts, zip_member_refusal
from patimg.vocabulary import Progress

log = logging.getLogger(__name__)

#: The progress stage of reading an archive: ``done`` and ``total`` are MiB of the archive file.
PROGRESS_STAGE = "archive MiB"
#: Largest XML hashed to tell whether a member is stored already (a larger one is unpacked the usual way).
MAX_KEY_XML_BYTES = 64 * 1024**2

_MIB = 1024**2
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
_SUPPLEMENT = re.compile(r"(^|[-_])SUPP$", re.IGNORECASE)
#: What reading a damaged archive raises (``tarfile`` turns zlib and lzma errors into ``ReadError``).
_ARCHIVE_ERRORS = (tarfile.TarError, EOFError, OSError)

Batch = tuple[list[PublicationUnit], list[BadInputError]]


@dataclass
class _Tally:
    """What one archive held, for the log line at its end."""

    members: int = 0
    taken: int = 0
    already_stored: int = 0
    supplements: int = 0
    passed_over: int = 0
    refused: int = 0


class _EndAwareInfo(tarfile.TarInfo):
    """A ``TarInfo`` that remembers on the archive why its members ended.

    Past the first member, ``tarfile`` takes a missing, short or invalid header for the end of the archive. Only
    a block of zeros (:class:`tarfile.EOFHeaderError`) is the end a whole archive has; anything else means the
    archive was cut short or is corrupt there, which must not pass for a complete ingest.
    """

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        try:
            return super().fromtarfile(tarfile_)
        except tarfile.HeaderError as error:
            tarfile_.patimg_end = error  # type: ignore[attr-defined]
            raise


def iter_tar(
    path: Path,
    *,
    label: str,
    work_dir: Path,
    seen_keys: set[str],
    is_stored: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
) -> Iterator[Batch]:
    """The publication units of a TAR, one batch per member, each member's files deleted when the caller moves on.

    Args:
        path: The archive.
        label: Its name in messages; a member is ``<label>!<member name>``.
        work_dir: Where one member at a time is copied and unpacked.
        seen_keys: Keys handed out already (not repeated; the new ones are added).
        is_stored: ``is_stored(key)``: whether a unit is stored already. A member all of whose units are
            stored is then not unpacked: its units are handed out with ``images=()`` and an ``xml`` path that
            does not exist (nothing of it is on disk); the caller skips them. Should one be no longer stored
            when the caller looks, ingesting it fails on the missing XML and stores nothing.
        progress: ``progress(PROGRESS_STAGE, MiB read, MiB in all, member name)`` before each member taken.

    Yields:
        ``(units, errors)`` for one member (or an error naming the archive); never raises for a bad archive.
    """
    tally = _Tally()
    try:
        raw = open(path, "rb")  # closed by the with below, which spans the yields
    except OSError as error:
        yield [], [BadInputError(label, f"cannot read: {error.strerror or error}")]
        return
    with raw:
        seekable = not raw.read(6).startswith(_COMPRESSED_MAGIC)
        raw.seek(0)
        try:
            tar = tarfile.open(fileobj=raw, mode="r:" if seekable else "r|*", tarinfo=_EndAwareInfo)
        except _ARCHIVE_ERRORS as error:
            yield [], [BadInputError(label, f"not a readable TAR archive ({error})")]
            return
        with tar:
            yield from _members(tar, raw, label, work_dir, seen_keys, is_stored, progress, seekable, tally)
    log.info("%s: %s", label, tally)


def _members(
    tar: tarfile.TarFile,
    raw: IO[bytes],
    label: str,
    work_dir: Path,
    seen_keys: set[str],
    is_stored: Callable[[str], bool] | None,
    progress: Progress | None,
    seekable: bool,
    tally: _Tally,
) -> Iterator[Batch]:
    """:func:`iter_tar`'s batches, member after member, until the end of the archive or where it breaks."""
    total_mib = max(1, -(-os.fstat(raw.fileno()).st_size // _MIB))
    scratch = work_dir / "tar-member"
    last = ""
    while True:
        try:
            info = tar.next()
        except _ARCHIVE_ERRORS as error:
            yield [], [_stopped(label, f"after member {last!r}" if last else "at its start", error)]
            return
        if info is None:
            break
        tar.members.clear()  # tarfile keeps every header it read: thousands in a weekly archive
        tally.members += 1
        last = info.name
        member_label = f"{label}!{info.name}"
        refusal = _refusal(info)
        if refusal:
            tally.refused += 1
            yield [], [BadInputError(member_label, refusal)]
            continue
        kind = _member_kind(info, tally)
        if not kind:
            continue
        tally.taken += 1
        if progress:
            progress(PROGRESS_STAGE, min(raw.tell() // _MIB, total_mib - 1), total_mib, info.name)
        try:
            try:
                stored, copy = _take(tar, info, kind, scratch, seekable=seekable, is_stored=is_stored)
            except _ARCHIVE_ERRORS as error:
                yield [], [_stopped(label, f"at member {info.name!r}", error)]
                return
            if stored is not None:
                tally.already_stored += 1
                yield _stored_units(stored, member_label, scratch, seen_keys), []
            elif copy is not None:
                yield from unpacked_batch(copy, label=member_label, work_dir=scratch, seen_keys=seen_keys)
            else:
                tally.passed_over += 1  # an XML that is no publication
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    end = getattr(tar, "patimg_end", None)
    if not isinstance(end, tarfile.EOFHeaderError):
        where = f"after member {last!r}" if last else "at its start"
        yield [], [BadInputError(label, f"archive ends early or is corrupt {where} ({end})")]
    if progress:
        progress(PROGRESS_STAGE, total_mib, total_mib, "")


def _stopped(label: str, where: str, error: BaseException) -> BadInputError:
    """The archive could not be read on: what was handed out before stays, the rest is not read."""
    return BadInputError(label, f"archive unreadable {where}, the rest not read: {error}")


def _member_kind(info: tarfile.TarInfo, tally: _Tally) -> str:
    """``"zip"``, ``"xml"`` or ``""`` (passed over: counted in ``tally``) for a member not refused."""
    parts = member_parts(info.name)
    if not info.isreg() or not parts:
        return ""
    if any(
        _SUPPLEMENT.search(Path(part).stem if i == len(parts) - 1 else part) for i, part in enumerate(parts)
    ):
        tally.supplements += 1
        return ""
    suffix = Path(parts[-1]).suffix.lower()
    if suffix in (".zip", ".xml"):
        return suffix[1:]
    tally.passed_over += 1
    return ""


def _refusal(info: tarfile.TarInfo) -> str:
    """Why a member is refused (its name, its type, its size), or ``""``."""
    if escapes_folder(info.name):
        return "refused: its name escapes the archive's folder (absolute, or with ..)"
    if info.issym() or info.islnk():
        return f"refused: a link (to {info.linkname!r})"
    if info.isdev():
        return "refused: a device or pipe"
    limit = sources.MAX_EXTRACTED_BYTES
    if info.size > limit:
        return f"refused: {info.size} bytes, more than the {limit} bytes one archive may unpack to"
    return ""


def _take(
    tar: tarfile.TarFile,
    info: tarfile.TarInfo,
    kind: str,
    scratch: Path,
    *,
    seekable: bool,
    is_stored: Callable[[str], bool] | None,
) -> tuple[list[tuple[str, str, str]] | None, Path | None]:
    """``(stored, None)`` for a ZIP whose publications are all stored; else ``(None, the member copied out)``,
    or ``(None, None)`` for an XML that is no publication. Reading the archive may raise."""
    scratch.mkdir(parents=True, exist_ok=True)
    if seekable and kind == "zip" and is_stored is not None:
        with tar.extractfile(info) as member:  # read in place: no copy
            stored = _all_stored(member, is_stored)
        if stored:
            return stored, None
    copy = scratch / f"member.{kind}"
    with tar.extractfile(info) as source, open(copy, "wb") as sink:
        shutil.copyfileobj(source, sink, _MIB)
    if kind == "xml":
        with open(copy, "rb") as handle:
            return None, copy if xml_head_kind(handle.read(XML_HEAD_BYTES)) else None
    if not seekable and is_stored is not None:
        with open(copy, "rb") as handle:
            stored = _all_stored(handle, is_stored)
        if stored:
            return stored, None
    return None, copy


def _all_stored(handle: IO[bytes], is_stored: Callable[[str], bool]) -> list[tuple[str, str, str]] | None:
    """``[(key, kind, name in the ZIP)]`` of a member ZIP's publication XMLs when every one is stored, read
    without unpacking; else None, and the member is unpacked the usual way (which reports what is wrong with it).

    None also for a ZIP that unpacking would refuse or that holds other ZIPs, an XML over
    :data:`MAX_KEY_XML_BYTES`, and a ZIP without a publication XML: what is skipped here must be exactly what
    unpacking would have handed out as stored.
    """
    found: list[tuple[str, str, str]] = []
    publication_folders: set[tuple[str, ...]] = set()
    image_folders: set[tuple[str, ...]] = set()  # a folder of images without a publication XML is a unit too
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return None
            for info in members:
                lower = info.filename.lower()
                if zip_member_refusal(info) or lower.endswith(".zip"):
                    return None
                folder = member_parts(info.filename)[:-1]
                if Path(lower).suffix in IMAGE_SUFFIXES:
                    image_folders.add(folder)
                if info.is_dir() or not lower.endswith(".xml"):
                    continue
                if info.file_size > MAX_KEY_XML_BYTES:
                    return None
                digest, head = hashlib.sha256(), b""
                with archive.open(info) as xml:
                    while block := xml.read(_MIB):
                        head += block[: XML_HEAD_BYTES - len(head)]
                        digest.update(block)
                kind = xml_head_kind(head)
                if not kind:
                    continue
                key = xml_unit_key(digest.hexdigest())
                if not is_stored(key):
                    return None
                found.append((key, kind, "/".join(member_parts(info.filename))))
                publication_folders.add(folder)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError):
        return None
    return found if found and image_folders <= publication_folders else None


def _stored_units(
    stored: list[tuple[str, str, str]], member_label: str, scratch: Path, seen_keys: set[str]
) -> list[PublicationUnit]:
    """Units for publications stored already, with no file on disk (see :func:`iter_tar`), not repeated."""
    units = []
    for key, kind, name in stored:
        if key not in seen_keys:
            seen_keys.add(key)
            source = f"{member_label}!{name}"
            units.append(
                PublicationUnit(
                    key=key, kind=kind, xml=scratch / "not-unpacked" / name, images=(), source=source
                )
            )
    return units
