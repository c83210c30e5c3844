"""Nothing stored may be lost and no failed input may leave a trace (issue 14, items 1-4, `patimg patents`).

Every input is generated here: small drawings with a reference numeral drawn by PIL (about a second of OCR
each), tiny ``us-patent-grant`` XMLs and broken files. The collection is looked at the way a script would,
through ``patimg patents --json`` and ``patimg figures --json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from patimg.cli import main
from patimg.collection import Collection
from patimg.demo.drawings import font


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def ingest(capsys, collection: Path, *sources) -> tuple[int, dict, str]:
    """``patimg ingest ... --json``: the exit status, the report and stderr."""
    code, out, err = run_cli(capsys, "ingest", *sources, "--collection", collection, "--json", "-q")
    return code, json.loads(out), err


def patents(capsys, collection: Path) -> list[dict]:
    code, out, _ = run_cli(capsys, "patents", "--collection", collection, "--json")
    assert code == 0
    return json.loads(out)


def figures(capsys, collection: Path, patent: str | None = None) -> list[dict]:
    extra = ["--patent", patent] if patent else []
    code, out, _ = run_cli(capsys, "figures", "--collection", collection, *extra, "--json")
    assert code == 0
    return json.loads(out)


def draw(path: Path, *, sign: str = "14", shape: str = "box") -> Path:
    """A small line drawing (a box, a circle or a triangle) with one leader line and its numeral."""
    image = Image.new("L", (480, 360), 255)
    pen = ImageDraw.Draw(image)
    if shape == "box":
        pen.rectangle((60, 60, 260, 260), outline=0, width=4)
    elif shape == "circle":
        pen.ellipse((60, 60, 260, 260), outline=0, width=4)
    else:
        pen.polygon([(60, 260), (160, 60), (260, 260)], outline=0, width=4)
    pen.line((260, 160, 360, 120), fill=0, width=3)
    pen.text((395, 110), sign, font=font(40), fill=0, anchor="mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def us_xml(path: Path, *, title: str, description: str, sheets: tuple[str, ...] = ()) -> Path:
    """A minimal USPTO v4 ``us-patent-grant`` for US1234567B2, naming ``sheets`` as its drawings."""
    drawings = "".join(
        f'<figure id="Fig-EMI-D0000{i}" num="{i:05d}"><img file="{name}" img-format="tif"/></figure>'
        for i, name in enumerate(sheets, start=1)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<us-patent-grant lang="EN" file="US01234567-20200102.XML">'
        "<us-bibliographic-data-grant><publication-reference><document-id><country>US</country>"
        "<doc-number>01234567</doc-number><kind>B2</kind><date>20200102</date></document-id>"
        f"</publication-reference><invention-title>{title}</invention-title></us-bibliographic-data-grant>"
        f"<description><p>{description}</p></description><drawings>{drawings}</drawings></us-patent-grant>",
        encoding="utf-8",
    )
    return path


def figure_files(collection: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((collection / "figures").glob("*"))}


# -- 1. a text-only XML of a stored publication keeps its figures ------------------------------------------


def test_text_only_xml_of_a_stored_publication_keeps_its_figures_and_relinks_them(tmp_path, capsys):
    collection = tmp_path / "c"
    sheet = "US01234567-20200102-D00001.TIF"
    package = tmp_path / "grant"  # XML + drawing, as in a USPTO grant ZIP (the sheet converted to PNG)
    us_xml(
        package / "US01234567-20200102.XML",
        title="Rotor",
        description="The hub 14 carries blades.",
        sheets=(sheet,),
    )
    draw(package / "US01234567-20200102-D00001.png")
    code, report, _ = ingest(capsys, collection, package)
    assert code == 0 and report["figures"] == 1
    [before] = patents(capsys, collection)
    stored = figures(capsys, collection)
    assert before["figures"] == 1 and stored[0]["signs"] == ["14"]
    images = figure_files(collection)

    # USPTO ships full text and drawings in separate bulk products: the text alone, corrected, comes later.
    text_only = us_xml(
        tmp_path / "fulltext" / "US01234567.xml",
        title="Rotor with a hub",
        description="The spinner 14 turns.",
    )
    code, report, _ = ingest(capsys, collection, text_only)
    assert code == 0 and report["added"] == [before["id"]] and not report["errors"]

    [after] = patents(capsys, collection)
    assert after == {**before, "title": "Rotor with a hub"}  # bibliography updated, the figure kept
    assert figures(capsys, collection) == stored
    assert figure_files(collection) == images
    # The kept figure's sign now links to the new text.
    code, out, _ = run_cli(capsys, "links", "--collection", collection, "--figure", stored[0]["id"], "--json")
    [sign] = json.loads(out)["signs"]
    assert code == 0 and sign["sign"] == "14" and sign["sentences"] == ["The spinner 14 turns."]


def test_new_drawings_that_all_fail_keep_the_stored_figures(tmp_path, capsys):
    collection = tmp_path / "c"
    sheet = "US01234567-20200102-D00001.TIF"
    good = tmp_path / "good"
    us_xml(good / "US01234567.XML", title="Rotor", description="The hub 14 carries blades.", sheets=(sheet,))
    draw(good / "US01234567-20200102-D00001.png", shape="circle")
    assert ingest(capsys, collection, good)[0] == 0
    before, stored, images = (
        patents(capsys, collection),
        figures(capsys, collection),
        figure_files(collection),
    )

    bad = tmp_path / "bad"  # the same publication again, its only sheet truncated
    us_xml(bad / "US01234567.XML", title="Rotor (new)", description="The hub 14 turns.", sheets=(sheet,))
    (bad / "US01234567-20200102-D00001.png").write_bytes(
        (good / "US01234567-20200102-D00001.png").read_bytes()[:300]
    )
    code, report, _ = ingest(capsys, collection, bad)
    assert code == 2 and not report["added"]
    assert "US01234567-20200102-D00001.png" in report["errors"][0]["problem"]
    assert patents(capsys, collection) == before
    assert figures(capsys, collection) == stored and figure_files(collection) == images


# -- 2. two plain folders with the same last name ----------------------------------------------------------


def test_two_folders_with_the_same_name_are_two_publications(tmp_path, capsys):
    collection = tmp_path / "c"
    a = tmp_path / "a" / "scans"
    b = tmp_path / "b" / "scans"
    draw(a / "sheet.png", sign="14", shape="box")
    draw(b / "sheet.png", sign="22", shape="triangle")

    code, report_a, _ = ingest(capsys, collection, a)
    assert code == 0 and report_a["figures"] == 1
    a_figures, a_images = figures(capsys, collection), figure_files(collection)

    code, report_b, _ = ingest(capsys, collection, b)
    assert code == 0 and report_b["figures"] == 1 and not report_b["skipped"]
    assert report_b["added"] != report_a["added"]
    listed = patents(capsys, collection)
    assert sorted(p["id"] for p in listed) == sorted(report_a["added"] + report_b["added"])
    assert all(p["figures"] == 1 and p["title"] == "scans" for p in listed)
    # a's figure is still a's: same record, same image bytes.
    assert figures(capsys, collection, report_a["added"][0]) == a_figures
    assert {k: v for k, v in figure_files(collection).items() if k in a_images} == a_images
    assert figures(capsys, collection, report_b["added"][0])[0]["signs"] == ["22"]

    # Running a/scans again resumes: it is skipped because it is all still there.
    code, again, _ = ingest(capsys, collection, a)
    assert code == 0 and again["skipped"] == [str(a)] and not again["added"]
    assert len(patents(capsys, collection)) == 2
    assert figures(capsys, collection, report_a["added"][0]) == a_figures


def test_a_changed_folder_updates_its_own_publication(tmp_path, capsys):
    collection = tmp_path / "c"
    scans = tmp_path / "scans"
    draw(scans / "one.png", sign="14")
    [pid] = ingest(capsys, collection, scans)[1]["added"]
    draw(scans / "two.png", sign="16", shape="circle")
    code, report, _ = ingest(capsys, collection, scans)
    assert code == 0 and report["added"] == [pid]
    assert [(p["id"], p["figures"]) for p in patents(capsys, collection)] == [(pid, 2)]


# -- 3. file names that map to one figure id ---------------------------------------------------------------


def test_file_names_that_map_to_one_figure_id_are_all_stored(tmp_path, capsys):
    scans = tmp_path / "scans"
    draw(scans / "fig 1.png", sign="14")
    draw(scans / "fig_1.png", sign="22", shape="triangle")
    code, report, err = ingest(capsys, tmp_path / "c", scans)
    assert code == 0 and report["figures"] == 2 and not report["errors"], err
    assert "IntegrityError" not in err
    listed = figures(capsys, tmp_path / "c")
    assert sorted(f["sheet"] for f in listed) == ["fig 1.png", "fig_1.png"]
    assert len({f["id"] for f in listed}) == 2
    assert {f["sheet"]: f["signs"] for f in listed} == {"fig 1.png": ["14"], "fig_1.png": ["22"]}
    assert all(Path(f["image"]).is_file() for f in listed)
    assert [p["figures"] for p in patents(capsys, tmp_path / "c")] == [2]
    # The ids do not depend on the collection or the run: a second collection gives the same ones.
    ingest(capsys, tmp_path / "c2", scans)
    assert {f["id"] for f in figures(capsys, tmp_path / "c2")} == {f["id"] for f in listed}


# -- 4. failed inputs leave no publication ------------------------------------------------------------------


def _not_an_image(path: Path) -> None:
    path.write_text("These are my notes, not a drawing.\n", encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated_tiff(path: Path) -> None:
    image = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(image).rectangle((40, 40, 360, 260), outline=0, width=5)
    image.save(path, format="TIFF")
    path.write_bytes(path.read_bytes()[:2000])


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _over_pixel_limit(path: Path) -> None:
    Image.new("1", (8001, 8001), 1).save(path, format="PNG")  # 64,016,001 pixels, a few kB on disk


BAD_INPUTS = {
    "notes.png": _not_an_image,
    "empty.png": _empty,
    "truncated.tif": _truncated_tiff,
    "document.tif": _pdf,
    "huge.png": _over_pixel_limit,
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_a_failed_image_as_the_only_source_leaves_nothing(tmp_path, capsys, name):
    collection = tmp_path / "c"
    bad = tmp_path / name
    BAD_INPUTS[name](bad)
    for attempt in range(2):  # a second run fails the same way: nothing was marked as ingested
        code, report, _ = ingest(capsys, collection, bad)
        assert code == 2, attempt
        assert not report["added"] and not report["skipped"] and report["figures"] == 0
        [error] = report["errors"]
        assert error["source"] == str(bad) and name in error["problem"]
        assert patents(capsys, collection) == []
        assert figure_files(collection) == {}
        assert Collection.open(collection).ingested_sources() == []


def test_a_folder_whose_every_image_failed_leaves_nothing_and_can_be_fixed(tmp_path, capsys):
    collection = tmp_path / "c"
    scans = tmp_path / "scans"
    scans.mkdir()
    _empty(scans / "empty.png")
    _pdf(scans / "document.tif")
    code, report, err = ingest(capsys, collection, scans)
    assert code == 2 and not report["added"]
    assert [e["source"] for e in report["errors"]] == [str(scans)]
    assert "empty.png" in report["errors"][0]["problem"] and "document.tif" in report["errors"][0]["problem"]
    assert patents(capsys, collection) == [] and figure_files(collection) == {}
    assert Collection.open(collection).ingested_sources() == []

    draw(scans / "empty.png")  # fixed
    (scans / "document.tif").unlink()
    code, report, _ = ingest(capsys, collection, scans)
    assert code == 0 and report["figures"] == 1 and not report["errors"]
    assert [p["figures"] for p in patents(capsys, collection)] == [1]


def test_a_publication_whose_every_drawing_failed_is_not_stored(tmp_path, capsys):
    package = tmp_path / "grant"
    us_xml(
        package / "US01234567.XML", title="Rotor", description="Hub 14.", sheets=("US01234567-D00001.TIF",)
    )
    _truncated_tiff(package / "US01234567-D00001.TIF")
    code, report, _ = ingest(capsys, tmp_path / "c", package)
    assert code == 2 and not report["added"]
    assert "US01234567-D00001.TIF" in report["errors"][0]["problem"]
    assert patents(capsys, tmp_path / "c") == [] and figure_files(tmp_path / "c") == {}


def test_a_failure_while_storing_leaves_no_figure_image(tmp_path, capsys, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(Collection, "write_publication", crash)
    scans = tmp_path / "scans"
    draw(scans / "one.png")
    code, report, _ = ingest(capsys, tmp_path / "c", scans)
    assert code == 2 and "disk gone" in report["errors"][0]["problem"]
    monkeypatch.undo()
    assert patents(capsys, tmp_path / "c") == [] and figure_files(tmp_path / "c") == {}


# -- 5. `patimg patents` -----------------------------------------------------------------------------------


def test_patents_lists_publications_with_their_figure_counts(tmp_path, capsys):
    collection = tmp_path / "c"
    us_xml(tmp_path / "text.xml", title="Rotor", description="The hub 14 carries blades.")
    assert ingest(capsys, collection, tmp_path / "text.xml")[0] == 0
    assert patents(capsys, collection) == [
        {"id": "US1234567B2", "title": "Rotor", "date": "2020-01-02", "office": "US", "figures": 0}
    ]
    code, out, _ = run_cli(capsys, "patents", "--collection", collection)
    assert code == 0 and out.splitlines() == ["US1234567B2\t2020-01-02\tUS\t0 figure(s)\tRotor"]
    code, _, err = run_cli(capsys, "patents", "--collection", tmp_path / "nope", "--json")
    assert code == 2 and "nope" in err and "Traceback" not in err


def test_sheet_names_do_not_depend_on_the_order_of_the_images():
    from patimg.sheet_naming import sheet_names

    names = ["fig 1.png", "fig_1.png", "fig-2.png", "US1-D00003.TIF"]
    parts = sheet_names(names)
    assert parts == sheet_names(list(reversed(names)))
    assert parts["fig-2.png"] == "fig-2" and parts["US1-D00003.TIF"] == "D00003"
    assert parts["fig 1.png"] != parts["fig_1.png"] and all(
        p.startswith("fig_1-") for p in [parts["fig 1.png"], parts["fig_1.png"]]
    )
