"""The file source: Google-like CSV/XLSX exports that read back cell for cell, and clear errors for the clerk."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from connectors.local.files import (
    FileSource,
    MissingSourceFileError,
    SourceFileError,
    read_table,
    write_csv,
    write_sample,
    write_xlsx,
)
from sample_data.generator import FORMULA_NAME, SampleData
from thidua.plan import Plan
from thidua.rows import Table

from .support import source


@pytest.fixture(scope="module")
def sample_dir(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample(plan, out)
    return out


def test_write_sample_writes_csv_xlsx_and_expected_rejects(plan: Plan, sample: SampleData, tmp_path: Path) -> None:
    written = write_sample(plan, tmp_path)
    for s in plan.sources:
        assert written[s.file] == tmp_path / s.file
        assert written[Path(s.file).with_suffix(".xlsx").name].is_file()
    rejects = json.loads(written["expected_rejects.json"].read_text(encoding="utf-8"))
    assert rejects == {sid: {str(n): code for n, code in rows.items()} for sid, rows in sample.expected_rejects.items()}


def test_two_writes_are_byte_identical(plan: Plan, tmp_path: Path) -> None:
    first, second = write_sample(plan, tmp_path / "a"), write_sample(plan, tmp_path / "b")
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_csv_is_written_like_a_google_sheets_download(sample_dir: Path) -> None:
    data = (sample_dir / "F2_dang_ky_tap_the.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith("Dấu thời gian,".encode())
    assert b"\r\n" in data and not data.endswith(b"\n")
    assert data.count(b"\r\n") == 11  # header + 11 answers; pledges keep their bare \n inside quotes


def test_csv_and_xlsx_read_back_to_the_same_table(plan: Plan, sample: SampleData, sample_dir: Path) -> None:
    for s in plan.sources:
        from_csv = read_table(sample_dir / s.file, s.id, s.sheet)
        from_xlsx = read_table((sample_dir / s.file).with_suffix(".xlsx"), s.id, s.sheet)
        assert from_csv == from_xlsx == Table.from_cells(s.id, s.sheet, sample.grids[s.id]), s.id


def test_xlsx_sheet_is_named_as_in_the_plan_and_formula_answers_stay_text(plan: Plan, sample_dir: Path) -> None:
    f1 = source(plan, "F1")
    workbook = load_workbook(sample_dir / "F1_dang_ky_ca_nhan.xlsx")
    assert workbook.sheetnames == [f1.sheet]
    cells = [cell for row in workbook[f1.sheet].iter_rows() for cell in row if cell.value == FORMULA_NAME]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_file_source_reads_the_named_csv(plan: Plan, sample: SampleData, sample_dir: Path) -> None:
    f3 = source(plan, "F3")
    table = FileSource(sample_dir).read(f3)
    assert (table.source_id, table.sheet) == ("F3", f3.sheet)
    assert len(table.rows) == len(sample.grids["F3"]) - 1


def test_file_source_falls_back_to_the_xlsx_with_the_same_stem(plan: Plan, sample_dir: Path, tmp_path: Path) -> None:
    f5 = source(plan, "F5")
    xlsx = Path(f5.file).with_suffix(".xlsx").name
    (tmp_path / xlsx).write_bytes((sample_dir / xlsx).read_bytes())
    assert FileSource(tmp_path).read(f5) == FileSource(sample_dir).read(f5)


def test_missing_file_raises_a_vietnamese_error_naming_the_file(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(MissingSourceFileError, match=re.escape("Không tìm thấy tệp «F1_dang_ky_ca_nhan.csv»")):
        FileSource(tmp_path).read(source(plan, "F1"))


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "F1.ods"
    path.write_bytes(b"")
    with pytest.raises(SourceFileError, match="không hỗ trợ"):
        read_table(path, "F1", "Trang 1")


def test_typed_xlsx_cells_read_as_the_text_sheets_shows(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Dấu thời gian", "Số tháng", "Tỷ lệ", "Ngày vào làm", "Trống"])
    sheet.append([dt.datetime(2024, 3, 13, 8, 5, 9), 12, 92.5, dt.datetime(2010, 9, 5), None])
    sheet["A2"].number_format = "d/m/yyyy h:mm:ss"
    sheet["D2"].number_format = "dd/mm/yyyy"
    workbook.save(tmp_path / "typed.xlsx")
    table = read_table(tmp_path / "typed.xlsx", "F6", "Sheet")
    assert list(table.rows[0].values.values()) == ["13/3/2024 8:05:09", "12", "92.5", "5/9/2010", ""]


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
ALPHABET = VIETNAMESE + "0123456789 ,.;:\"'=+-@#%()/\n–"
cells = st.builds(
    unicodedata.normalize, st.sampled_from(["NFC", "NFD"]), st.text(alphabet=ALPHABET, max_size=24)
)


@st.composite
def grids(draw: st.DrawFn) -> list[list[str]]:
    width = draw(st.integers(min_value=1, max_value=5))
    header = draw(st.lists(st.text(alphabet=VIETNAMESE, min_size=1, max_size=12), min_size=width,
                           max_size=width, unique=True))
    body = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=6))
    return [header, *body]


@settings(max_examples=60, deadline=None)
@given(grid=grids())
@example(grid=[["Họ và tên"], [""]])
@example(grid=[["a", "b"], ["", ""], ["=SUM(1;2)", " x "], ["", ""]])
@example(grid=[["Nội dung"], ["\n"], ["dòng 1\ndòng 2\n"]])
@example(grid=[["Tổ"]])
def test_any_vietnamese_grid_round_trips_through_csv_and_xlsx(grid: list[list[str]]) -> None:
    expected = Table.from_cells("F1", "Câu trả lời biểu mẫu 1", grid)
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = Path(folder) / "g.csv", Path(folder) / "g.xlsx"
        write_csv(csv_path, grid)
        write_xlsx(xlsx_path, grid, "Câu trả lời biểu mẫu 1")
        assert read_table(csv_path, "F1", "Câu trả lời biểu mẫu 1") == expected
        assert read_table(xlsx_path, "F1", "Câu trả lời biểu mẫu 1") == expected


def test_rows_missing_from_an_xlsx_keep_their_sheet_row_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Tổ"])
    sheet.append(["Lê Thị Lan", "Toán"])
    sheet["A4"] = "Trần Văn Nam"
    workbook.save(tmp_path / "gap.xlsx")
    rows = read_table(tmp_path / "gap.xlsx", "F1", "Sheet").rows
    assert [(r.row_number, r.is_blank()) for r in rows] == [(2, False), (3, True), (4, False)]


def test_csv_saved_with_a_bom_reads_the_same(sample_dir: Path, tmp_path: Path) -> None:
    original = sample_dir / "roster.csv"
    (tmp_path / "roster.csv").write_bytes(b"\xef\xbb\xbf" + original.read_bytes())
    assert read_table(tmp_path / "roster.csv", "roster", "Danh sách") == read_table(original, "roster", "Danh sách")


def test_broken_files_raise_errors_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "F1.xlsx").write_bytes(b"not a zip")
    with pytest.raises(SourceFileError, match=re.escape("F1.xlsx")):
        read_table(tmp_path / "F1.xlsx", "F1", "Trang 1")
    (tmp_path / "F1.csv").write_bytes("Họ và tên\nLê Thị Lan".encode("utf-16"))
    with pytest.raises(SourceFileError, match=re.escape("F1.csv")):
        read_table(tmp_path / "F1.csv", "F1", "Trang 1")


def test_a_workbook_without_the_planned_sheet_is_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.create_sheet("Trang 2")
    workbook.save(tmp_path / "two.xlsx")
    with pytest.raises(SourceFileError, match="không có trang tính «Câu trả lời biểu mẫu 1»"):
        read_table(tmp_path / "two.xlsx", "F1", "Câu trả lời biểu mẫu 1")


def test_reading_a_missing_path_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(MissingSourceFileError, match=re.escape("F6_binh_xet.xlsx")):
        read_table(tmp_path / "F6_binh_xet.xlsx", "F6", "Bình xét 2023-2024")
