"""``patimg`` command line: one subcommand per pipeline stage (``python -m patimg`` works the same).

Errors the user can act on (a bad input, a missing model) print one line on stderr and exit with status 2;
JSON goes to stdout only, so scripts can pipe it. Messages go through :func:`patimg.terminal.printable`, so a file name
holding control characters (``ESC[2J`` clears a terminal) is shown escaped, never acted on by the terminal.
`patimg ingest` exits by :data:`INGEST_EXIT_STATUS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from patimg.cli_evaluation import add_evaluation_verbs
from patimg.cli_search import add_search_verb
from patimg.errors import PatImgError
from patimg.terminal import print_json, printable, progress_bar
from patimg.vocabulary import ENGINES, INDEX_KINDS, OCR_BACKENDS

#: The exit status of `patimg ingest` (README, "Command line"; shown by `patimg ingest --help`).
INGEST_EXIT_STATUS = (
    "exit status: 0 when every input was ingested or skipped as already ingested; "
    "2 when inputs failed and none was ingested or already there; "
    "3 when some inputs failed and others were ingested or already there"
)


def _positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest, report each failed input by name on one line, and exit by :data:`INGEST_EXIT_STATUS`.

    An input that brought a publication but some of whose drawings failed counts as failed too: a script
    must see that something it gave was not taken in whole.
    """
    from patimg.ingest import ingest

    report = ingest(
        args.sources,
        collection=args.collection,
        ocr=args.ocr,
        workers=args.workers,
        engine=args.engine,
        ray_address=args.ray_address,
        progress=None if args.quiet else progress_bar(),
    )
    if args.json:
        print_json(report.to_dict())
    else:
        print(
            f"added {len(report.added)} publication(s), {report.figures} figure(s); "
            f"skipped {len(report.skipped)} already ingested; {len(report.errors)} failed",
            file=sys.stderr,
        )
        for source, problem in report.errors:
            print(f"  failed: {printable(source)}: {printable(problem)}", file=sys.stderr)
        for source, note in report.notes:
            print(f"  note: {printable(source)}: {printable(note)}", file=sys.stderr)
    if not report.errors:
        return 0
    return 3 if report.added or report.skipped else 2


def cmd_read(args: argparse.Namespace) -> int:
    from patimg.figures import load_drawing
    from patimg.ocr import get_ocr, read_drawing

    image = load_drawing(args.image, name=str(args.image))
    reading = read_drawing(image, ocr=get_ocr(args.ocr))
    items = [
        {
            "text": lab.text,
            "kind": lab.kind,
            "box": [round(v, 1) for v in lab.box],
            "confidence": round(float(lab.confidence), 4),
        }
        for lab in reading.labels
    ]
    if args.json:
        print_json(items)
    else:
        print(f"rotation {reading.rotation} degrees")
        for item in items:
            print(f"{item['kind']:9s} {item['text']:10s} {item['confidence']:.2f} {item['box']}")
    return 0


def cmd_patents(args: argparse.Namespace) -> int:
    from patimg.collection import Collection

    collection = Collection.open(args.collection)
    counts = collection.figure_counts()
    out = [
        {
            "id": patent.patent_id,
            "title": patent.title,
            "date": patent.date,
            "office": patent.office,
            "figures": counts.get(patent.patent_id, 0),
        }
        for patent in collection.patent_records()
    ]
    if args.json:
        print_json(out)
    else:
        for item in out:
            print(
                f"{item['id']}\t{item['date'] or '-'}\t{item['office'] or '-'}\t"
                f"{item['figures']} figure(s)\t{item['title'] or '-'}"
            )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from patimg.collection import Collection

    collection = Collection.open(args.collection)
    removed = [
        {"id": pid, "figures": collection.remove_publication(pid)} for pid in dict.fromkeys(args.patents)
    ]
    if args.json:
        print_json(removed)
    else:
        for item in removed:
            print(f"removed {item['id']} ({item['figures']} figure(s))", file=sys.stderr)
        print(
            f"searches no longer return them; `patimg index --collection {args.collection}` rebuilds the indexes",
            file=sys.stderr,
        )
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    from patimg.collection import Collection

    collection = Collection.open(args.collection)
    out = []
    for figure in collection.figure_records(args.patent):
        signs = [lab.text for lab in collection.labels(figure.figure_id) if lab.kind == "reference"]
        out.append(
            {
                "id": figure.figure_id,
                "figure_id": figure.figure_id,  # the key `links` and `search` use, for scripts
                "patent": figure.patent_id,
                "caption": figure.caption,
                "figure_num": figure.figure_num,
                "sheet": figure.sheet,
                "split": figure.split,
                "kind": figure.kind,
                "image": str(collection.path / figure.image),
                "signs": list(dict.fromkeys(signs)),
            }
        )
    if args.json:
        print_json(out)
    else:
        for item in out:
            print(f"{item['id']}\t{item['caption'] or '-'}\t{' '.join(item['signs'])}\t{item['kind'] or '-'}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from patimg.classify import classify_stored
    from patimg.collection import Collection

    counts = classify_stored(
        Collection.open(args.collection), again=args.again, progress=None if args.quiet else progress_bar()
    )
    if args.json:
        print_json(dict(sorted(counts.items())))
    else:
        print(
            ", ".join(f"{n} {kind or 'unreadable'}" for kind, n in sorted(counts.items()))
            or "nothing to classify"
        )
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    from patimg.collection import Collection
    from patimg.errors import BadInputError

    collection = Collection.open(args.collection)
    try:
        figure = collection.figure(args.figure)
    except KeyError as error:
        raise BadInputError(
            args.figure, f"no such figure in {collection.path} (see `patimg figures`)"
        ) from error
    by_index = {s.index: s.text for s in collection.sentences(figure.patent_id)}
    signs = [
        {
            "sign": link.sign,
            "term": link.term,
            "sentences": [by_index[i] for i in link.sentence_indexes if i in by_index],
        }
        for link in collection.links(figure.figure_id)
    ]
    payload = {"figure_id": figure.figure_id, "signs": signs}
    if args.json:
        print_json(payload)
    else:
        for sign in signs:
            status = f"{len(sign['sentences'])} sentence(s)" if sign["sentences"] else "unlinked"
            print(f"{sign['sign']:8s} {sign['term'] or '-':30s} {status}")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from patimg.indexing import build_indexes

    infos = build_indexes(
        args.collection,
        visual=args.visual,
        text=args.text,
        rebuild=args.rebuild,
        index_kind=args.index_kind,
        engine=args.engine,
        ray_address=args.ray_address,
        progress=None if args.quiet else progress_bar(),
    )
    if args.json:
        print_json(infos)
    else:
        for channel, info in infos.items():
            print(
                f"{channel}: {info.get('count', '?')} vectors, {info.get('index_type', info.get('kind', '?'))}",
                file=sys.stderr,
            )
        if not infos.get("visual", {}).get("count"):
            print(
                f"the collection {args.collection} holds no figures yet: add publications with "
                f"`patimg ingest SOURCE... --collection {args.collection}`",
                file=sys.stderr,
            )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from patimg.demo import build_demo_collection

    path = build_demo_collection(Path(args.collection), progress=None if args.quiet else progress_bar())
    print(f"demo collection ready at {path}", file=sys.stderr)
    return 0


def _add_engine_options(parser: argparse.ArgumentParser, work: str) -> None:
    parser.add_argument(
        "--engine",
        default="local",
        choices=ENGINES,
        help=f'what {work}: this machine (local), or a Ray cluster (ray; pip install "patimg[ray]")',
    )
    parser.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="with --engine ray: the cluster (HOST:PORT as `ray start --head` prints, or auto; default: "
        "RAY_ADDRESS, else Ray is started on this machine for the run)",
    )


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(prog="patimg", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str, handler, *, collection: bool | str = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if collection:
            p.add_argument(
                "--collection",
                required=collection is True,
                type=Path,
                default=os.environ.get("PATIMG_COLLECTION") if collection is True else None,
                help="collection folder",
            )
        p.add_argument("--json", action="store_true", help="print JSON on stdout")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
        p.set_defaults(handler=handler)
        return p

    p = add(
        "ingest",
        "ingest publications (USPTO ZIP/XML+TIFF, EPO package, PDF, image folder) into a collection",
        cmd_ingest,
    )
    p.epilog = INGEST_EXIT_STATUS
    p.add_argument("sources", nargs="+", type=Path, help="files or folders to ingest")
    p.add_argument("--ocr", default="rapidocr", choices=OCR_BACKENDS)
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="readers at once: processes (default: PATIMG_WORKERS or one per core as memory allows; "
        "1: this process), or Ray actors with --engine ray (default: one per CPU of the cluster)",
    )
    _add_engine_options(p, "reads the drawings")

    p = add(
        "read",
        "read the text drawn in one drawing (reference signs, captions, other text)",
        cmd_read,
        collection=False,
    )
    p.add_argument("image", type=Path)
    p.add_argument("--ocr", default="rapidocr", choices=OCR_BACKENDS)

    add("patents", "list the publications of a collection with their number of figures", cmd_patents)

    p = add("remove", "remove publications and their figures from a collection", cmd_remove)
    p.add_argument("patents", nargs="+", help="publication ids (see `patimg patents`)")

    p = add("figures", "list the figures of a collection with the reference signs read on each", cmd_figures)
    p.add_argument("--patent", default=None, help="only this patent's figures")

    p = add(
        "classify",
        "tell what each stored figure shows (drawing, diagram, chart, chemical, table): figures stored before "
        "ingest did so, from their images and the text read on them",
        cmd_classify,
    )
    p.add_argument(
        "--again", action="store_true", help="classify every figure again, not only unclassified ones"
    )

    p = add("links", "reference signs of a figure with the term each names and its sentences", cmd_links)
    p.add_argument("--figure", required=True, help="figure id (see `patimg figures`)")

    p = add("index", "encode figures and build one FAISS index per channel", cmd_index)
    p.add_argument(
        "--visual",
        default=None,
        help="visual encoder: clip:ViT-B-32/openai, or the weight-free "
        "descriptor's name (default: the collection's, else CLIP when its weights exist)",
    )
    p.add_argument(
        "--text", default=None, help="text encoder: minilm (offline), or a sentence-transformers name"
    )
    p.add_argument("--rebuild", action="store_true", help="re-encode everything (to switch encoders)")
    p.add_argument(
        "--index-kind", choices=INDEX_KINDS, help="FAISS index kind (default: the collection's, else auto)"
    )
    _add_engine_options(p, "encodes figures and sentences (ray: one actor per GPU where it has GPUs)")

    add_search_verb(add)
    add_evaluation_verbs(add)

    p = add("demo", "build the demo collection (synthetic patent-like drawings and text)", cmd_demo)
    return parser


def _silence_library_progress_bars() -> None:
    """``--quiet`` also means no "Loading weights" bars from Hugging Face libraries (scripts parse stderr)."""
    # Read by huggingface_hub and by transformers when they are first imported (after this).
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"


def _quiet_image_libraries() -> None:
    """Keep libtiff and Pillow from writing their own lines on stderr.

    A damaged TIFF makes libtiff print ``TIFFFillStrip: Read error on strip 0; ...`` straight to the
    terminal (C code, past Python), beside PatImg's one line for that input, which already says what is wrong
    (Pillow raises for the same fault). So libtiff's message handlers are switched off, and Pillow's Python
    warnings ignored; the input's own message is what is printed.
    """
    import ctypes
    import warnings

    warnings.filterwarnings("ignore", module=r"PIL(\.|$)")
    try:
        import PIL._imaging  # noqa: F401 - loads the libtiff that Pillow uses

        with open("/proc/self/maps", encoding="utf-8") as maps:  # address, perms, offset, dev, inode, path
            mapped = {
                fields[5].strip() for fields in (line.split(maxsplit=5) for line in maps) if len(fields) == 6
            }
        for path in (p for p in mapped if Path(p).name.startswith("libtiff")):
            library = ctypes.CDLL(path)  # the copy already loaded, not a second one
            for setter in (library.TIFFSetErrorHandler, library.TIFFSetWarningHandler):
                setter.argtypes, setter.restype = [ctypes.c_void_p], ctypes.c_void_p
                setter(None)
    except (ImportError, OSError, AttributeError):  # no /proc, no libtiff: nothing to silence
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``patimg`` command."""
    args = build_parser().parse_args(argv)
    if getattr(args, "quiet", False):
        _silence_library_progress_bars()
    _quiet_image_libraries()
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader that went away shows here, inside this try, not at exit
        return code
    except PatImgError as error:
        print(f"patimg {args.command}: error: {printable(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`patimg figures --json | head`): stop quietly, as Unix tools do. Python would
        # otherwise report the pipe again while flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
