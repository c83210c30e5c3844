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
from patimg.vocabulary import CHANNELS, FUSION_RULES, INDEXED_CHANNELS, MAX_K, OCR_BACKENDS


def _search_settings(args: argparse.Namespace):
    from patimg.search import SearchFilters, SearchSettings

    filters = SearchFilters(
        office=args.office,
        date_from=args.date_from,
        date_to=args.date_to,
        class_prefix=args.class_prefix,
        exclude_patent=args.exclude_patent,
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


def _run_query(searcher, query: str, settings, text: str | None = None):
    """A query line is a figure id of the collection or a path to an image; every search is audit-logged."""
    from patimg.figures import load_drawing

    user = getpass.getuser()
    if Path(query).is_file():
        image = load_drawing(query, name=query)
        return searcher.search(image=image, image_name=query, text=text, settings=settings, user=user)
    return searcher.search(figure_id=query, text=text, settings=settings, user=user)


def _read_queries(path: Path) -> list[str]:
    """The query lines of a ``--queries`` file (blank lines and ``#`` comments left out).

    Raises:
        BadInputError: The file cannot be read or is not UTF-8 text (a binary file handed over by mistake).
    """
    from patimg.errors import BadInputError

    what = "a --queries file is UTF-8 text, one image path or figure id per line"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BadInputError(str(path), f"not text: byte {error.start} is not UTF-8 ({what})") from None
    except OSError as error:
        raise BadInputError(str(path), f"cannot read file ({error.strerror or error})") from None
    if "\x00" in text:
        raise BadInputError(str(path), f"not text: it holds NUL bytes ({what})")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def cmd_search(args: argparse.Namespace) -> int:
    from patimg.figures import load_drawing
    from patimg.search import Searcher, hits_to_json

    searcher = Searcher(args.collection, ocr=args.ocr)
    settings = _search_settings(args)
    if args.document:
        return _search_document(searcher, args, settings)
    if args.queries:
        for query in _read_queries(args.queries):
            try:
                result = _run_query(searcher, query, settings, text=args.text)
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
        user=getpass.getuser(),
    )
    if args.json:
        print_json(hits_to_json(result.hits))
    else:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        for hit in result.hits:
            scores = " ".join(f"{k}={v:.3f}" for k, v in hit.scores.items() if v is not None)
            print(f"{hit.rank:3d} {hit.score:.4f} {hit.figure_id} {hit.caption} ({scores})")
    return 0


def _search_document(searcher, args: argparse.Namespace, settings) -> int:
    """``search --document``: every figure of a publication is a query; results per figure and per patent."""
    import dataclasses

    from patimg.document_query import search_document

    if args.text:
        raise PatImgError("--text cannot be combined with --document (its text is the document's own)")
    filters = dataclasses.replace(settings.filters, exclude_patent=False)
    result = search_document(
        searcher,
        args.document,
        settings=dataclasses.replace(settings, filters=filters),
        exclude_patent=args.exclude_patent,
        user=getpass.getuser(),
    )
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
    p.add_argument("--text", help="query text (alone or with --image/--figure)")
    p.add_argument("--channel", default="fused", choices=CHANNELS)
    p.add_argument("--fusion", default="avg", choices=FUSION_RULES)
    p.add_argument("--weights", help="channel weights for --fusion weighted, e.g. visual=0.6,text=0.4")
    p.add_argument("-k", type=int, default=50, help=f"number of results (1 to {MAX_K})")
    p.add_argument("--office", help="only this office (US, EP)")
    p.add_argument("--date-from", help="only publications on or after YYYY-MM-DD")
    p.add_argument("--date-to", help="only publications on or before YYYY-MM-DD")
    p.add_argument("--class-prefix", help="only publications with an IPC/CPC class starting so (e.g. B64C)")
    p.add_argument("--exclude-patent", action="store_true", help="leave out the query's own patent")
    p.add_argument("--ocr", default="rapidocr", choices=OCR_BACKENDS)
