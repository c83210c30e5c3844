"""PatImg's Streamlit app: ``streamlit run app.py``.

The collection is ``$PATIMG_COLLECTION`` when set, else one of the folders under ``collections/`` (a
selector in the sidebar when there are several); with none, the pages offer to build the demo collection.

Pages live in ``app_pages/`` and only lay out widgets around ``patimg`` calls. To add a page, add its file to
``app_pages/`` and a line to :data:`PAGES`. The folder is not called ``pages/``: Streamlit treats a ``pages/``
folder beside the main script as an old-style multipage app, so a first visit to ``/evaluate`` ran that file
alone, without this navigation (and listed every module of the folder as a page).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

#: (file under app_pages/, title, icon), in menu order.
PAGES = [
    ("search.py", "Search", ":material/image_search:"),
    ("browse.py", "Browse", ":material/menu_book:"),
    ("collection.py", "Collection", ":material/folder_open:"),
    ("judge.py", "Judge", ":material/rule:"),
    ("evaluate.py", "Evaluate", ":material/leaderboard:"),
]

# A local icon: a material icon as favicon would be fetched from Google's font server, and the app is offline.
st.set_page_config(
    page_title="PatImg — patent figure search", page_icon=str(HERE / "assets" / "favicon.png"), layout="wide"
)

pages = [
    st.Page(HERE / "app_pages" / file, title=title, icon=icon, default=(k == 0))
    for k, (file, title, icon) in enumerate(PAGES)
]
st.navigation(pages).run()
