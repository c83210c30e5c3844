"""Publication XML reader on real USPTO and EPO documents, and on hostile or broken input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from patimg.documents import parse_publication
from patimg.documents.text import leading_figure_numbers, normalise_class, patent_id
from patimg.errors import BadInputError
from tests.realdata import shared_data_path


def _xml_files(folder: str) -> list[Path]:
    return sorted(shared_data_path("xml", folder).glob("*.xml"))


def _check_common(document, path: Path) -> None:
    patent = document.patent
    assert patent.number and patent.kind, path
    assert len(patent.date) == 10 and patent.date[4] == "-", path
    assert patent.title, path
    assert patent.source == str(path)
    assert [s.index for s in document.sentences] == list(range(len(document.sentences)))
    assert all(s.patent_id == patent.patent_id for s in document.sentences)
    assert all(s.text.strip() == s.text and s.text for s in document.sentences)
    if "<description" in path.read_text(encoding="utf-8", errors="replace") or "<SDODE" in path.read_text(
        encoding="utf-8", errors="replace"
    ):
        assert any(s.section in ("description", "drawings") for s in document.sentences), path


@pytest.mark.parametrize("folder", ["uspto", "epo"])
def test_every_shared_xml_parses(folder: str) -> None:
    files = _xml_files(folder)
    assert files
    for path in files:
        document = parse_publication(path)
        _check_common(document, path)
        assert document.patent.office == ("EP" if folder == "epo" else "US")


def test_uspto_grant_v25_values() -> None:
    path = shared_data_path("xml", "uspto", "grant-v2-5-B2.xml")
    document = parse_publication(path)
    patent = document.patent
    assert (patent.patent_id, patent.number, patent.kind, patent.date) == (
        "US6530116B2",
        "06530116",
        "B2",
        "2003-03-11",
    )
    assert patent.title == "Vacuum cleaner with muffled detachable blower exhaust"
    assert patent.applicants == ("Shop Vac Corporation",)
    assert patent.ipc == ("A47L 5/14",)
    assert patent.abstract.startswith("A vacuum cleaner includes a housing")
    assert [d.file for d in document.drawings] == [f"US06530116-20030311-D0000{i}.TIF" for i in range(9)]
    assert document.figure_descriptions["2"].startswith(
        "FIG. 2 is a sectional view of the vacuum cleaner of FIG. 1"
    )
    sections = {s.section for s in document.sentences}
    assert sections == {"description", "drawings", "claims"}
    # The heading "BRIEF DESCRIPTION OF THE DRAWINGS" is not a sentence, nor glued to the next one.
    assert not any("BRIEF DESCRIPTION" in s.text for s in document.sentences)


def test_uspto_application_v15_values() -> None:
    document = parse_publication(shared_data_path("xml", "uspto", "application-v1-5-A1_2.xml"))
    patent = document.patent
    assert (patent.patent_id, patent.date) == ("US20010000002A1", "2001-03-15")
    assert (
        patent.title
        == "Process for detecting and correcting a fiber orientation cross direction profile change"
    )
    assert patent.ipc == ("D21C 11/12",)
    assert len(document.drawings) == 10
    assert document.figure_descriptions["1"].startswith("FIG. 1 is a graphic representation of gap width")
    # Paragraph numbers ("54.") are not text.
    assert not any(s.text.startswith(("54.", "55.")) for s in document.sentences)


def test_uspto_grant_v40_values() -> None:
    patent = parse_publication(shared_data_path("xml", "uspto", "grant-v4-0-B2.xml")).patent
    assert (patent.patent_id, patent.number) == ("US6857133B2", "06857133")
    assert patent.title.startswith(
        "Method and apparatus for manufacturing and installing water resistant cover"
    )
    assert "A41D 13/00" in patent.ipc


def test_us_grant_2025_with_cpc_and_figures() -> None:
    path = shared_data_path("patents", "us-grants", "US12448249-20251021", "US12448249-20251021.XML")
    document = parse_publication(path)
    patent = document.patent
    assert (patent.patent_id, patent.date, patent.language) == ("US12448249B2", "2025-10-21", "en")
    assert patent.applicants[0] == "Kone Corporation"
    assert "B66B 19/00" in patent.ipc and "B66B 19/002" in patent.cpc
    assert (
        document.figure_descriptions["1"]
        == "FIG. 1 illustrates a phase in an embodiment of a method for constructing an elevator."
    )
    assert [d.file for d in document.drawings] == [f"US12448249-20251021-D0000{i}.TIF" for i in range(7)]
    assert all(d.kind == "sheet" for d in document.drawings)


def test_us_grants_in_zips_parse_from_bytes() -> None:
    for name in ("US12448385-20251021.ZIP", "US12448730-20251021.ZIP"):
        with zipfile.ZipFile(shared_data_path("patents", "us-grants", name)) as archive:
            member = next(n for n in archive.namelist() if n.upper().endswith(".XML"))
            document = parse_publication(f"{name}!{member}", data=archive.read(member))
        assert document.patent.patent_id == name.split("-")[0] + "B2"
        assert document.drawings and all("-D0" in d.file for d in document.drawings)
        assert any(s.section == "description" for s in document.sentences)


def test_ep_package_document() -> None:
    document = parse_publication(shared_data_path("patents", "ep", "EP1667425", "DOC00001.xml"))
    patent = document.patent
    assert (patent.patent_id, patent.date, patent.language) == ("EP1667425A1", "2006-06-07", "en")
    assert patent.title == "Image forming method and image forming apparatus"
    assert patent.applicants == ("Wedg Co. Ltd",) and patent.ipc == ("H04N 1/40",)
    abstract = [d for d in document.drawings if d.kind == "abstract"]
    figures = [d for d in document.drawings if d.kind != "abstract"]
    assert [d.file for d in abstract] == ["imgaf001.tif"]
    assert [d.file for d in figures] == [f"imgf000{i}.tif" for i in range(1, 9)]
    # num="" and 12 described figures on 8 images: images are not one figure each, so no number is guessed.
    assert len(document.figure_descriptions) == 12
    assert all(d.figure_num == "" and d.kind == "sheet" for d in figures)
    assert document.figure_descriptions["2"].startswith(
        "FIG. 2 is a block diagram illustrating an image forming apparatus"
    )


def test_ep_german_documents() -> None:
    document = parse_publication(shared_data_path("xml", "epo", "grant-v1-5-B2.xml"))
    assert (document.patent.patent_id, document.patent.language) == ("EP2743087B2", "de")
    assert document.patent.title == "Druckmaschine mit Verkleidung"
    assert (
        document.figure_descriptions["1"]
        == "Fig. 1: Schematische Darstellung einer Maschine in einer Verkleidung."
    )
    application = parse_publication(shared_data_path("xml", "epo", "application-v1-2-A2.xml"))
    assert application.figure_descriptions["1"].startswith("Figur 1 eine Seitenansicht")


def test_ep_figure_numbers_from_order_when_one_image_per_figure() -> None:
    document = parse_publication(shared_data_path("xml", "epo", "grant-v1-1-B2.xml"))
    figures = [d for d in document.drawings if d.kind != "abstract"]
    assert len(figures) == len(document.figure_descriptions) > 0
    assert all(d.kind == "figure" and d.figure_num for d in figures)


def test_design_patents() -> None:
    folders = sorted(shared_data_path("patents", "us-design").iterdir())
    assert len(folders) == 29
    for folder in folders:
        document = parse_publication(folder / f"{folder.name}.XML")
        assert document.patent.patent_id.startswith("USD") and document.patent.kind == "S1"
        assert document.drawings
        assert any(s.section == "drawings" for s in document.sentences)
    document = parse_publication(folders[0] / f"{folders[0].name}.XML")
    assert (document.patent.patent_id, document.patent.number) == ("USD907293S1", "D0907293")
    assert sorted(document.figure_descriptions, key=int) == [str(i) for i in range(1, 9)]
    assert document.figure_descriptions["8"] == "FIG. 8 is another perspective view thereof."


def test_figure_number_parsing() -> None:
    assert leading_figure_numbers("FIG. 3 is a side view") == ["3"]
    assert leading_figure_numbers("FIGS. 3 and 4 are views") == ["3", "4"]
    assert leading_figure_numbers("FIGS. 5 to 7 show") == ["5", "6", "7"]
    assert leading_figure_numbers("FIGS. 1A-1C show") == ["1A", "1B", "1C"]
    assert leading_figure_numbers("FIG. 1A is") == ["1A"]
    assert leading_figure_numbers("Fig. 1 eine Ansicht") == ["1"]
    assert leading_figure_numbers("The hub of FIG. 3") == []


def test_class_and_id_normalisation() -> None:
    assert normalise_class("D21C011/12") == "D21C 11/12"
    assert normalise_class("A47L  514") == "A47L 5/14"
    assert normalise_class(" 7C 07C  29/44   A") == "C07C 29/44"
    assert normalise_class("H04N   1/40        20060101AFI20051109BHEP") == "H04N 1/40"
    assert normalise_class("not a class") == ""
    assert patent_id("US", "D0907293", "S1") == "USD907293S1"
    assert patent_id("US", "06530116", "B2") == "US6530116B2"


# ---- bad and hostile input ----------------------------------------------------------------------


def _assert_bad(path: Path, needle: str = "") -> BadInputError:
    with pytest.raises(BadInputError) as caught:
        parse_publication(path)
    assert path.name in str(caught.value)
    assert needle.lower() in str(caught.value).lower()
    return caught.value


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    _assert_bad(path, "empty")


def test_non_xml_bytes(tmp_path: Path) -> None:
    path = tmp_path / "picture.xml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _assert_bad(path, "not XML")


def test_truncated_xml(tmp_path: Path) -> None:
    real = shared_data_path("xml", "uspto", "grant-v4-5-B1.xml").read_bytes()
    path = tmp_path / "truncated.xml"
    path.write_bytes(real[: len(real) // 2])
    _assert_bad(path, "malformed")


def test_unknown_root(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?><catalog><book/></catalog>')
    _assert_bad(path, "unknown kind")


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    previous = [f"&lol{i - 1};" for i in range(1, 10)]
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{previous[i - 1] * 10}">' for i in range(1, 10)]
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE us-patent-grant [\n' + "\n".join(levels) + "\n]>\n"
        "<us-patent-grant><abstract><p>&lol9;</p></abstract></us-patent-grant>"
    )
    _assert_bad(path, "refused")


def test_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE us-patent-grant [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<us-patent-grant><us-bibliographic-data-grant><publication-reference><document-id><country>US</country>"
        "<doc-number>1</doc-number><kind>B1</kind><date>20200101</date></document-id></publication-reference>"
        "<invention-title>&xxe;</invention-title></us-bibliographic-data-grant>"
        "<description><p>Text &xxe; here.</p></description></us-patent-grant>"
    )
    error = _assert_bad(path, "external entity")
    assert "TOP-SECRET" not in str(error)


def test_parameter_entity_xxe_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "param.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ep-patent-document [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>\n'
        '<ep-patent-document country="EP" doc-number="1" kind="A1" date-publ="20200101"/>'
    )
    _assert_bad(path, "parameter entity")


def test_undeclared_reference_to_secret_stays_text_free(tmp_path: Path) -> None:
    """An entity the document uses but never declares becomes a placeholder, never file content."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    path = tmp_path / "undeclared.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE us-patent-grant SYSTEM "secret.txt">\n'
        "<us-patent-grant><us-bibliographic-data-grant><publication-reference><document-id><country>US</country>"
        "<doc-number>1</doc-number><kind>B1</kind><date>20200101</date></document-id></publication-reference>"
        "<invention-title>Title &secret; &mdash; end</invention-title></us-bibliographic-data-grant>"
        "<description><p>Hub 14 turns.</p></description></us-patent-grant>"
    )
    document = parse_publication(path)
    assert document.patent.title == "Title \ufffd \u2014 end"
    assert all("SECRET" not in s.text for s in document.sentences)


def test_ep_drawings_section_ends_at_prose_without_heading() -> None:
    document = parse_publication(shared_data_path("xml", "epo", "grant-v1-5-B1.xml"))
    assert (
        document.figure_descriptions["2"]
        == "Figures 1 and 2 show a schematic high voltage assembly, respectively; and"
    )
    assert document.figure_descriptions["3"] == "Figure 3 shows a schematic flow diagram."
    section_of = {s.text: s.section for s in document.sentences}
    assert section_of["Figure 1 shows a schematic high voltage assembly 2."] == "description"
    assert section_of["The active component 6 comprises windings and a core."] == "description"


def test_too_big_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from patimg.documents import xmlsafe

    monkeypatch.setattr(xmlsafe, "MAX_XML_BYTES", 10_000)
    path = shared_data_path("xml", "uspto", "grant-v4-5-B1.xml")
    with pytest.raises(BadInputError, match="too big") as caught:
        parse_publication(path)
    assert path.name in str(caught.value)
    with pytest.raises(BadInputError, match="too big"):
        parse_publication("upload.xml", data=path.read_bytes())


def test_concatenated_bulk_file_reads_the_first_document() -> None:
    """USPTO weekly files concatenate documents, each with its own XML declaration."""
    document = parse_publication(shared_data_path("xml", "uspto", "test.xml"))
    assert document.patent.patent_id == "US11147202B2"
    assert document.patent.title == "Wheeled hand truck"


def test_recovers_a_complete_document_with_a_stray_tag_character() -> None:
    document = parse_publication(shared_data_path("xml", "epo", "application-v1-5-1-A1-2.xml"))
    assert document.patent.patent_id == "EP3889521A1"
    assert len(document.sentences) > 100


def test_doctype_hidden_behind_a_comment_is_still_checked(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    path = tmp_path / "trick.xml"
    path.write_text(
        '<?xml version="1.0"?><!-- <!DOCTYPE x> -->\n'
        f'<!DOCTYPE us-patent-grant [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<us-patent-grant><invention-title>&xxe;</invention-title></us-patent-grant>"
    )
    _assert_bad(path, "external entity")
