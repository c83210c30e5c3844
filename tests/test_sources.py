"""Finding publication units in user inputs: real ZIPs, package folders, XMLs, image folders, hostile ZIPs."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from patimg.errors import BadInputError
from patimg.sources import PublicationUnit, find_publications, safe_extract_zip
from tests.realdata import shared_data_path


def _find(paths, tmp_path: Path) -> tuple[list[PublicationUnit], list[BadInputError]]:
    return find_publications(paths, work_dir=tmp_path / "work")


def test_uspto_zip_with_chemistry_keeps_only_drawing_sheets(tmp_path: Path) -> None:
    archive = shared_data_path("patents", "us-grants", "US12448385-20251021.ZIP")
    units, errors = _find([archive], tmp_path)
    assert errors == []
    (unit,) = units
    assert unit.kind == "uspto" and unit.xml is not None and unit.xml.name == "US12448385-20251021.XML"
    assert [p.name for p in unit.images] == ["US12448385-20251021-D00001.TIF"]
    assert unit.xml.is_relative_to(tmp_path / "work")
    assert unit.source == f"{archive}!US12448385-20251021/US12448385-20251021.XML"
    # The chemistry structures and page images were extracted but are not drawings.
    extracted = {p.name for p in unit.xml.parent.iterdir()}
    assert "US12448385-20251021-C00001.TIF" in extracted and "US12448385-20251021-C00001.MOL" in extracted


def test_uspto_folder_gives_sheets_in_xml_order(tmp_path: Path) -> None:
    folder = shared_data_path("patents", "us-grants", "US12448249-20251021")
    units, errors = _find([folder], tmp_path)
    assert errors == []
    (unit,) = units
    assert unit.kind == "uspto"
    assert [p.name for p in unit.images] == [f"US12448249-20251021-D0000{i}.TIF" for i in range(7)]


def test_bare_xml_has_no_images(tmp_path: Path) -> None:
    path = shared_data_path("xml", "epo", "grant-v1-5-B2.xml")
    units, errors = _find([path], tmp_path)
    assert errors == []
    assert units == [PublicationUnit(key=units[0].key, kind="epo", xml=path, images=(), source=str(path))]


def test_epo_package_folder_drops_search_report(tmp_path: Path) -> None:
    folder = shared_data_path("patents", "ep", "EP1667425")
    units, errors = _find([folder], tmp_path)
    assert errors == []
    (unit,) = units
    assert unit.kind == "epo" and unit.xml == folder / "DOC00001.xml"
    names = [p.name for p in unit.images]
    assert names == ["imgaf001.tif"] + [f"imgf000{i}.tif" for i in range(1, 9)]
    assert not any(n.startswith("srep") for n in names)


def test_epo_package_zip_matches_the_folder(tmp_path: Path) -> None:
    folder = shared_data_path("patents", "ep", "EP1667425")
    archive = tmp_path / "EP1667425.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted(folder.iterdir()):
            handle.write(file, f"EP1667425/{file.name}")
    (from_zip,), errors = _find([archive], tmp_path)
    (from_folder,), _ = _find([folder], tmp_path)
    assert errors == []
    assert from_zip.key == from_folder.key  # same XML bytes: recognised as already ingested
    assert [p.name for p in from_zip.images] == [p.name for p in from_folder.images]


def test_folder_of_everything_recurses_and_deduplicates(tmp_path: Path) -> None:
    root = shared_data_path("patents")
    units, errors = _find([root], tmp_path)
    assert errors == []
    xml_names = sorted(u.xml.name for u in units)
    # 29 designs + 5 distinct US grants (US12448730 is both a ZIP and a folder) + 1 EP package.
    assert len(units) == len(set(u.key for u in units)) == 35
    assert xml_names.count("US12448730-20251021.XML") == 1
    assert {u.kind for u in units} == {"uspto", "epo"}
    design = next(u for u in units if u.xml.name == "USD0907293-20210105.XML")
    assert len(design.images) == 7


def test_plain_image_folder(tmp_path: Path) -> None:
    folder = shared_data_path("sheets", "design-fig-labels")
    units, errors = _find([folder], tmp_path)
    assert errors == []
    (unit,) = units
    assert unit.kind == "images" and unit.xml is None
    assert len(unit.images) == len(list(folder.rglob("*.png"))) > 0
    assert unit.source == str(unit.images[0].parent)  # one unit per folder that holds images
    assert list(unit.images) == sorted(unit.images)


def test_rerun_is_idempotent_and_reuses_extraction(tmp_path: Path) -> None:
    archive = shared_data_path("patents", "us-grants", "US12448730-20251021.ZIP")
    first, _ = _find([archive], tmp_path)
    marker = next((tmp_path / "work" / "unzipped").glob("*/.patimg-extracted"))
    stamp = marker.stat().st_mtime_ns
    second, _ = _find([archive], tmp_path)
    assert [u.key for u in first] == [u.key for u in second]
    assert marker.stat().st_mtime_ns == stamp


def test_bad_inputs_are_reported_not_raised(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    not_zip = tmp_path / "fake.zip"
    not_zip.write_bytes(b"this is not a zip")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    broken_folder = tmp_path / "broken"
    broken_folder.mkdir()
    real = shared_data_path("xml", "uspto", "grant-v4-5-B1.xml").read_bytes()
    (broken_folder / "half.xml").write_bytes(real[: len(real) // 2])
    good = shared_data_path("xml", "uspto", "grant-v4-0-B2.xml")
    units, errors = _find([empty, not_zip, notes, tmp_path / "missing", broken_folder, good], tmp_path)
    assert [u.xml for u in units] == [good]
    messages = [str(e) for e in errors]
    assert len(messages) == 5
    for path, needle in (
        (empty, "empty"),
        (not_zip, "ZIP"),
        (notes, "unknown kind"),
        (tmp_path / "missing", "no such"),
    ):
        assert any(m.startswith(str(path)) and needle in m for m in messages), (path, messages)
    assert any("half.xml" in m and "malformed" in m for m in messages)


# ---- hostile ZIPs ------------------------------------------------------------------------------


def _zip_with(path: Path, name: str, data: bytes = b"x", *, symlink: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        handle.writestr(info, data)
    return path


@pytest.mark.parametrize(
    ("member", "symlink"),
    [
        ("../evil.txt", False),
        ("a/../../evil.txt", False),
        ("/tmp/evil.txt", False),
        ("C:/evil.txt", False),
        ("link", True),
    ],
)
def test_hostile_zip_members_are_refused(tmp_path: Path, member: str, symlink: bool) -> None:
    archive = _zip_with(
        tmp_path / "hostile.zip", member, b"/etc/passwd" if symlink else b"evil", symlink=symlink
    )
    target = tmp_path / "out" / "inner"
    with pytest.raises(BadInputError) as caught:
        safe_extract_zip(archive, target)
    assert "hostile.zip" in str(caught.value) and member in str(caught.value)
    assert not (tmp_path / "out" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    # Through find_publications the same ZIP is an error naming it, and the batch goes on.
    units, errors = _find([archive, shared_data_path("xml", "uspto", "grant-v4-0-B2.xml")], tmp_path)
    assert (
        len(units) == 1 and len(errors) == 1 and str(archive) in str(errors[0]) and member in str(errors[0])
    )


def test_zip_bomb_and_member_limits(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("zeros.xml", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(BadInputError, match="compression ratio"):
        safe_extract_zip(bomb, tmp_path / "bomb-out")
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as handle:
        for i in range(20):
            handle.writestr(f"f{i}.txt", b"x")
    with pytest.raises(BadInputError, match="members"):
        safe_extract_zip(many, tmp_path / "many-out", max_members=10)
    with pytest.raises(BadInputError, match="bytes"):
        safe_extract_zip(many, tmp_path / "many-out", max_total_bytes=5)


def test_safe_extract_zip_extracts_real_zip(tmp_path: Path) -> None:
    archive = shared_data_path("patents", "us-grants", "US12448730-20251021.ZIP")
    files = safe_extract_zip(archive, tmp_path / "x")
    assert sorted(p.name for p in files) == [
        "US12448730-20251021-D00001.TIF",
        "US12448730-20251021-D00002.TIF",
        "US12448730-20251021.XML",
    ]
    folder = shared_data_path("patents", "us-grants", "US12448730-20251021")
    for path in files:
        assert path.read_bytes() == (folder / path.name).read_bytes()
    shutil.rmtree(tmp_path / "x")
