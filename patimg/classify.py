"""Figure kinds for figures already in a collection (``patimg classify``).

Ingest tells what each figure shows as it reads it (:mod:`patimg.reading`). A collection made before that keeps
its figures with kind ``""`` (not classified): opening it only adds the column. This classifies them from what
the collection holds — each figure's PNG and the text read on it — without reading a drawing again, so it costs
milliseconds a figure, not the seconds of the OCR. Kinds are written every :data:`BATCH` figures: an interrupted
run keeps what it did, and the next one goes on with the figures still unclassified.
"""

from __future__ import annotations

from collections import Counter

from patimg.collection import Collection
from patimg.errors import BadInputError
from patimg.vocabulary import Progress

#: Figures classified between two writes.
BATCH = 500


def classify_stored(
    collection: Collection, *, again: bool = False, progress: Progress | None = None
) -> Counter:
    """Classify the collection's figures that have no kind yet (every figure with ``again``).

    Args:
        collection: A writable collection.
        again: Classify every figure, not only those stored before figures were classified (after the cues
            of :mod:`patimg.figures.kind` changed).
        progress: Called as figures are done (stage ``"classify"``).

    Returns:
        How many figures got each kind; a figure whose image is missing or unreadable keeps ``""`` and is
        counted under ``""``.

    Raises:
        PatImgError: The collection is read-only.
    """
    from patimg.figures import figure_kind, load_drawing

    collection.require_writable("classify its figures")
    figures = [f for f in collection.figure_records() if again or not f.kind]
    counts: Counter = Counter()
    kinds: dict[str, str] = {}
    for done, figure in enumerate(figures, start=1):
        try:
            image = load_drawing(collection.path / figure.image, name=figure.image)
            kinds[figure.figure_id] = figure_kind(image, collection.labels(figure.figure_id))
        except BadInputError:
            kinds[figure.figure_id] = ""
        counts[kinds[figure.figure_id]] += 1
        if len(kinds) >= BATCH or done == len(figures):
            collection.set_figure_kinds(kinds)
            kinds = {}
        if progress is not None:
            progress("classify", done, len(figures), figure.figure_id if done < len(figures) else "")
    return counts
