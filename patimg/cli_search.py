"""The command line's ``search`` verb: an image, a figure, text, a file of queries, or a whole publication.

Kept apart from :mod:`patimg.cli` (the other pipeline verbs, the parser, the error handling) so each file stays
short; :func:`add_search_verb` adds it to the one parser. Every search is written to the collection's audit log.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from patimg.errors import PatImgError
from patimg.terminal import print_json, printable
from patimg.vocabulary import CHANNELS, FIGURE_KINDS, FUSION_RULES, INDEXED_CHANNELS, MAX_K, OCR_BACKENDS


def _search_settings(args: argparse.Namespace):
    from patimg.search_records import SearchFilters, SearchSettings

    filters = SearchFilters(
        office=args.office,
        date_from=args.date_from,
        date_to=args.date_to,
        class_prefix=args.class_prefix,
        exclude_patent=args.exclude_patent,
        kinds=tuple(args.figure_type or ()),
    )
    return SearchSettings(
        channel=args.channel,
        fusion=args.fusion,
        k=args.k,
        filters=filters,
        weights=_parse_weights(args.weights),
    )


def _parse_weights(text: str | None) -> dict[str, float] | None:
    """``"visual=0.6,text=0.4"`` -> ``{"visual": 0.6, "text": 0.4}``."""
    if not text:
        return None
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError as error:
            raise PatImgError(
                f"--weights: {part!r} is not CHANNEL=NUMBER (e.g. visual=0.6,text=0.4)"
            ) from error
    unknown = set(weights) - set(INDEXED_CHANNELS)
    if unknown:
        raise PatImgError(f"--weights: unknown channel(s) {', '.join(sorted(unknown))}; use visual and text")
    return weights


def _run_query(searcher, query: str, settings, text: str | None, user: str):
    """A query line is a figure id of the collection or a path to an image; every search is audit-logged."""
    from patimg.figures import load_drawing

    if Path(query).is_file():
        image = load_drawing(query, name=query)
        return searcher.search(image=image, image_name=query, text=text, settings=settings, user=user)
    return searcher.search(figure_id=query, text=text, settings=settings, user=user)


def _read_queries(path: Path) -> list[str]:
    """The query lines of a ``--queries`` file (blank lines and ``#`` comments left out)."""
    from patimg.fileio import read_utf8_text

    text = read_utf8_text(path, "a --queries file is UTF-8 text, one image path or figure id per line")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _check_options(args: argparse.Namespace) -> str:
    """Refuse options that do not go together, before any model is loaded; returns the examiner's name."""
    if args.description and not args.document:
        raise PatImgError(
            "--description goes with --document (a drawing alone: --document drawing.png --description text.txt)"
        )
    if args.report and args.queries:
        raise PatImgError(
            "--report writes one search: give --image, --figure, --text or --document, not --queries"
        )
    if args.document and args.text:
        raise PatImgError("--text cannot be combined with --document (its text is the document's own)")
    examiner = (args.examiner if args.examiner is not None else getpass.getuser()).strip()
    if not examiner:
        raise PatImgError("--examiner: give a name (the audit log and the report record who searched)")
    return examiner


def cmd_search(args: argparse.Namespace) -> int:
    from patimg.figures import load_drawing
    from patimg.search import Searcher
    from patimg.search_records import hits_to_json

    examiner = _check_options(args)
    searcher = Searcher(args.collection, ocr=args.ocr)
    settings = _search_settings(args)
    if args.document:
        return _search_document(searcher, args, settings, examiner)
    if args.queries:
        for query in _read_queries(args.queries):
            try:
                result = _run_query(searcher, query, settings, args.text, examiner)
                record = {"query": query, "hits": hits_to_json(result.hits)}
            except PatImgError as error:
                record = {"query": query, "error": str(error), "hits": []}
            print(json.dumps(record, ensure_ascii=False), flush=True)
        return 0
    image = load_drawing(args.image, name=str(args.image)) if args.image else None
    result = searcher.search(
        image=image,
        image_name=str(args.image) if args.image else None,
        figure_id=args.figure,
        text=args.text,
        settings=settings,
        user=examiner,
    )
    if args.report:
        query_image = image
        if args.figure:
            query_image = searcher.collection.figure_image_path(args.figure)
        what = " + ".join(str(q) for q in (args.image, args.figure, args.text and f"text: {args.text}") if q)
        _write_report(args, searcher, result, settings, examiner, query=what, query_image=query_image)
    if args.json:
        print_json(hits_to_json(result.hits))
    else:
        for note in result.notes:
            print(f"note: {printable(note)}", file=sys.stderr)
        for hit in result.hits:
            scores = " ".join(f"{k}={v:.3f}" for k, v in hit.scores.items() if v is not None)
            kind = f" [{hit.figure_kind}]" if hit.figure_kind else ""
            print(f"{hit.rank:3d} {hit.score:.4f} {hit.figure_id} {printable(hit.caption)}{kind} ({scores})")
    return 0


def _write_report(args, searcher, result, settings, examiner: str, **query) -> None:
    from patimg.report import write_report

    path = write_report(
        args.report,
        searcher.collection,
        result,
        settings=settings,
        examiner=examiner,
        top=min(settings.k, 10),
        **query,
    )
    print(f"report written to {printable(str(path))}", file=sys.stderr)


def _search_document(searcher, args: argparse.Namespace, settings, examiner: str) -> int:
    """``search --document``: every figure of a publication is a query; results per figure and per patent."""
    import dataclasses

    from patimg.document_query import search_document

    filters = dataclasses.replace(settings.filters, exclude_patent=False)
    settings = dataclasses.replace(settings, filters=filters)
    result = search_document(
        searcher,
        args.document,
        description=args.description,
        settings=settings,
        exclude_patent=args.exclude_patent,
        user=examiner,
    )
    if args.report:
        report_settings = dataclasses.replace(
            settings, filters=dataclasses.replace(filters, exclude_patent=args.exclude_patent)
        )
        what = str(args.document) + (f" with the description {args.description}" if args.description else "")
        _write_report(args, searcher, result, report_settings, examiner, query=what)
    if args.json:
        print_json(result.to_json())
        return 0
    for note in result.notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    for query in result.query_figures:
        linked = ", ".join(query.linked_signs) or "-"
        print(f"{query.figure.figure_id} {printable(query.figure.caption)} (linked signs: {linked})")
        for note in query.result.notes:
            print(f"  note: {printable(note)}", file=sys.stderr)
        for hit in query.result.hits[:5]:
            print(f"  {hit.rank:3d} {hit.score:.4f} {hit.figure_id} {printable(hit.caption)}")
    print("patents:")
    for rank, match in enumerate(result.patents, start=1):
        figures = " ".join(f["figure_id"] for f in match.figures[:5])
        print(f"{rank:3d} {match.score:.4f} {match.patent_id} ({figures})")
    return 0


def add_search_verb(add) -> None:
    """Add ``search`` through the parser's ``add(name, help, handler, ...)``."""
    p = add("search", "find figures like a query image, figure or text", cmd_search)
    query = p.add_mutually_exclusive_group()
    query.add_argument("--image", type=Path, help="query drawing")
    query.add_argument("--figure", help="query figure id of the collection")
    query.add_argument(
        "--queries", type=Path, help="file with one image path or figure id per line (JSON lines out)"
    )
    query.add_argument(
        "--document",
        type=Path,
        help="a publication as the query (USPTO ZIP/folder, EPO package, XML + images; not added to the "
        "collection): each of its figures is searched with its own linked sentences, results also by patent",
    )
    p.add_argument(
        "--description",
        type=Path,
        help="with --document: a UTF-8 text file with the query's description; replaces the publication's, or "
        "gives one to drawings without XML (a single image or a folder of images): signs read link to it",
    )
    p.add_argument(
        "--report",
        type=Path,
        help="also write a self-contained HTML search report here (query figures, settings, top results with "
        "their numerals and sentences; opens offline)",
    )
    p.add_argument(
        "--examiner", help="who searches, for the audit log and the report (default: the login name)"
    )
    p.add_argument("--text", help="query text (alone or with --image/--figure)")
    p.add_argument("--channel", default="fused", choices=CHANNELS)
    p.add_argument("--fusion", default="avg", choices=FUSION_RULES)
    p.add_argument("--weights", help="channel weights for --fusion weighted, e.g. visual=0.6,text=0.4")
    p.add_argument("-k", type=int, default=50, help=f"number of results (1 to {MAX_K})")
    p.add_argument("--office", help="only this office (US, EP)")
    p.add_argument("--date-from", help="only publications on or after YYYY-MM-DD")
    p.add_argument("--date-to", help="only publications on or before YYYY-MM-DD")
    p.add_argument("--class-prefix", help="only publications with an IPC/CPC class starting so (e.g. B64C)")
    p.add_argument(
        "--figure-type",
        action="append",
        choices=FIGURE_KINDS,
        help="only figures of this kind, told from their ink and text when read (repeat for several kinds)",
    )
    p.add_argument("--exclude-patent", action="store_true", help="leave out the query's own patent")
    p.add_argument("--ocr", default="rapidocr", choices=OCR_BACKENDS)
