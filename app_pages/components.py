"""What several pages draw the same way: a figure with its reference signs (hover for a sign's term and
sentences), and a reference sign with the sentences that use it.

The figure is HTML for ``st.html``; every document text is escaped before it becomes markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import streamlit as st
from PIL import Image

from patimg.figures.rendering import grown_box, render_labels
from patimg.types import Label, SignLink

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^])")


def md_escape(text: str) -> str:
    """Text safe to put into ``st.markdown``: every Markdown/LaTeX/directive character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def sign_pattern(sign: str) -> re.Pattern[str]:
    """A reference sign as a whole token (``"10"`` does not match inside ``"104"``, ``"16a"`` nor ``"10'"``)."""
    return re.compile(rf"(?<![\w'])({re.escape(sign)})(?![\w'])")


def highlight_sign(text: str, sign: str) -> str:
    """Markdown of ``text`` (escaped) with every occurrence of ``sign`` shown bold on a yellow background."""
    parts = sign_pattern(sign).split(str(text))
    out = []
    for k, part in enumerate(parts):
        out.append(f":orange-background[**{md_escape(part)}**]" if k % 2 else md_escape(part))
    return "".join(out)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 figure``, ``2 figures``, ``1 query``/``2 queries`` (give ``nouns`` where adding "s" is wrong)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def sign_label(link: SignLink) -> str:
    """``14 — hub · 3 sentences`` or ``14 — unlinked (in no sentence)``, for sign choosers."""
    if not link.sentence_indexes:
        return f"{link.sign} — unlinked (in no sentence)"
    return f"{link.sign} — {link.term or 'no term'} · {plural(len(link.sentence_indexes), 'sentence')}"


def pick_sign(
    links: Sequence[SignLink], *, key: str, label: str = "Reference sign", compact: bool = False
) -> SignLink | None:
    """A chooser of the figure's reference signs (radio buttons, or a select box where space is short); the
    chosen link, or ``None`` (with a note) when the figure has none."""
    if not links:
        st.caption("No reference signs were read on this figure.")
        return None
    by_sign = {link.sign: link for link in links}
    widget = st.selectbox if compact else st.radio
    sign = widget(label, list(by_sign), format_func=lambda s: sign_label(by_sign[s]), key=key)
    return by_sign[sign]


def show_sign_sentences(collection, link: SignLink, patent_id: str, *, limit: int | None = None) -> None:
    """A reference sign, the term it names and the sentences that use it (the numeral highlighted).

    Args:
        collection: The open :class:`patimg.collection.Collection`.
        link: The sign and its sentence indexes.
        patent_id: Whose description the sentences are from.
        limit: Show at most this many sentences (the rest are counted).
    """
    if not link.sentence_indexes:
        st.warning(
            md_escape(
                f"Sign {link.sign} was read on the drawing but no sentence of {patent_id} uses it "
                "(an OCR misread, or a sign the text does not mention)."
            )
        )
        return
    st.markdown(f"**{md_escape(link.sign)}** names *{md_escape(link.term or 'no term found')}* in:")
    shown = link.sentence_indexes[:limit] if limit else link.sentence_indexes
    for sentence in collection.sentences(patent_id, shown):
        st.markdown(
            f"• {highlight_sign(sentence.text, link.sign)}  \n"
            f":gray[{md_escape(sentence.section)} sentence {sentence.index}]"
        )
    more = len(link.sentence_indexes) - len(shown)
    if more > 0:
        st.caption(f"and {plural(more, 'more sentence')}: see the Browse page")


def show_figure(collection, figure_id: str, *, highlight: str | None = None) -> None:
    """The figure with its signs boxed; hovering a sign shows its term and first sentences."""
    st.html(collection_figure_html(collection, figure_id, highlight=highlight))


def sign_tooltips(
    links: Sequence[SignLink], sentences: Mapping[int, str], *, max_sentences: int = 2
) -> dict[str, str]:
    """What hovering a reference sign says: the term it names and its first sentences, or that it is unlinked.

    Args:
        links: The figure's signs with their sentence indexes.
        sentences: Sentence text by index, for the figure's patent.
        max_sentences: Sentences quoted per sign (the Browse page lists them all on selection).

    Returns:
        Plain text (not escaped) by sign.
    """
    tips = {}
    for link in links:
        if not link.sentence_indexes:
            tips[link.sign] = f"{link.sign}: unlinked (no sentence of the description uses it)"
            continue
        quoted = [sentences[i] for i in link.sentence_indexes[:max_sentences] if i in sentences]
        more = len(link.sentence_indexes) - len(quoted)
        n = len(link.sentence_indexes)
        lines = [f"{link.sign}: {link.term or 'no term found'} ({n} sentence{'s' if n != 1 else ''})"]
        lines += [f"• {text}" for text in quoted]
        if more > 0:
            lines.append(f"… and {more} more (select the sign to see them all)")
        tips[link.sign] = "\n".join(lines)
    return tips


def labels_html(
    image: Image.Image,
    labels: Sequence[Label],
    *,
    tooltips: Mapping[str, str],
    highlight: str | None = None,
    max_width: int = 1400,
    alt: str = "figure",
) -> str:
    """The figure with its labels boxed, as HTML where hovering a reference sign shows its tooltip.

    ``st.image`` cannot show a tooltip per region, so the boxed image goes into a ``<div>`` with one
    transparent ``<span title=...>`` per reference sign, placed in percent of the image so it follows
    the page's width (the browser's own tooltip, no JavaScript; plain HTML because Streamlit's
    sanitiser drops inline SVG). Every text is escaped here: document text never becomes markup.

    Args:
        image: The figure; label boxes are in its pixels.
        labels: Labels read on it (reference signs get a hover region, every kind is boxed).
        tooltips: Text by sign, from :func:`sign_tooltips`; a sign without one shows just the numeral.
        highlight: A sign drawn in red (the one selected on the page).
        max_width: Wider figures are scaled down to this many pixels (the page is never wider), which
            keeps the embedded PNG small.
        alt: Accessible name of the figure.

    Returns:
        An HTML fragment (``<style>`` plus ``<div>``) for ``st.html``.
    """
    import base64
    import io
    from html import escape

    boxed = render_labels(image, labels, highlight=highlight)
    if boxed.width > max_width:
        height = round(boxed.height * max_width / boxed.width)
        boxed = boxed.resize((max_width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # A line drawing with a few box colours needs no more than 64 colours; the PNG shrinks several-fold.
    small = boxed.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    palette = small.getpalette() or []
    for i in range(0, len(palette), 3):  # paper stays the page's white, not the octree's 254
        if min(palette[i : i + 3]) >= 250:
            palette[i : i + 3] = [255, 255, 255]
    small.putpalette(palette)
    small.save(buffer, format="PNG", optimize=True)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = image.size  # label boxes are in the original pixels
    folded = {sign.strip().casefold(): tip for sign, tip in tooltips.items()}
    regions = []
    for label in labels:
        if label.kind != "reference":
            continue
        x0, y0, x1, y1 = grown_box(label.box, 4)
        tip = tooltips.get(label.text) or folded.get(label.text.strip().casefold(), label.text)
        place = (
            f"left:{100 * x0 / width:.3f}%;top:{100 * y0 / height:.3f}%;"
            f"width:{100 * (x1 - x0) / width:.3f}%;height:{100 * (y1 - y0) / height:.3f}%"
        )
        regions.append(
            f'<span class="patimg-sign" data-sign="{escape(label.text)}" title="{escape(tip)}" '
            f'style="{place}"></span>'
        )
    return (
        "<style>.patimg-figure{position:relative;line-height:0}"
        ".patimg-figure img{width:100%;height:auto;display:block}"
        ".patimg-sign{position:absolute;cursor:help;box-sizing:border-box}"
        ".patimg-sign:hover{outline:3px solid #d62728;background:rgba(214,39,40,0.15)}</style>"
        f'<div class="patimg-figure"><img src="data:image/png;base64,{data}" alt="{escape(alt)}">'
        + "".join(regions)
        + "</div>"
    )


def collection_figure_html(collection, figure_id: str, *, highlight: str | None = None) -> str:
    """:func:`labels_html` of a collection's figure, its signs' tooltips taken from the collection.

    Args:
        collection: A :class:`patimg.collection.Collection`.
        figure_id: The figure.
        highlight: A sign drawn in red.

    Raises:
        BadInputError: The figure's image file is unreadable.
    """
    from patimg.figures import load_drawing

    figure = collection.figure(figure_id)
    image = load_drawing(collection.figure_image_path(figure_id), name=figure_id)
    links = collection.links(figure_id)
    wanted = sorted({i for link in links for i in link.sentence_indexes})
    sentences = {s.index: s.text for s in collection.sentences(figure.patent_id, wanted)} if wanted else {}
    return labels_html(
        image,
        collection.labels(figure_id),
        tooltips=sign_tooltips(links, sentences),
        highlight=highlight,
        alt=f"{figure.caption or figure_id} of {figure.patent_id}",
    )
