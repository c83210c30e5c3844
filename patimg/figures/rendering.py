"""Crop a figure out of a sheet and draw the reference signs read on it (for the app's Browse and Search pages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw

from patimg.errors import BadInputError
from patimg.types import Label, SignLink

#: Box colours by label kind; the highlighted sign is drawn in :data:`HIGHLIGHT_COLOUR`.
KIND_COLOURS = {"reference": (31, 119, 180), "figure": (44, 160, 44), "other": (150, 150, 150)}
HIGHLIGHT_COLOUR = (214, 39, 40)


def crop_figure(image: Image.Image, box: Sequence[float], *, margin: int = 12) -> Image.Image:
    """Crop ``box`` out of ``image``, grown by ``margin`` pixels of paper (clipped to the image).

    Args:
        image: The upright sheet.
        box: ``(x0, y0, x1, y1)`` on it.
        margin: White border kept around the box so strokes on its edge stay whole.

    Raises:
        BadInputError: The box is malformed or lies outside the image.
    """
    width, height = image.size
    if len(box) != 4:
        raise BadInputError(f"box {tuple(box)}", "a box needs four numbers (x0, y0, x1, y1)")
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(f"box {tuple(box)}", "empty box (x1 <= x0 or y1 <= y0)")
    x0, y0 = max(0, x0 - margin), max(0, y0 - margin)
    x1, y1 = min(width, x1 + margin), min(height, y1 + margin)
    if x1 <= x0 or y1 <= y0:
        raise BadInputError(f"box {tuple(box)}", f"outside the {width}x{height} image")
    return image.crop((x0, y0, x1, y1))


def render_labels(
    image: Image.Image,
    labels: Sequence[Label],
    *,
    highlight: str | None = None,
    kinds: Sequence[str] = ("reference", "figure"),
) -> Image.Image:
    """Draw the boxes of the labels on a copy of the image (RGB).

    Args:
        image: The figure (labels' boxes are on it).
        labels: Labels to draw.
        highlight: A reference sign (``"14a"``) drawn in red with a thicker line; others in blue,
            captions in green.
        kinds: Label kinds to draw.

    Returns:
        A new RGB image; the input is not changed.
    """
    canvas = image.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    width = max(2, round(max(canvas.size) / 600))
    wanted = (highlight or "").strip().casefold()
    later = []
    for label in labels:
        if label.kind not in kinds:
            continue
        if wanted and label.text.strip().casefold() == wanted:
            later.append(label)  # drawn last so nothing covers the highlighted sign
            continue
        draw.rectangle(_grown(label.box, 2), outline=KIND_COLOURS.get(label.kind, (0, 0, 0)), width=width)
    for label in later:
        draw.rectangle(_grown(label.box, 2 + width), outline=HIGHLIGHT_COLOUR, width=2 * width)
    return canvas


def _grown(box, by: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return x0 - by, y0 - by, x1 + by, y1 + by


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
        x0, y0, x1, y1 = _grown(label.box, 4)
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
    from patimg.figures.loading import load_drawing

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
