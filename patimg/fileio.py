"""File helpers shared by every stage: content hashes, atomic writes, reading a text file a user gave.

Atomic writes go through a temporary file in the same folder renamed into place, so a reader (or a crash)
never sees a half-written index, table or qrels file. The temporary file is created as any new file is, mode
0666 less the process umask (0644 under umask 022), so a collection built by one user can be served by another;
``tempfile.mkstemp`` would make every index, vector and ``collection.json`` file 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path``.

    Args:
        path: Final file.
        write: Writes the whole content to the path it is given (e.g. ``faiss.write_index``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = new_temporary_file(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def new_temporary_file(path: Path) -> str:
    """Create an empty, uniquely named file beside ``path`` and return its name (for a file written in steps and
    renamed into place; :func:`atomic_write` uses it).

    Unlike ``tempfile.mkstemp`` (always 0600) it is created with mode 0666, which the kernel reduces by the
    process umask: the final file gets the permissions any new file of this process would get.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return str(tmp)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON atomically."""
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True))


def read_utf8_text(path: str | Path, what: str) -> str:
    """The content of a UTF-8 text file a user gave (a list of queries, a description).

    Args:
        path: The file.
        what: What the file should be, for the message (``"a description is a UTF-8 text file"``).

    Raises:
        BadInputError: The file cannot be read or is not UTF-8 text (a binary file handed over by mistake); the
            message names the file.
    """
    from patimg.errors import BadInputError

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BadInputError(str(path), f"cannot read file ({error.strerror or error})") from None
    return utf8_text(data, str(path), what)


def utf8_text(data: bytes, source: str, what: str) -> str:
    """UTF-8 text a user gave as bytes (an upload), its line ends made ``\\n``; as :func:`read_utf8_text`.

    Raises:
        BadInputError: Not UTF-8 text; the message names ``source``.
    """
    from patimg.errors import BadInputError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInputError(source, f"not text: byte {error.start} is not UTF-8 ({what})") from None
    if "\x00" in text:
        raise BadInputError(source, f"not text: it holds NUL bytes ({what})")
    return text.replace("\r\n", "\n").replace("\r", "\n")
