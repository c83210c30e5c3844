"""Browse: collection -> patent (bibliography, abstract) -> figures -> reference signs and their sentences."""

from __future__ import annotations

import streamlit as st

from app_pages.common import collection_or_stop, get_collection, patent_label, reporting_errors
from app_pages.components import md_escape, pick_sign, plural, show_figure, show_sign_sentences

st.title("Browse the collection")
path = collection_or_stop()
collection = get_collection(str(path))

patents = collection.patents()
if patents.empty:
    st.warning("The collection has no patents yet: import publications on the Collection page.")
    st.stop()

labels = {row["patent_id"]: patent_label(row) for _, row in patents.iterrows()}
patent_ids = list(labels)
wanted = st.query_params.get("patent")
patent_id = st.selectbox(
    "Patent",
    patent_ids,
    format_func=labels.get,
    key="browse_patent",
    index=patent_ids.index(wanted) if wanted in patent_ids else 0,
)
patent = collection.patent(patent_id)

st.header(md_escape(patent.title or patent.patent_id))
facts = {
    "Publication": f"{patent.patent_id} ({patent.office or 'no office'})",
    "Date": patent.date or "–",
    "Applicants": "; ".join(patent.applicants) or "–",
    "IPC": ", ".join(patent.ipc) or "–",
    "CPC": ", ".join(patent.cpc) or "–",
    "Source": patent.source or "–",
}
for name, value in facts.items():
    st.markdown(f"**{name}:** {md_escape(value)}")
if patent.abstract:
    with st.expander("Abstract", expanded=True):
        st.markdown(md_escape(patent.abstract))

figures = collection.figures(patent_id)
if figures.empty:
    st.info("No figures were found in this publication.")
    st.stop()

descriptions = collection.figure_descriptions(patent_id)
st.subheader(plural(len(figures), "figure"))
thumbs = st.columns(min(6, len(figures)))
for k, (_, row) in enumerate(figures.iterrows()):
    with thumbs[k % len(thumbs)]:
        st.image(str(collection.figure_image_path(row["figure_id"])), width="stretch")
        kind = f" · {row['kind']}" if row["kind"] else ""
        st.caption(md_escape(f"{row['caption'] or row['figure_id']}{kind} · {row['n_signs']} signs"))

names = {
    r["figure_id"]: f"{r['caption'] or r['figure_id']} — {r['n_signs']} signs, {r['n_linked']} linked"
    for _, r in figures.iterrows()
}
figure_id = st.selectbox("Figure", list(names), format_func=names.get, key="browse_figure")
figure = collection.figure(figure_id)
links = collection.links(figure_id)

image_col, text_col = st.columns([3, 2])
with text_col:
    if figure.figure_num and figure.figure_num in descriptions:
        st.markdown("*" + md_escape(descriptions[figure.figure_num]) + "*")
    st.caption(
        md_escape(
            f"{figure_id} · {figure.kind or 'type not classified'} · sheet {figure.sheet} · split: {figure.split}"
            f" · rotated {figure.rotation}°"
        )
    )
    link = pick_sign(links, key="browse_sign", label="Reference signs on this figure")
    sign = link.sign if link is not None else None
    if link is not None:
        show_sign_sentences(collection, link, patent_id)
with image_col, reporting_errors():  # a broken image file must not break the page
    show_figure(collection, figure_id, highlight=sign)
    st.caption(
        "Hover a sign for its term and sentences. Blue: reference signs read; red: the selected sign; green: caption"
    )
