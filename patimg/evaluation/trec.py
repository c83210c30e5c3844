"""TREC qrels and run files (the formats trec_eval reads), and PatImg's deterministic result order."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from patimg.errors import BadInputError
from patimg.fileio import atomic_write_text

Qrels = dict[str, dict[str, int]]
"""Query id -> document id -> relevance grade (0 not relevant, >= 1 relevant)."""

#: Grades a qrels file may hold. TREC uses -1 (junk) to 4 or so; a grade past these is a typo or an attack,
#: and past 2**63 it ends in an OverflowError, while 2**32 silently wrapped round to "not relevant".
MIN_GRADE, MAX_GRADE = -1, 100

Run = dict[str, list[tuple[str, float]]]
"""Query id -> ranked ``(document id, score)`` pairs, best first."""


def ranked(results: Iterable[tuple[str, float]], *, source: str = "run") -> list[tuple[str, float]]:
    """Results in PatImg's deterministic order: score descending, then document id ascending.

    Raises:
        BadInputError: A document appears twice, or a score is not a finite number.
    """
    items = [(str(doc), float(score)) for doc, score in results]
    seen: set[str] = set()
    for doc, score in items:
        if doc in seen:
            raise BadInputError(source, f"document {doc!r} is ranked twice for one query")
        if not math.isfinite(score):
            raise BadInputError(source, f"document {doc!r} has score {score}, not a finite number")
        seen.add(doc)
    return sorted(items, key=lambda item: (-item[1], item[0]))


# --------------------------------------------------------------------------------------------- TREC I/O


def _check_id(value: str, *, what: str, source: str) -> str:
    value = str(value)
    if not value or any(ch.isspace() for ch in value):
        raise BadInputError(
            source, f"{what} {value!r} is empty or contains whitespace (not valid in TREC files)"
        )
    return value


def read_qrels(path: str | Path) -> Qrels:
    """Read a TREC qrels file (``qid iteration docno grade`` per line; blank lines skipped).

    Raises:
        BadInputError: Unreadable file, or a line (named by number) that is malformed, has a grade
            outside :data:`MIN_GRADE`..:data:`MAX_GRADE`, or contradicts an earlier line.
    """
    path = Path(path)
    qrels: Qrels = {}
    seen_at: dict[tuple[str, str], int] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 4:
            raise BadInputError(where, f"qrels line needs 4 fields 'qid iter docno grade', got {len(fields)}")
        qid, _, doc, grade_text = fields
        try:
            grade = int(grade_text)
        except ValueError:
            raise BadInputError(where, f"relevance grade {grade_text!r} is not an integer") from None
        if not MIN_GRADE <= grade <= MAX_GRADE:
            raise BadInputError(
                where,
                f"relevance grade {grade_text} is outside {MIN_GRADE}..{MAX_GRADE} (0 not relevant, 1 relevant)",
            )
        previous = qrels.setdefault(qid, {}).get(doc)
        if previous is not None and previous != grade:
            first = seen_at[(qid, doc)]
            raise BadInputError(where, f"{qid} {doc} judged {grade} here but {previous} on line {first}")
        qrels[qid][doc] = grade
        seen_at.setdefault((qid, doc), number)
    return qrels


def write_qrels(qrels: Mapping[str, Mapping[str, int]], path: str | Path) -> None:
    """Write a TREC qrels file, sorted by query id then document id (written to a temp name, then renamed)."""
    path = Path(path)
    lines = []
    for qid in sorted(qrels):
        _check_id(qid, what="query id", source=str(path))
        for doc in sorted(qrels[qid]):
            _check_id(doc, what="document id", source=str(path))
            lines.append(f"{qid} 0 {doc} {int(qrels[qid][doc])}\n")
    atomic_write_text(path, "".join(lines))


def read_run(path: str | Path) -> tuple[str, Run]:
    """Read a TREC run file (``qid Q0 docno rank score tag``).

    The rank column is ignored, as trec_eval does; each query's results come back sorted by score
    descending then document id (:func:`ranked`).

    Returns:
        ``(run name, run)``; the name is the tag column (the file stem when the file is empty).

    Raises:
        BadInputError: Unreadable file, a malformed line, a document ranked twice for one query, or
            lines with different tags (each naming the file and line).
    """
    path = Path(path)
    name = ""
    results: dict[str, dict[str, float]] = {}
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}:{number}"
        if len(fields) != 6:
            raise BadInputError(
                where, f"run line needs 6 fields 'qid Q0 docno rank score tag', got {len(fields)}"
            )
        qid, _, doc, rank_text, score_text, tag = fields
        try:
            int(rank_text)
            score = float(score_text)
        except ValueError:
            raise BadInputError(
                where, f"rank {rank_text!r} or score {score_text!r} is not a number"
            ) from None
        if not math.isfinite(score):
            raise BadInputError(where, f"score {score_text!r} is not a finite number")
        if name and tag != name:
            raise BadInputError(
                where, f"run tag {tag!r} differs from {name!r} on earlier lines (one run per file)"
            )
        name = tag
        docs = results.setdefault(qid, {})
        if doc in docs:
            raise BadInputError(where, f"document {doc!r} is ranked twice for query {qid!r}")
        docs[doc] = score
    run = {qid: ranked(docs.items(), source=str(path)) for qid, docs in results.items()}
    return (name or path.stem), run


def write_run(run: Mapping[str, Sequence[tuple[str, float]]], path: str | Path, *, name: str) -> None:
    """Write a TREC run file: per query, results sorted by score descending then document id, ranked 1..n.

    Scores are written with full precision (``repr``) so :func:`read_run` gives back equal floats.
    """
    path = Path(path)
    _check_id(name, what="run name", source=str(path))
    lines = []
    for qid in sorted(run):
        _check_id(qid, what="query id", source=str(path))
        for rank, (doc, score) in enumerate(ranked(run[qid], source=str(path)), start=1):
            _check_id(doc, what="document id", source=str(path))
            lines.append(f"{qid} Q0 {doc} {rank} {score!r} {name}\n")
    atomic_write_text(path, "".join(lines))


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadInputError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(str(path), f"cannot read as UTF-8 text: {error}") from None


def qrels_text(qrels: Mapping[str, Mapping[str, int]]) -> str:
    """The judgments as the text of a TREC qrels file (``qid 0 figure_id grade`` per line)."""
    with tempfile.TemporaryDirectory(prefix="patimg-qrels-") as folder:
        path = Path(folder) / "qrels.txt"
        write_qrels(qrels, path)
        return path.read_text(encoding="utf-8")


def run_text(run: Mapping[str, Sequence[tuple[str, float]]], *, name: str) -> str:
    """One method's results as the text of a TREC run file (``qid Q0 figure_id rank score name``)."""
    with tempfile.TemporaryDirectory(prefix="patimg-run-") as folder:
        path = Path(folder) / "run.txt"
        write_run(run, path, name=name)
        return path.read_text(encoding="utf-8")
