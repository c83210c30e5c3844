"""A small collection fabricated in a temp folder — publications and figures in SQLite, random stored vectors,
exact indexes; no drawing, no encoder — so every search result can be checked against a brute-force search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from patimg.collection import Collection
from patimg.indexes import build_index
from patimg.indexes.generations import new_generation, publish
from patimg.types import Figure, Label, Patent
from patimg.vectors import VectorStore
from patimg.vocabulary import FIGURE_KINDS

DIMS = {"visual": 16, "text": 8}
CLASSES = ("B64C 25/00", "A61B 5/00", "F04D 29/38", "B62K 11/02")


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def store_figures(
    collection: Collection,
    patent: Patent,
    figures: list[Figure],
    labels: dict[str, list[Label]] | None = None,
) -> None:
    """Store a publication with these figures (and ``labels`` read on them, by figure id) and nothing else."""
    collection.write_publication(
        source_key=patent.patent_id,
        source="fabricated",
        source_kind="uspto",
        patent=patent,
        sentences=[],
        figure_descriptions={},
        figures=figures,
        labels=labels or {},
        links=[],
    )


def fabricated_collection(folder: Path) -> Collection:
    """12 publications (US and EP, 2001-2012, one or two classes) of 4 figures each, of every figure kind in turn;
    every figure has a visual vector, two in three a text vector; both indexes exact."""
    collection = Collection.create(folder)
    for p in range(12):
        office = "US" if p % 3 else "EP"
        patent = Patent(
            patent_id=f"{office}{100 + p}B1",
            office=office,
            date=f"{2001 + p}-06-01",
            ipc=(CLASSES[p % 4],),
            cpc=(CLASSES[(p + 1) % 4],) if p % 2 else (),
        )
        figures = [
            Figure(
                figure_id=f"{patent.patent_id}-D{k:05d}-f1",
                patent_id=patent.patent_id,
                caption=f"FIG. {k}",
                kind=FIGURE_KINDS[(p + k) % len(FIGURE_KINDS)],
            )
            for k in range(1, 5)
        ]
        store_figures(collection, patent, figures)
    ids = [f.figure_id for f in collection.figure_records()]
    generation = new_generation(collection.path / "indexes")
    for seed, channel in enumerate(DIMS):
        channel_ids = ids if channel == "visual" else [f for i, f in enumerate(ids) if i % 3]
        vectors = unit_rows(len(channel_ids), DIMS[channel], seed)
        info = {"name": f"test-{channel}", "dim": DIMS[channel]}
        VectorStore.of(collection, channel).save(channel_ids, vectors, info)
        build_index(
            vectors,
            channel_ids,
            out_dir=generation / channel,
            channel=channel,
            encoder_info=info,
            kind="flat",
        )
    publish(collection.path / "indexes", generation)
    return collection


def exact_hits(
    collection: Collection,
    channel: str,
    query: str,
    k: int,
    keep_patent: Callable[[Patent], bool],
    keep_figure: Callable[[Figure], bool] = lambda figure: True,
) -> list[str]:
    """Brute force: the top ``k`` figures of ``channel`` that ``keep_figure`` keeps and whose publication
    ``keep_patent`` keeps, the query left out."""
    ids, vectors, _ = VectorStore.of(collection, channel).load()
    figures = {f.figure_id: f for f in collection.figure_records()}
    patents = {p.patent_id: p for p in collection.patent_records()}
    scores = vectors @ vectors[ids.index(query)]
    order = np.argsort(-scores, kind="stable")
    allowed = [
        ids[r]
        for r in order
        if ids[r] != query
        and ids[r] in figures
        and keep_patent(patents[figures[ids[r]].patent_id])
        and keep_figure(figures[ids[r]])
    ]
    return allowed[:k]
