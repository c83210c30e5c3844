"""The command line's judging and evaluation verbs: ``eval``, ``judgments import|export``, ``agreement``.

Kept apart from :mod:`patimg.cli` (the pipeline verbs, the parser, the error handling) so each file stays short;
:func:`add_evaluation_verbs` adds them to the one parser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patimg.errors import BadInputError, PatImgError
from patimg.terminal import print_json, progress_bar
from patimg.vocabulary import AGGREGATES


def cmd_eval(args: argparse.Namespace) -> int:
    from patimg.evaluation import evaluate_collection, evaluate_trec_files, format_table_1

    if args.run:
        if not args.qrels:
            raise PatImgError("--run needs --qrels FILE (the judgments to score the runs against)")
        payload = evaluate_trec_files(args.qrels, args.run, relevance=args.relevance, test=args.test)
    else:
        if not args.collection:
            raise PatImgError("give --collection DIR (judged searches) or --qrels FILE --run FILE...")
        evaluation = evaluate_collection(
            args.collection,
            qrels=args.qrels,
            same_patent=args.same_patent,
            depth=args.k,
            relevance=args.relevance,
            aggregate=args.aggregate,
            progress=None if args.quiet else progress_bar(),
        )
        if args.runs_dir is not None:
            evaluation.write_trec(args.runs_dir)
        payload = evaluation.to_dict(test=args.test)
    if args.json:
        print_json(payload)
    else:
        print(format_table_1(payload))
    return 0


def _store(collection: Path):
    from patimg.collection import Collection
    from patimg.evaluation import JudgmentStore

    opened = Collection.open(collection)
    return opened, JudgmentStore(opened.path / "judgments.sqlite")


def cmd_judgments(args: argparse.Namespace) -> int:
    from patimg.evaluation import import_qrels_bytes, qrels_text

    collection, store = _store(args.collection)
    if args.action == "import":
        if not args.file:
            raise BadInputError("judgments import", "give the qrels file to import")
        if not args.annotator:
            raise BadInputError("judgments import", "give --annotator NAME (whose judgments they become)")
        try:
            data = Path(args.file).read_bytes()
        except OSError as error:
            raise BadInputError(str(args.file), f"cannot read: {error.strerror or error}") from None
        count = import_qrels_bytes(
            store, data, annotator=args.annotator, name=str(args.file), collection=collection
        )
        payload = {"imported": count, "annotator": args.annotator}
        if args.json:
            print_json(payload)
        else:
            print(f"imported {count} judgment(s) as {args.annotator}", file=sys.stderr)
        return 0
    text = qrels_text(store.qrels(aggregate=args.aggregate, annotator=args.annotator))
    if args.file:
        from patimg.fileio import atomic_write_text

        atomic_write_text(args.file, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    from patimg.evaluation.agreement import agreement

    _, store = _store(args.collection)
    result = agreement(store).to_dict()
    if args.json:
        print_json(result)
    else:
        for pair in result["pairs"]:
            kappa = "-" if pair["cohen_kappa"] is None else f"{pair['cohen_kappa']:.3f}"
            print(f"{pair['a']:16s} {pair['b']:16s} n={pair['n']:<5d} kappa={kappa}")
        alpha = result["krippendorff_alpha"]
        print(f"Krippendorff's alpha (ordinal): {'-' if alpha is None else f'{alpha:.3f}'}")
    return 0


def add_evaluation_verbs(add) -> None:
    """Add ``eval``, ``judgments`` and ``agreement`` through the parser's ``add(name, help, handler, ...)``."""
    from patimg.evaluation.significance import TESTS

    p = add(
        "eval", "AP@50 per query and mAP per method (trec_eval map_cut.50)", cmd_eval, collection="optional"
    )
    p.add_argument("--qrels", type=Path, help="TREC qrels file")
    p.add_argument("--run", type=Path, nargs="+", help="TREC run files to score (no collection needed)")
    p.add_argument(
        "--same-patent",
        action="store_true",
        help="automatic judgments: figures of the same patent are relevant (DeepPatent rule)",
    )
    p.add_argument("--runs-dir", type=Path, help="also write the qrels and one TREC run file per method here")
    p.add_argument("-k", type=int, default=50, help="cutoff (AP@k)")
    p.add_argument(
        "--relevance",
        type=int,
        default=1,
        help="grade from which a result is relevant for AP and P (default 1)",
    )
    p.add_argument("--aggregate", default="max", choices=AGGREGATES, help="how several annotators combine")
    p.add_argument("--test", default=TESTS[0], choices=TESTS, help="paired test between methods")

    p = add("judgments", "import or export judgments as TREC qrels (grades 0-3)", cmd_judgments)
    p.add_argument("action", choices=["import", "export"])
    p.add_argument(
        "file", nargs="?", type=Path, help="qrels file to import, or to export to (default stdout)"
    )
    p.add_argument(
        "--annotator", help="whose judgments: import records them as this annotator; export only theirs"
    )
    p.add_argument("--aggregate", default="max", choices=AGGREGATES, help="export: how annotators combine")

    add(
        "agreement",
        "agreement between annotators: Cohen's kappa per pair, Krippendorff's alpha",
        cmd_agreement,
    )
