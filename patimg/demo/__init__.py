"""A small demo collection PatImg makes itself: patent-like publications with drawings, no real data.

:func:`write_demo_publications` writes folders laid out exactly like unpacked USPTO grants (one
``us-patent-grant`` XML plus bilevel G4 TIFF drawing sheets ``<PUBNO>-<date>-D0000n.TIF``), drawn from a few
object families (fan, gear, bottle, chair, lamp, bracket). Families recur across publications, so
"find figures like this one" has real answers (two fan patents find each other). Sheet 2 of every
publication holds two figures side by side, so the sheet splitter is exercised too.

:func:`build_demo_collection` runs the ordinary pipeline (ingest, then indexing) on them, so a new user has
a working collection in about a minute.
"""

from patimg.demo.build import (
    FAMILY_ORDER,
    build_demo_collection,
    demo_publications,
    draw_sheets,
    write_demo_publications,
)

__all__ = [
    "FAMILY_ORDER",
    "build_demo_collection",
    "demo_publications",
    "draw_sheets",
    "write_demo_publications",
]
