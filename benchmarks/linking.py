"""How well the reference signs drawn in real patents link to the sentences that use them.

Reads the hand-made ground truth ``numerals_groundtruth.json`` (the signs printed in every drawing of the
real USPTO and EPO publications under ``../shared/data/patents``), parses each publication, and links
the drawn signs (as the ground truth writes them, i.e. perfect OCR) to the publication's sentences.

Per patent it prints: signs drawn (distinct, over all its images), share of them linked to at least one
sentence, mean sentences per linked sign, mean share of linked signs per image that has signs, the
unlinked signs, and the time to build the mention index and link every image.

Run from the repository root::

    python benchmarks/linking.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from shared_data import DATA

from patimg.documents import parse_publication
from patimg.linking import build_mention_index, link_numerals_to_sentences


def _publication_xml(data: Path, patent: str) -> Path:
    folder = next((data / "patents").glob(f"*/{patent}"))
    return next(p for p in folder.iterdir() if p.suffix.lower() == ".xml" and not p.name.startswith("toc"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = DATA
    parser.add_argument("--data", type=Path, default=default, help="shared real-data folder")
    args = parser.parse_args()
    truth_path = args.data / "numerals_groundtruth.json"
    if not truth_path.exists():
        print(f"ground truth not found at {truth_path}", file=sys.stderr)
        return 2
    truth = json.loads(truth_path.read_text())
    images: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for image, entry in truth["images"].items():
        images[Path(image).parts[2]][image] = entry["labels"]

    header = f"{'patent':22} {'sents':>5} {'drawn':>5} {'linked':>7} {'sent/sign':>9} {'per-image':>9} {'ms':>6}  unlinked"
    print(header)
    print("-" * len(header))
    totals = {"drawn": 0, "linked": 0}
    for patent in sorted(images):
        sentences = parse_publication(_publication_xml(args.data, patent)).sentences
        started = time.perf_counter()
        index = build_mention_index(sentences)
        per_image = {
            image: link_numerals_to_sentences(figure_id=image, signs=signs, sentences=sentences, index=index)
            for image, signs in images[patent].items()
        }
        elapsed_ms = (time.perf_counter() - started) * 1000
        drawn = sorted({sign for signs in images[patent].values() for sign in signs})
        links = link_numerals_to_sentences(figure_id=patent, signs=drawn, sentences=sentences, index=index)
        linked = [link for link in links if link.sentence_indexes]
        shares = [
            sum(bool(x.sentence_indexes) for x in found) / len(found) for found in per_image.values() if found
        ]
        share = f"{len(linked) / len(drawn):.1%}" if drawn else "-"
        per_sign = f"{sum(len(x.sentence_indexes) for x in linked) / len(linked):.1f}" if linked else "-"
        per_figure = f"{sum(shares) / len(shares):.1%}" if shares else "-"
        unlinked = " ".join(link.sign for link in links if not link.sentence_indexes)
        print(
            f"{patent:22} {len(sentences):5d} {len(drawn):5d} {share:>7} {per_sign:>9} {per_figure:>9}"
            f" {elapsed_ms:6.1f}  {unlinked}"
        )
        totals["drawn"] += len(drawn)
        totals["linked"] += len(linked)
    print("-" * len(header))
    print(
        f"all: {totals['linked']}/{totals['drawn']} drawn signs linked ({totals['linked'] / totals['drawn']:.1%})"
    )
    print(f"command: python benchmarks/linking.py --data {args.data}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
