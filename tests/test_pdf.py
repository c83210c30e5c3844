"""PDF publications (issue 10): the real EP1667425 ``DOCUMENT.PDF`` against its own XML and drawing TIFFs, the
same pages without a text layer (rendered and saved by Pillow, as a scan is), a drawings-only PDF, and broken
PDFs, each refused by one message naming the file.

Which pages of ``DOCUMENT.PDF`` are what was checked by rendering and looking at every page: 1 front page, 2-10
description and claims, 11-18 drawings (the package's ``imgf0001``-``imgf0008``), 19-20 the scanned search
report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from patimg.batches import iter_publications
from patimg.errors import BadInputError
from patimg.pdf import NO_DESCRIPTION, NO_TEXT_LAYER, read_pdf
from patimg.sources import find_publications
from tests.realdata import shared_data_path

EP_DRAWING_PAGES = tuple(range(11, 19))


@pytest.fixture(scope="module")
def ep_pdf() -> Path:
    return shared_data_path("patents", "ep", "EP1667425", "DOCUMENT.PDF")


@pytest.fixture(scope="module")
def ep_read(ep_pdf, tmp_path_factory):
    return read_pdf(ep_pdf, label=str(ep_pdf), out_dir=tmp_path_factory.mktemp("ep") / "pages")


def scanned(source: Path, pages, target: Path, *, dpi: int = 150) -> Path:
    """Pages (1-based) of a PDF rendered and saved by Pillow as a PDF of images: a scan, no text layer."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(source))
    images = [document[n - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for n in pages]
    document.close()
    images[0].save(target, save_all=True, append_images=images[1:], resolution=dpi)
    return target


def page_subset(source: Path, pages, target: Path) -> Path:
    """Pages (1-based) of a PDF copied into a new PDF, text layer and all."""
    import pypdfium2 as pdfium

    document, subset = pdfium.PdfDocument(str(source)), pdfium.PdfDocument.new()
    subset.import_pages(document, [n - 1 for n in pages])
    subset.save(target)
    return target


def test_ep_pdf_drawing_pages_are_the_package_drawings(ep_read, ep_pdf):
    from PIL import Image, ImageChops

    assert ep_read.drawing_pages == EP_DRAWING_PAGES  # not the text pages, not the search report
    assert ep_read.has_text_layer and ep_read.notes == ()
    assert [p.name for p in ep_read.images] == [f"page-0{n}.png" for n in EP_DRAWING_PAGES]
    assert [d.file for d in ep_read.document.drawings] == [p.name for p in ep_read.images]
    assert {d.kind for d in ep_read.document.drawings} == {"sheet"}  # FIG. 2 and FIG. 3 share page 12
    # A drawing page that is one scan is that scan, pixel for pixel: the package's TIFF, without the page
    # header ("EP 1 667 425 A1") and page number the PDF prints over it as text.
    page, tiff = Image.open(ep_read.images[0]), Image.open(ep_pdf.parent / "imgf0001.tif").convert("L")
    assert page.size == tiff.size and ImageChops.difference(page, tiff).getbbox() is None


def test_ep_pdf_rendering_blanks_the_header_and_page_number(ep_pdf):
    import numpy as np

    from patimg.pdf.pages import render_page
    from patimg.pdf.reading import open_pdf, read_text_layer

    with open_pdf(ep_pdf, label="ep") as document:
        page = read_text_layer(document)[11]  # page 12: FIG. 2 and FIG. 3
        assert page.headers == ("EP 1 667 425 A1",) and len(page.margin_furniture) == 2
        plain = np.asarray(render_page(document, 11))
        blanked = np.asarray(render_page(document, 11, blank=page.margin_furniture))
    height = plain.shape[0]
    top, bottom = slice(0, height // 10), slice(height - height // 10, height)
    assert (plain[top] < 128).any() and (plain[bottom] < 128).any()  # header and page number printed...
    assert not (blanked[top] < 128).any() and not (blanked[bottom] < 128).any()  # ...and painted white
    assert (blanked[height // 10 : -height // 10] == plain[height // 10 : -height // 10]).all()


def test_ep_pdf_text_layer_gives_what_its_xml_gives(ep_read, ep_pdf):
    from patimg.documents import parse_publication

    xml = parse_publication(ep_pdf.parent / "DOC00001.xml")
    pdf = ep_read.document
    for name in ("patent_id", "office", "number", "kind", "date", "title", "abstract", "applicants", "ipc"):
        assert getattr(pdf.patent, name) == getattr(xml.patent, name), name
    # The XML's sentences, word for word: all its description and claims sentences but one (a quote mark
    # printed as a typographic one), and its 12 brief descriptions of the drawings without their ";".
    pdf_sentences = {(s.section, s.text) for s in pdf.sentences}
    missing = [s for s in xml.sentences if (s.section, s.text) not in pdf_sentences]
    assert [s.section for s in missing].count("description") <= 1
    assert [s for s in missing if s.section == "claims"] == []
    assert sorted(pdf.figure_descriptions) == sorted(xml.figure_descriptions)
    for number, caption in xml.figure_descriptions.items():
        assert pdf.figure_descriptions[number] == caption.removesuffix("; and").removesuffix(";")
    # Nothing else: no page header, line numbers, headings or German/French claims among the sentences.
    assert len(pdf.sentences) <= len(xml.sentences) + 2
    assert not [s for s in pdf.sentences if "667 425" in s.text or s.text.isupper()]


def test_scan_without_text_layer_gives_its_drawing_pages(ep_pdf, tmp_path):
    scan = scanned(ep_pdf, range(1, 21), tmp_path / "EP1667425A1.pdf")
    result = read_pdf(scan, label=str(scan), out_dir=tmp_path / "pages")
    assert result.drawing_pages == EP_DRAWING_PAGES  # front page, text and search report left out by ink
    assert not result.has_text_layer and result.notes == (NO_TEXT_LAYER,)
    assert result.document.sentences == () and result.document.patent.patent_id == "EP1667425A1"  # file name
    renamed = shutil.copy(scan, tmp_path / "scan 12.pdf")
    (unit,), errors = find_publications([renamed], work_dir=tmp_path / "work")
    assert errors == [] and unit.kind == "pdf" and unit.notes == (NO_TEXT_LAYER,)
    assert unit.read_document().patent.patent_id == "PDF-scan-12" and len(unit.images) == 8


def test_drawings_only_pdf_takes_its_number_from_the_page_header(ep_pdf, tmp_path):
    drawings = page_subset(ep_pdf, EP_DRAWING_PAGES, tmp_path / "drawings.pdf")
    result = read_pdf(drawings, label=str(drawings), out_dir=tmp_path / "pages")
    assert result.drawing_pages == tuple(range(1, 9))
    assert result.document.patent.patent_id == "EP1667425A1" and result.document.sentences == ()
    assert result.has_text_layer and result.notes == (NO_DESCRIPTION,)
    # One page alone has no running header to repeat: a margin line that is only a number is one all the same.
    single = page_subset(ep_pdf, [16], tmp_path / "page16.pdf")
    result = read_pdf(single, label=str(single), out_dir=tmp_path / "page16")
    assert result.drawing_pages == (1,) and result.document.patent.patent_id == "EP1667425A1"


def test_pdf_units_in_folders_and_their_pages_are_removed_after_use(ep_pdf, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    page_subset(ep_pdf, [12], folder / "EP1667425A1.pdf")
    work = tmp_path / "work"
    batches = iter_publications([ep_pdf.parent, folder], work_dir=work)
    units, errors = next(batches)  # the package folder: its XML, not its DOCUMENT.PDF a second time
    assert errors == [] and [u.kind for u in units] == ["epo"]
    (unit,), errors = next(batches)  # the PDF, rendered when its turn comes, like a ZIP unpacked
    assert errors == [] and unit.kind == "pdf" and unit.key.startswith("pdf-")
    assert unit.source == str(folder / "EP1667425A1.pdf") and len(unit.images) == 1
    assert unit.images[0].is_file() and unit.images[0].is_relative_to(work)
    assert next(batches, None) is None
    assert not unit.images[0].exists()


def _encrypted_pdf() -> bytes:
    """A one-page PDF encrypted with a user password (the standard security handler, revision 2)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    ids = b"<" + b"33" * 16 + b">"
    out += b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [%s %s] >>\nstartxref\n%d\n%%%%EOF\n" % (
        ids,
        ids,
        xref,
    )
    return bytes(out)


def _pdf_of_blank_pages(path: Path, count: int, size: tuple[float, float] = (595, 842)) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(count):
        document.new_page(*size)
    document.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "problem"),
    [
        ("empty.pdf", lambda path: b"", "empty file"),
        ("notes.pdf", lambda path: b"Meeting notes, not a PDF.\n", "not a PDF"),
        ("archive.pdf", lambda path: b"PK\x03\x04" + bytes(100), "not a PDF"),
        ("cut.pdf", lambda path: b"%PDF-1.4\n1 0 obj\n<< /Type /Cat", "corrupt PDF"),
        (
            "locked.pdf",
            lambda path: _encrypted_pdf(),
            "encrypted PDF: it cannot be read without its password",
        ),
        ("long.pdf", lambda path: _pdf_of_blank_pages(path, 5000), "5000 pages, over the limit of 2500"),
        ("poster.pdf", lambda path: _pdf_of_blank_pages(path, 1, (14400, 3000)), "page 1 is 200 x 42 in"),
        ("blank.pdf", lambda path: _pdf_of_blank_pages(path, 2), "neither a drawing page nor text"),
    ],
)
def test_broken_pdf_is_one_message_naming_it(tmp_path, name, make, problem):
    path = tmp_path / name
    path.write_bytes(make(path))
    units, errors = find_publications([path], work_dir=tmp_path / "work")
    assert units == [] and len(errors) == 1
    assert errors[0].source == str(path) and problem in errors[0].problem, errors[0].problem
    assert isinstance(errors[0], BadInputError)


def test_broken_pdf_on_the_command_line_fails_by_name_and_stores_nothing(tmp_path, capsys):
    from patimg.cli import main

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(_encrypted_pdf())
    code = main(["ingest", str(locked), "--collection", str(tmp_path / "c"), "--json", "-q"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert code == 2 and report["added"] == [] and report["figures"] == 0
    assert report["errors"] == [
        {"source": str(locked), "problem": "encrypted PDF: it cannot be read without its password"}
    ]
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------- with OCR


@pytest.mark.slow
def test_ep_pdf_ingests_figures_whose_signs_link_to_its_own_text(ep_pdf, shared_data, tmp_path):
    from patimg.collection import Collection
    from patimg.ingest import ingest

    report = ingest([ep_pdf], collection=tmp_path / "c")
    assert report.added == ["EP1667425A1"] and report.errors == [] and report.notes == []
    store = Collection.open(tmp_path / "c")
    figures = store.figure_records("EP1667425A1")
    truth = json.loads((shared_data / "numerals_groundtruth.json").read_text())["images"]
    printed = read = linked = 0
    for page, image in zip(EP_DRAWING_PAGES, range(1, 9), strict=True):
        on_page = [f for f in figures if f.sheet == f"page-0{page}.png"]
        expected = truth[f"patents/ep/EP1667425/imgf000{image}.tif"]
        signs = {lab.text for f in on_page for lab in store.labels(f.figure_id) if lab.kind == "reference"}
        links = {link.sign for f in on_page for link in store.links(f.figure_id) if link.sentence_indexes}
        printed += len(expected["labels"])
        read += len(signs & set(expected["labels"]))
        linked += len(links & set(expected["labels"]))
    assert {f.figure_num for f in figures} >= {"1", "2", "3", "4", "5", "6", "8", "9", "10", "11", "12"}
    assert read >= 0.8 * printed  # the signs printed on the drawings are read...
    assert linked >= 0.9 * read  # ...and link to sentences of the PDF's own description


@pytest.mark.slow
def test_scan_and_drawings_only_pdf_ingest_and_say_what_they_lack(ep_pdf, tmp_path, capsys):
    from patimg.cli import main
    from patimg.collection import Collection

    scan = scanned(ep_pdf, [2, 12], tmp_path / "scan.pdf", dpi=300)  # a text page and FIG. 2 + FIG. 3
    drawings = page_subset(ep_pdf, [16], tmp_path / "drawings.pdf")  # FIG. 8 + FIG. 9, text layer kept
    code = main(["ingest", str(scan), str(drawings), "--collection", str(tmp_path / "c"), "-q"])
    err = capsys.readouterr().err
    assert code == 0
    assert err.count(f"note: {scan}: no text layer; figures stored without links") == 1
    assert err.count(f"note: {drawings}: no description in its text layer; figures stored without links") == 1
    store = Collection.open(tmp_path / "c")
    from_scan, from_drawings = store.figure_records("PDF-scan"), store.figure_records("EP1667425A1")
    assert sorted(f.caption for f in from_scan) == ["FIG. 2", "FIG. 3"]
    assert sorted(f.caption for f in from_drawings) == ["FIG. 8", "FIG. 9"]
    signs = {lab.text for f in from_scan for lab in store.labels(f.figure_id) if lab.kind == "reference"}
    assert {"48", "50", "52"} <= signs  # read on FIG. 2, stored without links
    assert all(
        not link.sentence_indexes for f in from_scan + from_drawings for link in store.links(f.figure_id)
    )
