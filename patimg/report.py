"""Search report: one self-contained HTML file of a search, for the file wrapper (issue 12, item 6).

What USPTO's DesignVision writes into an application's search notes: the query figures with the numerals read
on them and the sentences those link to, the settings, the date and the examiner, the top results side by side
with their own numerals and linked sentences, the examiner's marks and notes, and where each search is in the
collection's audit log (every search is logged there, report or not).

The file is self-contained and inert. Every image is a PNG thumbnail embedded as a ``data:`` URI, the style
sheet is inline, there is no script, and a Content-Security-Policy ``<meta>`` forbids loading anything else,
so it shows the same offline, from a mail, or years later. Every text that came from outside (captions,
sentences, file names, titles, notes, the examiner's name) goes through :func:`html.escape`: a hostile caption
stays text. The only addresses are links *out* to Espacenet, Google Patents and the USPTO
(:mod:`patimg.publication_links`), as plain ``<a href>`` the reader may follow.

:func:`render_report` returns the HTML; :func:`write_report` writes it atomically. Both take a
:class:`~patimg.document_query.DocumentResult` (a publication or a drawing with its description as the query)
or a :class:`~patimg.search.SearchResult` (one image, figure or text) with the query's image.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from patimg.collection import Collection
from patimg.document_query import DocumentResult
from patimg.errors import BadInputError
from patimg.publication_links import publication_links
from patimg.search_records import SearchResult, SearchSettings
from patimg.types import Hit, SignLink
from patimg.vocabulary import MARKS, Mark

#: Longest side of a result's thumbnail (a query figure's is :data:`patimg.figures.rendering.THUMBNAIL_SIDE`).
HIT_THUMBNAIL_SIDE = 320
#: Sentences shown per reference sign, and characters per sentence, before "... more".
SENTENCES_PER_SIGN, SENTENCE_CHARS = 3, 400

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}h3{font-size:15px}
table.meta td{padding:2px 12px 2px 0;vertical-align:top}table.patents{border-collapse:collapse}
table.patents td,table.patents th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.query{display:flex;gap:16px;align-items:flex-start;margin-bottom:24px}
.query>.figure{flex:0 0 340px}.hits{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ccc;border-radius:6px;padding:8px;width:320px;font-size:13px}
.card img,.figure img{max-width:100%;border:1px solid #eee;background:#fff}
.relevant{border:3px solid #2a7d2a}.not-relevant{border:3px solid #b03030;opacity:.8}
.mark{font-weight:bold}.relevant .mark{color:#2a7d2a}.not-relevant .mark{color:#b03030}
.sign{font-family:monospace;background:#eef;padding:0 3px}.unlinked{background:#eee;color:#777}
.note{color:#8a5a00}.notes{white-space:pre-wrap;border-left:4px solid #ccc;padding-left:8px}
ul.sentences{margin:2px 0 6px 0;padding-left:18px}
"""


@dataclass
class _Query:
    """One query as the report shows it (a figure of a document query, or a single search)."""

    name: str
    caption: str
    thumbnail: bytes
    signs: list[str]
    links: list[tuple[str, str, list[str]]]  # (sign, term, sentences)
    text_sentences: list[str]
    notes: list[str]
    hits: list[Hit]
    channels_used: list[str]
    audit_id: int | None = None


def render_report(
    collection: Collection | str | Path,
    result: DocumentResult | SearchResult,
    *,
    settings: SearchSettings,
    examiner: str,
    marks: Mapping[str, Mark] | None = None,
    notes: str = "",
    query: str = "",
    query_image=None,
    top: int = 10,
    created: datetime | None = None,
) -> str:
    """The search report as one self-contained HTML page (see the module docstring).

    Args:
        collection: The collection searched (results' images, numerals and sentences are read from it).
        result: A document query's result, or a single search's.
        settings: The search settings (shown; a document query's figures all used them).
        examiner: Who searched (shown; the audit log has the same name).
        marks: The examiner's marks, ``{figure_id: "relevant" | "not relevant"}``.
        notes: The examiner's notes (plain text, shown as written).
        query: What was searched: the document's path, the image's file name, the figure id or the text.
        query_image: For a single search, the query drawing (PIL image or path), shown beside its results.
        top: Results shown per query figure (and patents listed).
        created: The report's date and time (default now, local time).

    Raises:
        BadInputError: A mark is not one of :data:`patimg.vocabulary.MARKS`, ``top`` is below 1, or no examiner.
    """
    store = collection if isinstance(collection, Collection) else Collection.open(collection)
    marks = dict(marks or {})
    for figure_id, mark in marks.items():
        if mark not in MARKS:
            raise BadInputError("marks", f"{figure_id}: {mark!r} is not one of {', '.join(MARKS)}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise BadInputError("top", f"must be a whole number of at least 1, got {top!r}")
    if not str(examiner).strip():
        raise BadInputError("examiner", "a report names the examiner who searched")
    created = created or datetime.now().astimezone()
    figures = _FigureView(store)
    if isinstance(result, DocumentResult):
        queries = [_document_query(q) for q in result.query_figures]
    else:
        queries = [_single_query(result, query, query_image, figures)]
    body = [
        f"<h1>PatImg search report</h1>{_meta_table(store, settings, examiner, query, created, queries)}",
        _notes_section(notes),
        _marks_section(marks, figures),
    ]
    if isinstance(result, DocumentResult):
        body.append(_patents_section(result, figures, top, result.notes))
    body.append("<h2>Queries and results</h2>")
    body.extend(_query_section(q, figures, marks, top) for q in queries)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
        f"<title>PatImg search report {_e(created.strftime('%Y-%m-%d %H:%M'))}</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body></html>\n"
    )


def write_report(path: str | Path, collection: Collection | str | Path, result, **options: Any) -> Path:
    """Write :func:`render_report`'s HTML to ``path`` atomically; returns the path.

    Raises:
        BadInputError: ``path`` is a folder, or a :func:`render_report` error.
    """
    from patimg.fileio import atomic_write_text

    target = Path(path)
    if target.is_dir():
        raise BadInputError(str(target), "is a folder; give the report's file name (e.g. report.html)")
    page = render_report(collection, result, **options)
    try:
        atomic_write_text(target, page)
    except OSError as error:
        raise BadInputError(str(target), f"cannot write the report ({error.strerror or error})") from None
    return target


# -- what is shown, read once per figure ---------------------------------------------------------------


class _FigureView:
    """A collection figure's thumbnail, caption, title, numerals and linked sentences, read once each."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._thumbnails: dict[str, bytes] = {}
        self._sentences: dict[str, dict[int, str]] = {}
        self._titles: dict[str, str] = {}

    def thumbnail(self, figure_id: str) -> bytes:
        if figure_id not in self._thumbnails:
            self._thumbnails[figure_id] = self._read_thumbnail(figure_id)
        return self._thumbnails[figure_id]

    def _read_thumbnail(self, figure_id: str) -> bytes:
        from PIL import Image

        from patimg.figures.rendering import thumbnail_png

        try:
            with Image.open(self.collection.figure_image_path(figure_id)) as image:
                return thumbnail_png(image, max_side=HIT_THUMBNAIL_SIDE)
        except (KeyError, OSError):
            return b""  # a figure gone since the search (removed): shown without its image

    def caption(self, figure_id: str) -> str:
        try:
            return self.collection.figure(figure_id).caption
        except KeyError:
            return ""

    def title(self, patent_id: str) -> str:
        if patent_id not in self._titles:
            try:
                self._titles[patent_id] = self.collection.patent(patent_id).title
            except KeyError:
                self._titles[patent_id] = ""
        return self._titles[patent_id]

    def signs(self, figure_id: str) -> list[str]:
        labels = self.collection.labels(figure_id)
        return list(dict.fromkeys(lab.text for lab in labels if lab.kind == "reference"))

    def links(self, figure_id: str, patent_id: str) -> list[tuple[str, str, list[str]]]:
        if patent_id not in self._sentences:
            self._sentences[patent_id] = {s.index: s.text for s in self.collection.sentences(patent_id)}
        return _sign_sentences(self.collection.links(figure_id), self._sentences[patent_id])


def _sign_sentences(links: list[SignLink], sentences: Mapping[int, str]) -> list[tuple[str, str, list[str]]]:
    return [
        (link.sign, link.term, [sentences[i] for i in link.sentence_indexes if i in sentences])
        for link in links
    ]


def _document_query(query) -> _Query:
    return _Query(
        name=query.figure.figure_id,
        caption=query.figure.caption,
        thumbnail=query.thumbnail,
        signs=query.signs,
        links=_sign_sentences(query.links, query.sentences),
        text_sentences=query.text_sentences,
        notes=query.result.notes,
        hits=query.result.hits,
        channels_used=query.result.channels_used,
        audit_id=query.result.audit_id,
    )


def _single_query(result: SearchResult, name: str, image, figures: _FigureView) -> _Query:
    from PIL import Image

    from patimg.figures.rendering import thumbnail_png

    thumbnail = b""
    if isinstance(image, str | Path):
        with Image.open(image) as opened:
            thumbnail = thumbnail_png(opened)
    elif image is not None:
        thumbnail = thumbnail_png(image)
    links: list[tuple[str, str, list[str]]] = []
    if result.query_links:  # a figure of the collection: its links name its patent's sentences
        figure_id = result.query_links[0].figure_id
        try:
            links = figures.links(figure_id, figures.collection.figure(figure_id).patent_id)
        except KeyError:
            links = []
    signs = list(dict.fromkeys(lab.text for lab in result.query_labels if lab.kind == "reference"))
    return _Query(
        name=name or "query",
        caption="",
        thumbnail=thumbnail,
        signs=signs,
        links=links,
        text_sentences=[],
        notes=result.notes,
        hits=result.hits,
        channels_used=result.channels_used,
        audit_id=result.audit_id,
    )


# -- HTML ------------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _image(png: bytes, alt: str) -> str:
    if not png:
        return "<p class='note'>(image not available)</p>"
    return f"<img src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}' alt='{_e(alt)}'>"


def _links_html(patent_id: str) -> str:
    return " · ".join(
        f"<a href='{_e(link.url)}' rel='noopener noreferrer'>{_e(link.site)}</a>"
        for link in publication_links(patent_id)
    )


def _meta_table(
    store: Collection, settings: SearchSettings, examiner: str, query: str, created, queries
) -> str:
    from patimg import __version__

    filters = {
        k: "/".join(v) if isinstance(v, tuple) else v
        for k, v in vars(settings.filters).items()
        if v not in (None, False, "", ())
    }
    encoders = store.meta.get("encoders", {})
    audit = sorted(q.audit_id for q in queries if q.audit_id is not None)
    rows = [
        ("Date", created.isoformat(timespec="seconds")),
        ("Examiner", examiner),
        ("Query", query or "-"),
        ("Collection", f"{store.name} ({store.path})"),
        (
            "Channel",
            settings.channel + (f", fusion {settings.fusion}" if settings.channel == "fused" else ""),
        ),
        ("Results per query", settings.k),
        ("Weights", settings.weights or "-"),
        ("Filters", ", ".join(f"{k}={v}" for k, v in filters.items()) or "none"),
        ("Encoders", ", ".join(f"{ch}: {info.get('name', '?')}" for ch, info in encoders.items()) or "-"),
        ("Audit log", f"entries {', '.join(f'#{i}' for i in audit)}" if audit else "not logged"),
        ("Made by", f"PatImg {__version__}"),
    ]
    cells = "".join(f"<tr><td><b>{_e(name)}</b></td><td>{_e(value)}</td></tr>" for name, value in rows)
    return f"<table class='meta'>{cells}</table>"


def _notes_section(notes: str) -> str:
    if not notes.strip():
        return "<h2>Examiner's notes</h2><p class='note'>none</p>"
    return f"<h2>Examiner's notes</h2><p class='notes'>{_e(notes.strip())}</p>"


def _marks_section(marks: Mapping[str, str], figures: _FigureView) -> str:
    if not marks:
        return "<h2>Marked results</h2><p class='note'>no result was marked</p>"
    ordered = sorted(marks.items(), key=lambda item: (MARKS.index(item[1]), item[0]))
    cards = []
    for figure_id, mark in ordered:
        try:
            patent_id = figures.collection.figure(figure_id).patent_id
        except KeyError:
            patent_id = ""
        cards.append(_card(figure_id, patent_id, figures, mark=mark))
    return f"<h2>Marked results</h2><div class='hits'>{''.join(cards)}</div>"


def _patents_section(result: DocumentResult, figures: _FigureView, top: int, notes: list[str]) -> str:
    rows = []
    for rank, match in enumerate(result.patents[:top], start=1):
        found = ", ".join(f"{f['figure_id']} ({f['score']:.3f})" for f in match.figures[:5])
        rows.append(
            f"<tr><td>{rank}</td><td>{_e(match.patent_id)}<br>{_links_html(match.patent_id)}</td>"
            f"<td>{_e(figures.title(match.patent_id))}</td><td>{match.score:.4f}</td><td>{_e(found)}</td></tr>"
        )
    note_items = "".join(f"<li class='note'>{_e(note)}</li>" for note in notes)
    return (
        f"<h2>Patents found</h2><p>Query publication(s): {_e(', '.join(result.query_patents) or '-')}</p>"
        f"{f'<ul>{note_items}</ul>' if note_items else ''}"
        "<table class='patents'><tr><th>#</th><th>Patent</th><th>Title</th><th>Score</th>"
        f"<th>Matching figures</th></tr>{''.join(rows)}</table>"
    )


def _signs_html(signs: list[str], links: list[tuple[str, str, list[str]]]) -> str:
    if not signs and not links:
        return "<p class='note'>no reference signs read</p>"
    linked = {sign for sign, _, sentences in links if sentences}
    badges = " ".join(f"<span class='sign{'' if s in linked else ' unlinked'}'>{_e(s)}</span>" for s in signs)
    items = []
    for sign, term, sentences in links:
        if not sentences:
            continue
        shown = "".join(f"<li>{_e(_shorten(text))}</li>" for text in sentences[:SENTENCES_PER_SIGN])
        more = len(sentences) - SENTENCES_PER_SIGN
        shown += f"<li class='note'>... {more} more</li>" if more > 0 else ""
        items.append(f"<span class='sign'>{_e(sign)}</span> {_e(term)}<ul class='sentences'>{shown}</ul>")
    return f"<p>Signs: {badges or '-'}</p>{''.join(items)}"


def _shorten(text: str) -> str:
    return text if len(text) <= SENTENCE_CHARS else text[: SENTENCE_CHARS - 3].rstrip() + "..."


def _card(
    figure_id: str, patent_id: str, figures: _FigureView, *, mark: str = "", hit: Hit | None = None
) -> str:
    css = {"relevant": " relevant", "not relevant": " not-relevant"}.get(mark, "")
    score = ""
    if hit is not None:
        channels = ", ".join(f"{ch} {v:.3f}" for ch, v in hit.scores.items() if v is not None)
        score = f"<br>#{hit.rank} score {hit.score:.4f} ({_e(channels)})"
    return (
        f"<div class='card{css}'>{_image(figures.thumbnail(figure_id), figure_id)}"
        f"<b>{_e(figure_id)}</b> {_e(figures.caption(figure_id))}"
        f"{f'<br><span class=mark>{_e(mark)}</span>' if mark else ''}{score}"
        f"<br>{_e(patent_id)}: {_e(figures.title(patent_id))}<br>{_links_html(patent_id)}"
        f"{_signs_html(figures.signs(figure_id), figures.links(figure_id, patent_id)) if patent_id else ''}</div>"
    )


def _query_section(query: _Query, figures: _FigureView, marks: Mapping[str, str], top: int) -> str:
    texts = "".join(f"<li>{_e(_shorten(text))}</li>" for text in query.text_sentences)
    notes = "".join(f"<li class='note'>{_e(note)}</li>" for note in query.notes)
    audit = f"audit log entry #{query.audit_id}" if query.audit_id is not None else "not in the audit log"
    side = (
        f"<div class='figure'><h3>{_e(query.name)} {_e(query.caption)}</h3>{_image(query.thumbnail, query.name)}"
        f"{_signs_html(query.signs, query.links)}"
        f"{f'<p>Its text vector averages:</p><ul class=sentences>{texts}</ul>' if texts else ''}"
        f"<p>Channels used: {_e(', '.join(query.channels_used) or '-')}; {_e(audit)}</p>"
        f"{f'<ul>{notes}</ul>' if notes else ''}</div>"
    )
    cards = [
        _card(hit.figure_id, hit.patent_id, figures, mark=marks.get(hit.figure_id, ""), hit=hit)
        for hit in query.hits[:top]
    ]
    results = "".join(cards) or "<p class='note'>no results</p>"
    return f"<div class='query'>{side}<div class='hits'>{results}</div></div>"
