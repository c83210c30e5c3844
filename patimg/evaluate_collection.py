"""Evaluate a collection's search methods on judgments, as the paper's Table 1.

Every method (text, visual, and each fusion rule) answers every judged query with the same searcher, and all
are scored on the same judgments (AP@50 = trec_eval ``map_cut.50``, via :mod:`patimg.evaluation`).

Judgments come from the collection's ``judgments.sqlite`` (made on the Judge page), from a TREC qrels file, or
from the automatic rule of DeepPatent — figures of the same patent are relevant to each other — which
:func:`same_patent_qrels` writes for collections such as design patents, where the views of one design are the
natural relevant set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patimg.collection import Collection
from patimg.errors import BadInputError

#: Method name -> (channel, fusion rule). Names map to the paper's rows in ``patimg.evaluation.RUN_LABELS``.
METHODS: dict[str, tuple[str, str]] = {
    "text": ("text", "avg"),
    "visual": ("visual", "avg"),
    "fused-max": ("fused", "max"),
    "fused-avg": ("fused", "avg"),
    "fused-rrf": ("fused", "rrf"),
    "fused-weighted": ("fused", "weighted"),
}


@dataclass(frozen=True)
class QuerySpec:
    """What a judged query asks: a figure of the collection, an image file, and/or text."""

    figure_id: str | None = None
    image_path: str | None = None
    text: str | None = None


def same_patent_qrels(collection: Collection) -> dict[str, dict[str, int]]:
    """Automatic judgments: each figure is a query; the other figures of its patent are relevant.

    (Ingest leaves out USPTO front-page drawings, which repeat a sheet and would be trivially relevant.)

    Returns:
        Qrels: query figure id -> figure id -> 1 for every other figure of the same patent.
    """
    by_patent: dict[str, list[str]] = {}
    for figure in collection.figure_records():
        by_patent.setdefault(figure.patent_id, []).append(figure.figure_id)
    qrels: dict[str, dict[str, int]] = {}
    for figures in by_patent.values():
        for query in figures:
            relevant = {other: 1 for other in figures if other != query}
            if relevant:
                qrels[query] = relevant
    return qrels


def method_runs(
    searcher,
    queries: Mapping[str, QuerySpec],
    *,
    k: int = 50,
    methods: Mapping[str, tuple[str, str]] = METHODS,
    progress: Callable[[str, int, int, str], None] | None = None,
) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """Run every method on every query; returns method -> query id -> ranked ``(figure id, score)``.

    A method that cannot answer a query (e.g. the text channel for a figure with no linked sentences) gets an
    empty result there, which scores 0 — the same rule as trec_eval's ``-c``.
    """
    from patimg.figures import load_drawing

    runs: dict[str, dict[str, list[tuple[str, float]]]] = {name: {} for name in methods}
    for done, (qid, spec) in enumerate(sorted(queries.items())):
        if progress:
            progress("evaluate", done, len(queries), qid)
        image = load_drawing(spec.image_path, name=spec.image_path) if spec.image_path else None
        for name, (channel, rule) in methods.items():
            result = searcher.search(
                image=image,
                figure_id=spec.figure_id,
                text=spec.text,
                channel=channel,
                fusion=rule,
                k=k,
            )
            runs[name][qid] = [(hit.figure_id, hit.score) for hit in result.hits]
    if progress:
        progress("evaluate", len(queries), len(queries), "")
    return runs


def _queries_for(collection: Collection, qrels: Mapping[str, Any], store) -> dict[str, QuerySpec]:
    """Resolve each qrels query id: a query of the judgment store, else a figure id of the collection."""
    figure_ids = {f.figure_id for f in collection.figure_records()}
    queries = {}
    for qid in qrels:
        stored = store.get_query(qid) if store is not None else None
        if stored is not None:
            # The store keeps "" for a field a query does not have; the searcher wants None there.
            queries[qid] = QuerySpec(
                figure_id=stored.figure_id or None,
                image_path=stored.image_path or None,
                text=stored.text or None,
            )
        elif qid in figure_ids:
            queries[qid] = QuerySpec(figure_id=qid)
        else:
            raise BadInputError(qid, f"query id is neither a judged query nor a figure of {collection.path}")
    return queries


def evaluate_collection(
    collection: str | Path,
    *,
    qrels: str | Path | Mapping[str, Mapping[str, int]] | None = None,
    same_patent: bool = False,
    k: int = 50,
    progress: Callable[[str, int, int, str], None] | None = None,
    runs_dir: str | Path | None = None,
) -> dict[str, Any]:
    """AP@50 per query and mAP per method over a collection's judged queries.

    Args:
        collection: Collection folder (indexed).
        qrels: Judgments: a TREC qrels file or a mapping; default the collection's ``judgments.sqlite``.
        same_patent: Use automatic judgments (same patent = relevant) instead.
        k: Depth of each method's result list (AP@k).
        progress: Optional progress callback.
        runs_dir: Also write one TREC run file per method there (and the qrels used).

    Returns:
        ``{"runs": {method: {"AP@50": mean, "per_query": {...}, ...}}, "meta": {...}}``.
    """
    from patimg import evaluation
    from patimg.judgments import JudgmentStore
    from patimg.search import Searcher

    store_obj = Collection.open(collection)
    store = None
    judgments_path = store_obj.path / "judgments.sqlite"
    if judgments_path.exists():
        store = JudgmentStore(judgments_path)
    if same_patent:
        judged = same_patent_qrels(store_obj)
    elif qrels is None:
        if store is None:
            raise BadInputError(
                str(judgments_path),
                "no judgments yet: judge results on the Judge page, "
                "give --qrels FILE, or use --same-patent for automatic judgments",
            )
        judged = store.qrels()
    elif isinstance(qrels, Mapping):
        judged = {str(q): dict(d) for q, d in qrels.items()}
    else:
        judged = evaluation.read_qrels(qrels)
    queries = _queries_for(store_obj, judged, store)
    searcher = Searcher(store_obj.path)
    runs = method_runs(searcher, queries, k=k, progress=progress)
    table = evaluation.evaluate(judged, runs, depth=k)
    payload = table.to_dict()
    payload.setdefault("meta", {}).update(
        {
            "queries": len(queries),
            "judgments": "same-patent" if same_patent else ("qrels file" if qrels else "judgments.sqlite"),
        }
    )
    if runs_dir is not None:
        out = Path(runs_dir)
        out.mkdir(parents=True, exist_ok=True)
        evaluation.write_qrels(judged, out / "qrels.txt")
        for name, run in runs.items():
            evaluation.write_run(run, out / f"{name}.run", name=name)
    return payload
