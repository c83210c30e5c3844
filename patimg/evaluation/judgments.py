"""What a relevance judgment is: the grades and tags assessors use, the records the judgment store keeps, and how
several annotators' grades of one figure combine into one (qrels)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from patimg.errors import BadInputError
from patimg.vocabulary import AGGREGATES

#: The annotator name final grades are recorded under when annotators disagree (the adjudication view).
ADJUDICATOR = "adjudicated"
#: The grades, as assessors use them (UPAIR, IPRally): 0 not relevant, 1 marginal, 2 relevant, 3 highly relevant.
GRADES = {0: "not relevant", 1: "marginal", 2: "relevant", 3: "highly relevant"}
#: Why a result is relevant: it looks alike, it means the same, or it shows a part of the query's object.
TAGS = ("visual", "semantic", "part")
#: The history's grade of a judgment taken back.
WITHDRAWN = -1

QUERY_KINDS = ("figure", "image", "text")


@dataclass(frozen=True)
class JudgedQuery:
    """A query that results are judged for.

    Attributes:
        query_id: ``q`` + 12 hex digits, derived from the content below.
        kind: ``"figure"`` (a collection figure), ``"image"`` (an uploaded image) or ``"text"``.
        figure_id: The query figure, for kind ``figure``.
        image_sha256: SHA-256 of the uploaded image bytes, for kind ``image``.
        image_path: Path of the stored copy of the uploaded image (kept under the store's folder in
            ``query_images/<sha256><suffix>``), or ``""``.
        text: Query text (alone, or added to a figure/image query).
        created: ISO UTC time the query was first added.
    """

    query_id: str
    kind: str
    figure_id: str = ""
    image_sha256: str = ""
    image_path: str = ""
    text: str = ""
    created: str = ""


@dataclass(frozen=True)
class Judgment:
    """One annotator's grade of one figure for one query (current, or a history entry).

    Attributes:
        grade: 0 not relevant, 1 marginal, 2 relevant, 3 highly relevant (:data:`GRADES`); in the history,
            :data:`WITHDRAWN` marks a judgment taken back (undo).
        tags: Why (``"visual"``, ``"semantic"``, ``"part"``: see :data:`TAGS`).
        note: The annotator's free text.
    """

    query_id: str
    figure_id: str
    grade: int
    annotator: str
    time: str
    tags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class SearchLogEntry:
    """One logged search: who asked what with which settings, and what came back."""

    entry_id: int
    time: str
    user: str
    query_id: str
    query: dict[str, Any]
    settings: dict[str, Any]
    hits: list[Any]


def qrels_from_judgments(
    judgments: Iterable[Judgment], *, aggregate: str = "max", annotator: str | None = None
) -> dict[str, dict[str, int]]:
    """Judgments as qrels: query id -> figure id -> one grade.

    Args:
        judgments: Current judgments (of every annotator, or of ``annotator`` alone).
        aggregate: How several annotators' grades combine: ``"max"`` (relevant if anyone says so),
            ``"majority"`` (the grade most annotators gave; a tie goes to the lower grade, since a split
            vote is no majority for relevance) or ``"adjudicated"`` (the grade :data:`ADJUDICATOR`
            recorded where there is one, else the majority).
        annotator: The one annotator ``judgments`` are of, if so (then ``aggregate`` does not matter and an
            adjudicator's grades count as that annotator's).
    """
    if aggregate not in AGGREGATES:
        raise BadInputError("aggregate", f"{aggregate!r} is not one of {', '.join(AGGREGATES)}")
    grades: dict[tuple[str, str], list[int]] = {}
    decided: dict[tuple[str, str], int] = {}
    for judgment in judgments:
        key = (judgment.query_id, judgment.figure_id)
        if judgment.annotator == ADJUDICATOR and annotator is None:
            decided[key] = judgment.grade
            continue
        grades.setdefault(key, []).append(judgment.grade)
    qrels: dict[str, dict[str, int]] = {}
    for (query_id, figure_id), values in sorted(grades.items()):
        if aggregate == "adjudicated" and (query_id, figure_id) in decided:
            grade = decided[(query_id, figure_id)]
        elif aggregate == "max":
            grade = max(values)
        else:
            counts = Counter(values)
            grade = min(counts, key=lambda g: (-counts[g], g))
        qrels.setdefault(query_id, {})[figure_id] = grade
    if aggregate == "adjudicated":
        for (query_id, figure_id), grade in sorted(decided.items()):
            qrels.setdefault(query_id, {}).setdefault(figure_id, grade)
    return qrels
