"""The demo publications PatImg draws itself: USPTO-like folders that the real pipeline reads."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from patimg.demo import demo_publications, draw_sheets, write_demo_publications


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_publications(folder, n_patents=6, seed=0)
    return folder


def test_folders_are_laid_out_like_uspto_grants(demo_folder: Path) -> None:
    folders = sorted(p for p in demo_folder.iterdir() if p.is_dir())
    assert len(folders) == 6
    for folder in folders:
        assert (folder / f"{folder.name}.XML").is_file()
        sheets = sorted(folder.glob(f"{folder.name}-D0000?.TIF"))
        assert [s.name[-10:] for s in sheets] == ["D00001.TIF", "D00002.TIF"]
        with Image.open(sheets[0]) as sheet:
            assert sheet.mode == "1"
            assert sheet.info.get("compression") == "group4"
            assert round(sheet.info["dpi"][0]) == 300


def test_families_recur_so_similar_figures_exist() -> None:
    families = Counter(p.family for p in demo_publications(n_patents=6))
    assert all(count >= 2 for count in families.values())


def test_xml_parses_as_a_us_grant(demo_folder: Path) -> None:
    from patimg.documents import parse_publication

    for publication in demo_publications(n_patents=6, seed=0):
        document = parse_publication(demo_folder / publication.stem / f"{publication.stem}.XML")
        patent = document.patent
        assert patent.patent_id == f"US{publication.number}B2"
        assert patent.office == "US"
        assert patent.date == f"{publication.date[:4]}-{publication.date[4:6]}-{publication.date[6:]}"
        assert patent.title == publication.title
        assert patent.ipc and patent.cpc and patent.applicants
        assert set(document.figure_descriptions) == {"1", "2", "3"}
        assert document.figure_descriptions["1"].startswith("FIG. 1 is a")
        assert [d.file for d in document.drawings] == [publication.sheet_file(1), publication.sheet_file(2)]
        text = " ".join(s.text for s in document.sentences)
        # Every drawn sign is used in the text, except the one part a publication leaves unlinked.
        for part, sign in publication.signs().items():
            if part == publication.unlinked_part:
                assert f" {sign} " not in text and f" {sign}." not in text
            else:
                assert sign in text, (publication.stem, sign)


@pytest.mark.slow
def test_ocr_reads_back_the_numerals_drawn() -> None:
    from patimg.ocr import get_ocr, read_drawing

    ocr = get_ocr("rapidocr")
    wanted = found = 0
    for publication in demo_publications(n_patents=3, seed=1):
        for image, written in draw_sheets(publication, seed=1):
            read = {
                label.text
                for label in read_drawing(image.convert("L"), ocr=ocr).labels
                if label.kind == "reference"
            }
            drawn = {sign for sign, _ in written}
            wanted += len(drawn)
            found += len(drawn & read)
    assert found / wanted >= 0.9


@pytest.mark.slow
def test_two_figure_sheets_split_into_their_captions() -> None:
    from patimg.figures.pipeline import figures_from_drawing
    from patimg.ocr import get_ocr

    publication = demo_publications(n_patents=1, seed=2)[0]
    sheet, _ = draw_sheets(publication, seed=2)[1]
    result = figures_from_drawing(sheet.convert("L"), ocr=get_ocr("rapidocr"), kind="sheet")
    assert sorted(region.caption for region in result.regions) == ["FIG. 2", "FIG. 3"]
    left, right = sorted(result.regions, key=lambda region: region.box[0])
    assert left.box[2] <= right.box[0]
