"""Safe ZIP extraction: hostile member names, links, encrypted members and zip bombs are refused.

:func:`safe_extract_zip` unpacks one ZIP under a folder. Nested ZIPs share one :class:`ExtractionBudget`, so a ZIP
of ZIPs cannot multiply the byte limit (see :data:`MAX_EXTRACTED_BYTES`). Every refusal is a
:class:`~patimg.errors.BadInputError` naming the archive and the member.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from patimg.errors import BadInputError

#: Limits for ZIP extraction (zip bombs).
MAX_ZIP_MEMBERS = 20_000
#: Most bytes one archive may unpack to, counting every ZIP nested in it (a USPTO weekly bulk ZIP is well
#: under it; a ZIP of ZIPs of zeros is not).
MAX_EXTRACTED_BYTES = 4 * 1024**3
MAX_ZIP_RATIO = 200  # uncompressed / compressed, checked for members over 10 MB


@dataclass
class ExtractionBudget:
    """Bytes one archive may still unpack to, shared by the ZIPs nested in it (see :data:`MAX_EXTRACTED_BYTES`).

    Attributes:
        limit: Most bytes in all.
        used: Bytes unpacked so far.
    """

    limit: int
    used: int = 0

    def refusal(self) -> str:
        """The one message for an archive over the limit."""
        return f"refused: unpacks to more than {_size_text(self.limit)} in all, nested ZIPs included"


def _size_text(n: int) -> str:
    """``4294967296 bytes (4 GiB)``: exact, and readable."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n} bytes ({n / size:.3g} {unit})"
    return f"{n} bytes"


def member_parts(name: str) -> tuple[str, ...]:
    """The parts of an archive member's name (``\\`` taken as ``/``, as some ZIP writers on Windows use it)."""
    return PurePosixPath(name.replace("\\", "/")).parts


def escapes_folder(name: str) -> bool:
    """Whether an archive member's name would land outside the folder it is unpacked into: absolute, a drive
    letter, or ``..`` among its parts."""
    return (
        name.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in member_parts(name)
    )


def zip_member_refusal(info: zipfile.ZipInfo) -> str:
    """Why a ZIP member is refused (a name escaping the folder, a symbolic link, encrypted, a zip bomb), or ``""``."""
    if escapes_folder(info.filename):
        return "path escapes the extraction folder"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > 10 * 1024**2 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        return "compression ratio too high (zip bomb?)"
    return ""


def safe_extract_zip(
    zip_path: str | Path,
    target_dir: str | Path,
    *,
    max_members: int = MAX_ZIP_MEMBERS,
    max_total_bytes: int | None = None,
    budget: ExtractionBudget | None = None,
) -> list[Path]:
    """Extract a ZIP safely into ``target_dir``.

    Refuses members that would land outside the target (``../``, absolute paths, drive letters),
    symbolic links, encrypted members, more than ``max_members`` members, more bytes uncompressed than
    the budget has left (counted while decompressing, so lying headers do not help) and members compressed
    more than ``MAX_ZIP_RATIO`` times (zip bombs). Nothing is left behind when it refuses.

    Args:
        zip_path: The archive.
        target_dir: Folder to extract into (created).
        max_members: Most members accepted.
        max_total_bytes: Most bytes written, for this archive alone (default :data:`MAX_EXTRACTED_BYTES`).
        budget: Shared with the archives this one is nested in or holds (their bytes count together);
            the bytes written are added to it. Replaces ``max_total_bytes``.

    Returns:
        Paths of the extracted files, in archive order.

    Raises:
        BadInputError: Naming the ZIP (and the bad member) when the archive is corrupt or refused.
    """
    zip_path = Path(zip_path)
    if budget is None:
        budget = ExtractionBudget(MAX_EXTRACTED_BYTES if max_total_bytes is None else max_total_bytes)
    target = Path(target_dir).resolve()
    name = str(zip_path)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BadInputError(name, f"not a readable ZIP archive ({error})") from error
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise BadInputError(name, f"refused: {len(members)} members (limit {max_members})")
        planned: list[tuple[zipfile.ZipInfo, Path]] = []
        declared = 0
        for info in members:
            member = info.filename
            parts = member_parts(member)
            problem = zip_member_refusal(info)
            destination = target.joinpath(*parts).resolve() if parts and not problem else target
            if destination != target and target not in destination.parents:
                problem = "path escapes the extraction folder"
            if problem:
                raise BadInputError(name, f"refused member {member!r}: {problem}")
            declared += info.file_size
            if budget.used + declared > budget.limit:
                raise BadInputError(name, budget.refusal())
            planned.append((info, destination))
        written = 0
        extracted: list[Path] = []
        target.mkdir(parents=True, exist_ok=True)
        try:
            for info, destination in planned:
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                extracted.append(destination)  # before writing: a half-written member is removed too
                with archive.open(info) as source, open(destination, "wb") as sink:
                    member_bytes = 0
                    for block in iter(lambda source=source: source.read(1 << 20), b""):
                        member_bytes += len(block)
                        written += len(block)
                        if member_bytes > info.file_size or budget.used + written > budget.limit:
                            raise BadInputError(
                                name, f"refused member {info.filename!r}: more data than declared"
                            )
                        sink.write(block)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, BadInputError) as error:
            for path in extracted:
                path.unlink(missing_ok=True)
            if isinstance(error, BadInputError):
                raise
            raise BadInputError(name, f"corrupt ZIP member: {error}") from error
    budget.used += written
    return extracted
