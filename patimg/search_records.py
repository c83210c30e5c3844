"""The records a search takes and gives: its filters and settings, its result, and the result's JSON and table rows.

Apart from :mod:`patimg.search` (which loads encoders and indexes) so that what only describes a search (the CLI's
options, the Search page's widgets, the audit log, reports) does not import the search machinery.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from patimg.errors import BadInputError
from patimg.types import Hit, Label, SignLink
from patimg.vocabulary import CHANNELS, FUSION_RULES, MAX_K, Channel, FusionRule, Method, figure_kinds


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions that apply to every channel before results are ranked.

    Attributes:
        office: Keep only this office (``"US"``, ``"EP"``).
        date_from: Keep publications on or after this ISO date.
        date_to: Keep publications on or before this ISO date.
        class_prefix: Keep publications with an IPC or CPC class starting with this (``"B64C"``); spaces
            are ignored when comparing.
        exclude_patent: Drop figures of the query's own patent (figure queries), or of this patent id.
        kinds: Keep only figures of these kinds (:data:`~patimg.vocabulary.FIGURE_KINDS`: ``("chart",)``); empty
            keeps every figure, figures not classified (``""``) included.
    """

    office: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    class_prefix: str | None = None
    exclude_patent: bool | str = False
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = (self.kinds,) if isinstance(self.kinds, str) else (self.kinds or ())
        # One order, whatever order they were given in (a set, a list read back from the audit log).
        object.__setattr__(self, "kinds", figure_kinds(kinds, "kinds"))


@dataclass(frozen=True)
class SearchSettings:
    """How to search: what the CLI's options, the Search page's widgets and the audit log all describe.

    Attributes:
        channel: ``"visual"``, ``"text"`` or ``"fused"``.
        fusion: ``"avg"``, ``"max"`` (the paper's), ``"rrf"`` or ``"weighted"``.
        k: Number of results, 1 to :data:`MAX_K`.
        filters: Office, dates, class prefix, figure kinds, excluding the query's patent.
        weights: Channel weights for ``"weighted"`` fusion (``{"visual": 0.6, "text": 0.4}``).
        method: The evaluated method these settings are (``"fused-max"``), when searched as one.
    """

    channel: Channel = "fused"
    fusion: FusionRule = "avg"
    k: int = 50
    filters: SearchFilters = field(default_factory=SearchFilters)
    weights: dict[str, float] | None = None
    method: str = ""

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise BadInputError("channel", f"{self.channel!r} is not one of {', '.join(CHANNELS)}")
        if self.fusion not in FUSION_RULES:
            raise BadInputError("fusion", f"{self.fusion!r} is not one of {', '.join(FUSION_RULES)}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or not 1 <= self.k <= MAX_K:
            raise BadInputError("k", f"must be a whole number from 1 to {MAX_K}, got {self.k!r}")

    @classmethod
    def of_method(cls, method: Method, *, k: int = 50) -> SearchSettings:
        """The settings of an evaluated method (no filters, equal weights)."""
        return cls(channel=method.channel, fusion=method.fusion, k=k, method=method.name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (the audit log's ``settings``)."""
        out = asdict(self)
        if not self.method:
            del out["method"]
        return out


@dataclass
class SearchResult:
    """What a search returns.

    Attributes:
        hits: Ranked figures.
        query_labels: Text read on the query (its own numerals); for a figure query, its stored labels.
        query_links: For a figure query, its signs with their sentences.
        channels_used: Channels that contributed (a channel without a query vector is left out, and said so).
        notes: Plain-language remarks for the user (e.g. why the text channel was not used).
        audit_id: The search's entry in the collection's audit log, when it was logged.
        query_vectors: The query's vector per channel searched, for a refined search (:mod:`patimg.feedback`).
    """

    hits: list[Hit] = field(default_factory=list)
    query_labels: list[Label] = field(default_factory=list)
    query_links: list[SignLink] = field(default_factory=list)
    channels_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    audit_id: int | None = None
    query_vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def hits_to_json(hits: list[Hit]) -> list[dict[str, Any]]:
    """The CLI's JSON shape of a result list."""
    return [
        {
            "figure_id": h.figure_id,
            "patent": h.patent_id,
            "caption": h.caption,
            "score": h.score,
            "scores": h.scores,
            "ranks": h.ranks,
            "rank": h.rank,
            "figure_kind": h.figure_kind,
        }
        for h in hits
    ]


def hits_to_rows(hits: list[Hit], titles: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One flat row per hit for a table or CSV: rank, figure, patent, caption, figure kind, title, score, then
    each channel's score and rank (``visual_score``, ``text_score``, ``visual_rank``, ``text_rank``)."""
    rows = []
    for item in hits_to_json(hits):
        rows.append(
            {
                "rank": item["rank"],
                "figure_id": item["figure_id"],
                "patent": item["patent"],
                "caption": item["caption"],
                "figure_kind": item["figure_kind"],
                "title": (titles or {}).get(item["patent"], ""),
                "score": item["score"],
                **{f"{ch}_score": v for ch, v in item["scores"].items()},
                **{f"{ch}_rank": v for ch, v in item["ranks"].items()},
            }
        )
    return rows
