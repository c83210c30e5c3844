"""Write what the CLI prints as JSON for one collection, to compare two versions of PatImg byte for byte.

The JSON of ``figures``, ``links`` (every figure), ``search`` (figure, image and text queries, every channel and
fusion rule) and ``eval --same-patent`` is a contract scripts rely on. A change that should not alter it (a
refactor) is checked by running this script at both commits on the same collection and diffing the folders::

    git stash; python tools/cli_json_snapshot.py /tmp/before --collection collections/demo; git stash pop
    python tools/cli_json_snapshot.py /tmp/after --collection collections/demo
    diff -r /tmp/before /tmp/after && echo identical

The collection's absolute path is replaced by ``<collection>`` (``figures`` prints image paths). Searches are
written to the collection's audit log, as any CLI search is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from patimg.cli import main


def run(argv: list[str], collection: Path) -> str:
    """The CLI's stdout for ``argv`` (status 0 required), with the collection path made relative."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    if status != 0:
        raise SystemExit(f"patimg {' '.join(argv)} exited with {status}")
    return (
        out.getvalue()
        .replace(str(collection.resolve()), "<collection>")
        .replace(str(collection), "<collection>")
    )


def snapshot(collection: Path, out_dir: Path) -> list[str]:
    """Write one file per CLI call into ``out_dir``; returns the file names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    c = ["--collection", str(collection), "--json", "--quiet"]
    calls: dict[str, list[str]] = {"figures.json": ["figures", *c]}
    figures = json.loads(run(["figures", *c], collection))
    for figure in figures:
        calls[f"links-{figure['figure_id']}.json"] = ["links", *c, "--figure", figure["figure_id"]]
    for figure in figures[:: max(1, len(figures) // 4)][:4]:
        fid = figure["figure_id"]
        for channel in ("visual", "text"):
            calls[f"search-{fid}-{channel}.json"] = ["search", *c, "--figure", fid, "--channel", channel]
        for rule in ("avg", "max", "rrf", "weighted"):
            calls[f"search-{fid}-fused-{rule}.json"] = ["search", *c, "--figure", fid, "--fusion", rule]
        calls[f"search-{fid}-exclude.json"] = ["search", *c, "--figure", fid, "--exclude-patent", "-k", "7"]
    image = figures[0]["image"].replace("<collection>", str(collection.resolve()))
    calls["search-image.json"] = ["search", *c, "--image", image, "--channel", "visual"]
    calls["search-text.json"] = ["search", *c, "--text", "a rotor with blades", "--channel", "text"]
    calls["eval-same-patent.json"] = ["eval", *c, "--same-patent"]
    for name, argv in calls.items():
        (out_dir / name).write_text(run(argv, collection), encoding="utf-8")
    return sorted(calls)


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--collection", type=Path, required=True)
    args = parser.parse_args()
    names = snapshot(args.collection, args.out_dir)
    print(f"{len(names)} files written to {args.out_dir}")


if __name__ == "__main__":
    main_cli()
