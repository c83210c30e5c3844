"""The hoverable figure: one region per reference sign with its term and sentences, all text escaped."""

from __future__ import annotations

import re
from html import unescape

from PIL import Image

from app_pages.components import labels_html, sign_tooltips
from patimg.types import Label, SignLink

SENTENCES = {
    0: "The hub 14 carries the blades 16.",
    3: "Each blade 16 is bolted to the hub 14.",
    7: "The blades 16 are swept back.",
}
LINKS = [
    SignLink(figure_id="f", sign="14", term="hub", sentence_indexes=(0, 3)),
    SignLink(figure_id="f", sign="16", term="blade", sentence_indexes=(0, 3, 7)),
    SignLink(figure_id="f", sign="99", term="", sentence_indexes=()),
]
LABELS = [
    Label(text="14", kind="reference", box=(100, 100, 140, 130), confidence=0.99),
    Label(text="16", kind="reference", box=(2000, 400, 2040, 430), confidence=0.98),
    Label(text="99", kind="reference", box=(500, 900, 540, 930), confidence=0.90),
    Label(text="FIG. 2", kind="figure", box=(900, 1300, 1100, 1360), confidence=0.97),
]


def _titles(html: str) -> dict[str, str]:
    return {
        unescape(sign): unescape(title)
        for sign, title in re.findall(r'data-sign="([^"]*)" title="([^"]*)"', html)
    }


def test_tooltips_name_the_term_quote_sentences_and_mark_unlinked_signs():
    tips = sign_tooltips(LINKS, SENTENCES, max_sentences=2)
    assert tips["14"].startswith("14: hub (2 sentences)")
    assert "The hub 14 carries the blades 16." in tips["14"]
    assert "Each blade 16 is bolted to the hub 14." in tips["14"]
    assert "and 1 more" in tips["16"] and "swept back" not in tips["16"]
    assert "unlinked" in tips["99"]


def test_every_sign_is_a_hover_region_and_captions_are_not():
    import base64
    import io

    image = Image.new("L", (2400, 1500), 255)
    html = labels_html(image, LABELS, tooltips=sign_tooltips(LINKS, SENTENCES), max_width=1200)
    titles = _titles(html)
    assert sorted(titles) == ["14", "16", "99"]
    assert titles["14"].startswith("14: hub")
    # The embedded image is scaled to the page's width, aspect kept...
    (data,) = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (1200, 750)
    # ...and the regions sit in percent of it: sign 16's box starts at x=2000 (minus a 4-px margin).
    left = float(re.search(r'data-sign="16"[^>]*left:([\d.]+)%', html).group(1))
    assert abs(left - 100 * 1996 / 2400) < 0.01


def test_document_text_never_becomes_markup():
    hostile = [
        SignLink(figure_id="f", sign="14", term='<img src=x onerror="alert(1)">', sentence_indexes=(0,))
    ]
    sentences = {0: "The hub 14 </title><script>alert(2)</script> is round."}
    labels = [
        Label(text="14", kind="reference", box=(10, 10, 30, 30), confidence=0.9),
        Label(text='14"><script>', kind="reference", box=(40, 40, 60, 60), confidence=0.9),
    ]
    html = labels_html(Image.new("L", (100, 100), 255), labels, tooltips=sign_tooltips(hostile, sentences))
    assert "<script" not in html and 'onerror="' not in html
    assert html.count("<img") == 1  # ours, the figure
    assert "&lt;/title&gt;&lt;script&gt;alert(2)" in html  # the sentence is there, as text
    assert _titles(html)["14"].startswith("14: <img src=x")
