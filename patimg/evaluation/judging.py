"""What judging a pool needs besides the store: grades the Judge page writes, an annotator's progress through a
pool, and importing a qrels file as one annotator's judgments."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from patimg.errors import BadInputError
from patimg.evaluation.trec import read_qrels

#: Grades the Judge page writes: 0 not relevant, 1 marginal, 2 relevant, 3 highly relevant (``r`` is 2).
NOT_RELEVANT, MARGINAL, RELEVANT, HIGHLY_RELEVANT = 0, 1, 2, 3


def _own_judgments(store, query_id: str, annotator: str) -> dict[str, int]:
    return {j.figure_id: j.grade for j in store.judgments(query_id, annotator=annotator)}


def next_unjudged(
    store, query_id: str, pool: Sequence[str], *, annotator: str, after: str | None = None
) -> str | None:
    """The next pool figure ``annotator`` has not judged yet, or ``None`` when they judged them all.

    Args:
        store: The judgment store.
        query_id: The query.
        pool: The pool, in the order shown.
        annotator: Whose judgments count (each annotator judges the whole pool).
        after: Start looking after this figure (wrapping round to the start), e.g. the one just skipped;
            it comes back only when it is the last unjudged one.
    """
    judged = _own_judgments(store, query_id, annotator)
    start = pool.index(after) + 1 if after in pool else 0
    for figure_id in [*pool[start:], *pool[:start]]:
        if figure_id not in judged:
            return figure_id
    return None


def judging_progress(store, query_id: str, pool: Sequence[str], *, annotator: str) -> tuple[int, int]:
    """``(judged, total)``: how many figures of ``pool`` ``annotator`` has judged, and the pool size."""
    judged = _own_judgments(store, query_id, annotator)
    return sum(1 for figure_id in pool if figure_id in judged), len(pool)


def pool_grades(store, query_id: str, pool: Sequence[str], *, annotator: str) -> dict[str, int | None]:
    """Pool figure -> ``annotator``'s current grade (``None`` when not judged yet), in pool order."""
    judged = _own_judgments(store, query_id, annotator)
    return {figure_id: judged.get(figure_id) for figure_id in pool}


def import_qrels_bytes(
    store, data: bytes, *, annotator: str, name: str = "qrels.txt", collection=None
) -> int:
    """Record an uploaded TREC qrels file as ``annotator``'s judgments; returns how many lines were stored.

    Nothing is stored unless the whole file is good.

    Args:
        store: The judgment store.
        data: The file's bytes.
        annotator: Whose judgments they become (e.g. ``"imported"``).
        name: The file's name, used in error messages (``qrels.txt:3: ...``).
        collection: When given, every query id must be a judged query or a figure of it, and every judged
            id a figure of it.

    Raises:
        BadInputError: Not UTF-8 text, a malformed line (named ``<name>:<line>``), an unknown query or figure.
    """
    safe_name = Path(name).name or "qrels.txt"
    with tempfile.TemporaryDirectory(prefix="patimg-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(data)
        try:
            qrels = read_qrels(path)
        except BadInputError as error:
            # Name the uploaded file, not the temporary copy.
            raise BadInputError(error.source.replace(str(path), safe_name), error.problem) from None
        if not qrels:
            raise BadInputError(safe_name, "no qrels lines ('qid iter figure_id grade') in the file")
        if collection is not None:
            _check_qrels_ids(store, collection, source=safe_name, text=data.decode("utf-8"))
        try:
            return store.import_qrels(path, annotator=annotator)
        except BadInputError as error:
            raise BadInputError(error.source.replace(str(path), safe_name), error.problem) from None


def _check_qrels_ids(store, collection, *, source: str, text: str) -> None:
    """Every line's query is a judged query or a figure, and its judged figure is in the collection."""
    figure_ids = {f.figure_id for f in collection.figure_records()}
    known_queries = {q.query_id for q in store.list_queries()}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.split():
            continue
        qid, _, doc, _ = line.split()  # read_qrels has checked the shape of every line
        if qid not in known_queries and qid not in figure_ids:
            raise BadInputError(
                f"{source}:{number}", f"query {qid!r} is neither a judged query nor a figure here"
            )
        if doc not in figure_ids:
            raise BadInputError(f"{source}:{number}", f"figure {doc!r} is not in this collection")
