"""A channel's index in a new generation: the current one grown by the new figures when nothing it holds changed,
else built anew from the stored vectors (see :func:`write_channel_index`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from patimg.indexes.generations import link_channel

#: What makes two channels' vectors comparable: the encoder (name, weights, width) and, for the text channel, the
#: rule that says which texts a figure's vector averages (:mod:`patimg.figure_text`).
IDENTITY_KEYS = ("name", "weights", "dim", "figure_text")


def same_encoder(stored: dict[str, Any] | None, current: dict[str, Any]) -> bool:
    """Whether vectors made by the encoder ``stored`` describes compare with those of ``current``."""
    if stored is None:
        return True
    return all(stored.get(key) == current.get(key) for key in IDENTITY_KEYS)


def write_channel_index(
    current_dir: Path,
    out_dir: Path,
    channel: str,
    ids: list[str],
    vectors: np.ndarray,
    previous: dict[str, np.ndarray],
    encoder_info: dict[str, Any],
    kind: str,
) -> dict[str, Any]:
    """Write the channel's index into ``out_dir``: the current one (``current_dir``) grown by the new figures
    when nothing it holds changed, else a new build.

    Growing saves the build of an approximate index (HNSW, IVF-PQ) when publications are added. An index is
    rebuilt when its encoder or kind differs, when it asks to be retrained, when one of its figures is gone
    (never return a figure that no longer exists) or when a figure's vector changed (a re-linked text vector).
    """
    from patimg.indexes import INFOS_FILE, add_to_index, build_index

    indexed = _unchanged_index_ids(current_dir, ids, vectors, previous, encoder_info, kind)
    if indexed is None:
        info = build_index(
            vectors,
            ids,
            out_dir=out_dir,
            channel=channel,
            encoder_info=encoder_info,
            kind=kind,
            note=_rebuild_note(current_dir, encoder_info),
        )
        return info.to_dict()
    link_channel(current_dir, out_dir)
    new_rows = [row for row, fid in enumerate(ids) if fid not in indexed]
    if not new_rows:
        return json.loads((out_dir / INFOS_FILE).read_text(encoding="utf-8"))
    return add_to_index(out_dir, vectors[new_rows], [ids[row] for row in new_rows]).to_dict()


def _rebuild_note(current_dir: Path, encoder_info: dict[str, Any]) -> str:
    """What to record when the current index asked to be retrained (its infos' ``needs_retrain``) or was built
    under another figure-text rule (:mod:`patimg.figure_text`), else ``""``."""
    from patimg.figure_text import recorded_rule
    from patimg.indexes import INFOS_FILE

    try:
        info = json.loads((current_dir / INFOS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    params = info.get("params", {})
    if params.get("needs_retrain"):
        return f"retrained: the index held {info.get('count', 0):,} vectors, trained on {params.get('trained_on', 0):,}"
    old_rule, new_rule = info.get("encoder", {}).get("figure_text"), encoder_info.get("figure_text")
    if new_rule and old_rule != new_rule:
        return f"rebuilt: figure text vectors now follow the rule {new_rule!r} (they followed {recorded_rule({'figure_text': old_rule})!r})"
    return ""


def _unchanged_index_ids(
    out_dir: Path,
    ids: list[str],
    vectors: np.ndarray,
    previous: dict[str, np.ndarray],
    encoder_info: dict[str, Any],
    kind: str,
) -> set[str] | None:
    """The ids of the index in ``out_dir`` when it can be grown to ``ids``, else ``None``."""
    from patimg.indexes import IDS_FILE, INFOS_FILE

    try:
        info = json.loads((out_dir / INFOS_FILE).read_text(encoding="utf-8"))
        indexed = json.loads((out_dir / IDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not same_encoder(info.get("encoder") or {}, encoder_info) or info.get("requested_kind") != kind:
        return None
    if info.get("params", {}).get("needs_retrain") or info.get("count") != len(indexed):
        return None
    row_of = {fid: row for row, fid in enumerate(ids)}
    for fid in indexed:
        if (
            fid not in row_of
            or fid not in previous
            or not np.array_equal(previous[fid], vectors[row_of[fid]])
        ):
            return None
    return set(indexed)
