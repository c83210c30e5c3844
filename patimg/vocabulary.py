"""The words PatImg's stages, command line and pages share, each defined once.

Channels, fusion rules, score normalisations, index kinds, OCR backends and figure kinds are ``Literal`` types;
the tuple of their values (``CHANNELS``, ``FUSION_RULES``, ...) is read off the type, so a choice list in the CLI
or a page widget can never drift from what the code accepts. :data:`METHODS` names the retrieval methods the paper's
Table 1 compares (a channel with a fusion rule), and :class:`Progress` is the one callback every long stage
reports through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

Channel = Literal["visual", "text", "fused"]
"""``visual`` and ``text`` are the two indexed channels; ``fused`` combines them."""
CHANNELS: tuple[str, ...] = get_args(Channel)
#: The channels that have an index and vectors of their own.
INDEXED_CHANNELS: tuple[str, ...] = CHANNELS[:2]

FusionRule = Literal["avg", "max", "rrf", "weighted"]
"""How per-channel results become one ranking (see :mod:`patimg.fusion`); ``avg`` and ``max`` are the paper's."""
FUSION_RULES: tuple[str, ...] = get_args(FusionRule)

Normalisation = Literal["none", "minmax", "zscore"]
"""Per-channel score scaling before a score-based fusion rule."""
NORMALISATIONS: tuple[str, ...] = get_args(Normalisation)

IndexKind = Literal["auto", "flat", "ivfpq", "hnsw"]
"""FAISS index kinds a channel can be built as (see :mod:`patimg.indexes`)."""
INDEX_KINDS: tuple[str, ...] = get_args(IndexKind)

OcrName = Literal["rapidocr", "easyocr"]
"""OCR backends (see :mod:`patimg.ocr`): RapidOCR ships its models, EasyOCR is the paper's reference."""
OCR_BACKENDS: tuple[str, ...] = get_args(OcrName)

OcrRuntime = Literal["auto", "onnxruntime", "openvino"]
"""What runs RapidOCR's networks (see :mod:`patimg.ocr.rapid`): ``auto`` is OpenVINO where it is installed."""
OCR_RUNTIMES: tuple[str, ...] = get_args(OcrRuntime)

Engine = Literal["local", "ray"]
"""What ingest and indexing run on (see :mod:`patimg.engines`): ``local``, this machine (worker processes); ``ray``,
a Ray cluster (``pip install "patimg[ray]"``), started on this machine when no address is given."""
ENGINES: tuple[str, ...] = get_args(Engine)

Aggregate = Literal["max", "majority", "adjudicated"]
"""How several annotators' grades of one result combine: relevant if anyone says so, by majority vote, or the
adjudicated final grade where annotators disagreed (else the majority)."""
AGGREGATES: tuple[str, ...] = get_args(Aggregate)

FigureTextRule = Literal["linked", "linked-else-description"]
"""What a figure's text vector averages (see :mod:`patimg.figure_text`): ``linked``, the sentences its reference
signs link to (the paper's rule; what indexes built before issue 12 hold); ``linked-else-description``, those, or
for a figure with no linked sentence its own brief-description sentence and its publication's title."""
FIGURE_TEXT_RULES: tuple[str, ...] = get_args(FigureTextRule)

FigureKind = Literal["drawing", "diagram", "chart", "chemical", "table"]
"""What a figure shows (see :mod:`patimg.figures.kind`): ``drawing``, a line drawing of an object (the default);
``diagram``, a block diagram or flowchart (text in boxes joined by lines and arrows); ``chart``, a graph or chart
(axes with ticks, curves or bars); ``chemical``, a chemical structure (rings and bonds with atom letters);
``table``, a ruled grid with text in its cells. A figure stored before figures were classified has ``""``."""
FIGURE_KINDS: tuple[str, ...] = get_args(FigureKind)


def figure_kinds(kinds: Iterable[str], what: str) -> tuple[str, ...]:
    """``kinds`` once each, in :data:`FIGURE_KINDS` order.

    Raises:
        BadInputError: Naming ``what``, for a kind that is not one.
    """
    from patimg.errors import BadInputError

    wanted = set(kinds)
    unknown = sorted(wanted - set(FIGURE_KINDS))
    if unknown:
        raise BadInputError(
            what, f"{', '.join(map(repr, unknown))}: figure kinds are {', '.join(FIGURE_KINDS)}"
        )
    return tuple(kind for kind in FIGURE_KINDS if kind in wanted)


Mark = Literal["relevant", "not relevant"]
"""An examiner's mark on a search result, as the search report shows it (see :mod:`patimg.report`)."""
MARKS: tuple[str, ...] = get_args(Mark)


#: Most results (``k``) one search may ask for. Far past any list an examiner reads or a judged pool needs (50), and it
#: bounds what a search allocates: FAISS keeps k ids and scores per channel, so ``-k 2000000000`` once took 23 GB.
MAX_K = 10_000


class Progress(Protocol):
    """``progress(stage, done, total, item)``: ``done`` of ``total`` items of ``stage`` finished, ``item``
    the one being worked on (``""`` at the end). The CLI draws tqdm bars with it, the app progress bars."""

    def __call__(self, stage: str, done: int, total: int, item: str, /) -> None: ...


@dataclass(frozen=True)
class Method:
    """A retrieval method as the paper's Table 1 compares them.

    Attributes:
        name: Run name (TREC run tag, CLI JSON key): ``text``, ``visual``, ``fused-<rule>``.
        channel: The channel searched.
        fusion: The fusion rule (only meaningful for ``fused``).
        label: The row of the paper's Table 1 (``textual``, ``re-ranking max``...).
        paper_map: The paper's mAP (AP@50) for that row, where it has one.
    """

    name: str
    channel: str
    fusion: str
    label: str
    paper_map: float | None = None


#: The paper's Table 1 (Pustu-Iren et al. 2021, mAP as AP@50) for its fused rows, by fusion rule.
_PAPER_FUSED = {"max": 0.703, "avg": 0.715}

#: Every method, in the paper's row order (textual, visual, max, avg), then PatImg's extra fusion rules.
METHODS: tuple[Method, ...] = (
    Method("text", "text", FUSION_RULES[0], "textual", 0.683),
    Method("visual", "visual", FUSION_RULES[0], "visual", 0.696),
    *(
        Method(f"fused-{rule}", "fused", rule, f"re-ranking {rule}", _PAPER_FUSED.get(rule))
        for rule in [*_PAPER_FUSED, *(r for r in FUSION_RULES if r not in _PAPER_FUSED)]
    ),
)

#: The paper's Table 1 by row label, shown beside PatImg's numbers for context.
PAPER_TABLE_1: dict[str, float] = {m.label: m.paper_map for m in METHODS if m.paper_map is not None}

#: Run names (and the bare rule names TREC files may use as tags) mapped to the paper's row labels.
RUN_LABELS: dict[str, str] = {
    **{m.name: m.label for m in METHODS},
    **{m.fusion: m.label for m in METHODS if m.channel == "fused"},
    "textual": "textual",
    "fused": f"re-ranking {FUSION_RULES[0]}",
}

#: Row labels in table order.
TABLE_ROWS: tuple[str, ...] = tuple(m.label for m in METHODS)


def method(name: str) -> Method:
    """The method called ``name`` (``"fused-max"``)."""
    for candidate in METHODS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
