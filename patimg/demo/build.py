"""Make the demo publications (text and drawing sheets) and build the demo collection from them."""

from __future__ import annotations

import random
from pathlib import Path

from patimg.demo.drawings import SHEET_DPI, SHEET_SIZE, draw_figure, draw_header, new_sheet, to_bilevel
from patimg.demo.text import TITLES, DemoPublication, figure_views, publication_xml
from patimg.vocabulary import Progress

#: Families in the order publications are made: each of the first three recurs before new ones appear.
FAMILY_ORDER = (
    "fan",
    "gear",
    "bottle",
    "fan",
    "gear",
    "bottle",
    "chair",
    "lamp",
    "bracket",
    "chair",
    "lamp",
    "bracket",
)

_APPLICANTS = {
    "fan": ("Demo Rotor Works GmbH", "Example Air Systems Inc."),
    "gear": ("Example Mechanics Inc.", "Sample Drives Ltd."),
    "bottle": ("Sample Packaging Ltd.", "Demo Beverage Co."),
    "chair": ("Illustrative Furniture Co.", "Example Seating AB"),
    "lamp": ("Placeholder Lighting AG", "Demo Lamps S.A."),
    "bracket": ("Specimen Hardware LLC", "Example Fixings GmbH"),
}


def demo_publications(*, n_patents: int = 6, seed: int = 0) -> list[DemoPublication]:
    """What the demo publications will say (numbers, dates, families, sheets), without writing anything."""
    rng = random.Random(seed)
    publications = []
    for i in range(n_patents):
        family = FAMILY_ORDER[i % len(FAMILY_ORDER)]
        year = 2018 + (i * 3 + seed) % 8
        date = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        unlinked = (
            {
                "fan": "tip",
                "gear": "axle",
                "bottle": "base",
                "chair": "stretcher",
                "lamp": "bulb",
                "bracket": "hole",
            }[family]
            if i % 2 == 1
            else None
        )
        publications.append(
            DemoPublication(
                number=f"99{seed % 100:02d}{i + 1:04d}",
                date=date,
                family=family,
                title=rng.choice(TITLES[family]),
                applicant=_APPLICANTS[family][(i // 3) % 2],
                unlinked_part=unlinked,
                sheets=(("main",), ("alt", "main2")),
            )
        )
    return publications


def _month_name(date: str) -> str:
    months = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.", "Nov.", "Dec.")
    return f"{months[int(date[4:6]) - 1]} {int(date[6:])}, {date[:4]}"


def draw_sheets(
    publication: DemoPublication, *, seed: int = 0
) -> list[tuple[object, list[tuple[str, tuple]]]]:
    """Draw the publication's sheets.

    Returns:
        Per sheet, the bilevel image and the numerals written on it with their pixel boxes.
    """
    rng = random.Random(f"{seed}-{publication.number}")
    numbers = iter(n for n, _ in figure_views(publication))
    width, height = SHEET_SIZE
    sheets = []
    for k, views in enumerate(publication.sheets, start=1):
        image, draw = new_sheet()
        draw_header(
            draw,
            f"U.S. Patent   {_month_name(publication.date)}   Sheet {k} of {len(publication.sheets)}"
            f"   US {int(publication.number):,} B2",
        )
        written: list[tuple[str, tuple]] = []
        if len(views) == 1:
            boxes = [(250, 450, width - 250, height - 400)]
        else:  # two figures side by side, as on many US sheets
            boxes = [(100, 800, width // 2 - 30, 2400), (width // 2 + 30, 800, width - 100, 2400)]
        for view, box in zip(views, boxes, strict=True):
            number = next(numbers)
            family_view = "main" if view == "main2" else view
            written += draw_figure(
                draw,
                box,
                family=publication.family,
                view=family_view,
                signs=publication.signs(),
                caption=f"FIG. {number}",
                rng=rng,
            )
        sheets.append((to_bilevel(image), written))
    return sheets


def write_demo_publications(folder: Path, *, n_patents: int = 6, seed: int = 0) -> list[Path]:
    """Write demo publications as USPTO-style folders under ``folder``.

    Args:
        folder: Where to write; one sub-folder ``US<number>-<date>`` per publication.
        n_patents: How many publications (families cycle through :data:`FAMILY_ORDER`).
        seed: Varies dates, titles and the drawings' proportions.

    Returns:
        The publication folders, in order.
    """
    folder = Path(folder)
    paths = []
    for publication in demo_publications(n_patents=n_patents, seed=seed):
        target = folder / publication.stem
        target.mkdir(parents=True, exist_ok=True)
        xml = publication_xml(publication, random.Random(f"{seed}-{publication.number}-text"))
        (target / f"{publication.stem}.XML").write_text(xml, encoding="utf-8")
        for k, (image, _) in enumerate(draw_sheets(publication, seed=seed), start=1):
            image.save(
                target / publication.sheet_file(k),
                format="TIFF",
                compression="group4",
                dpi=(SHEET_DPI, SHEET_DPI),
            )
        paths.append(target)
    return paths


def build_demo_collection(
    path: Path, *, n_patents: int = 6, seed: int = 0, ocr: str = "rapidocr", progress: Progress | None = None
) -> Path:
    """Make a working demo collection at ``path``: write the publications, ingest them, build the indexes.

    Args:
        path: Collection folder (created; the publications go to ``path / "sources"``).
        n_patents: Number of demo publications.
        seed: See :func:`write_demo_publications`.
        ocr: OCR backend used by ingest.
        progress: Optional ``progress(stage, done, total, item)``, passed to ingest and indexing.

    Returns:
        ``path``.
    """
    from patimg.indexing import build_indexes
    from patimg.ingest import ingest

    path = Path(path)
    if progress:
        progress("write demo publications", 0, n_patents, "")
    sources = write_demo_publications(path / "sources", n_patents=n_patents, seed=seed)
    if progress:
        progress("write demo publications", n_patents, n_patents, "")
    ingest(sources, collection=path, ocr=ocr, progress=progress)
    build_indexes(path, progress=progress)
    return path
