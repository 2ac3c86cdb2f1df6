"""Response sheets as files: CSV and XLSX exports of Google Forms answers, read back into `Table`s.

The local backend reads what a clerk downloads from Google Sheets ("Tải xuống" as CSV or XLSX), so the writer
mimics Google's exports (CSV: UTF-8 without BOM, CRLF between records, none after the last) and the reader
returns every cell as the text Sheets would show, so the core sees the same strings from every backend.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sample_data.generator import generate
from thidua.plan import Plan, Source
from thidua.rows import Table

if TYPE_CHECKING:
    from openpyxl import Workbook

# openpyxl is imported where an XLSX is read or written: it takes seconds to import, and a plan whose answers are
# CSV (or `thidua check` on one) should not pay for it.

# Written into every XLSX (document properties and zip entries) so the same grid always gives the same bytes.
_FIXED_MOMENT = dt.datetime(2024, 1, 1)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
SUPPORTED_SUFFIXES = (".csv", ".xlsx")


class SourceFileError(Exception):
    """A source file that cannot be read; the message is for the clerk, in Vietnamese, and names the file."""


class MissingSourceFileError(SourceFileError):
    """The plan names a file that is not in the data folder (under either supported extension)."""


def write_csv(path: Path, grid: Sequence[Sequence[str]]) -> None:
    """Writes a grid as Google Sheets' CSV download does: UTF-8, no BOM, CRLF, no line break after the last row."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(grid)
    path.write_bytes(buffer.getvalue().removesuffix("\r\n").encode("utf-8"))


def write_xlsx(path: Path, grid: Sequence[Sequence[str]], sheet_name: str) -> None:
    """Writes a grid as one sheet of text cells; an answer starting with "=" stays text, never a formula."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = sheet_name
    for row_index, line in enumerate(grid, start=1):
        for column_index, value in enumerate(line, start=1):
            cell = sheet.cell(row=row_index, column=column_index, value=value)
            cell.data_type = "s"
    workbook.properties.created = workbook.properties.modified = _FIXED_MOMENT
    path.write_bytes(_reproducible_zip(_xlsx_bytes(workbook)))


def _xlsx_bytes(workbook: Workbook) -> bytes:
    """Saves without openpyxl's `save`, which would stamp the current time as the modification date."""
    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


def _reproducible_zip(data: bytes) -> bytes:
    """Re-packs a zip with fixed entry timestamps, since zipfile stamps each entry with the current time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def read_table(path: Path, source_id: str, sheet: str) -> Table:
    """Reads a CSV or XLSX export into a Table; every cell is text as Sheets shows it, empty cells are ""."""
    if not path.is_file():
        raise MissingSourceFileError(f"Không tìm thấy tệp «{path}» của nguồn {source_id}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return Table.from_cells(source_id, sheet, _read_csv(path))
    if suffix == ".xlsx":
        grid, notes = _read_xlsx(path, sheet)
        return Table.from_cells(source_id, sheet, grid, notes)
    raise SourceFileError(f"Tệp «{path}» có định dạng không hỗ trợ; cần tệp .csv hoặc .xlsx")


# Google Sheets holds at most 50,000 characters a cell; Python's csv stops at 128 KiB with an English error.
MAX_CELL_CHARS = 100_000


def _read_csv(path: Path) -> list[list[str]]:
    """Every record, or SourceFileError naming the line where the file stops being well-formed CSV: a quote
    left open swallows every later row into one cell, so such a file is refused whole, never half-read."""
    csv.field_size_limit(MAX_CELL_CHARS)
    grid: list[list[str]] = []
    record_start = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            for line in reader:
                grid.append(list(line))
                if grid[0] and len(line) > len(grid[0]):
                    raise SourceFileError(
                        f"Tệp «{path.name}», dòng {record_start}: có {len(line)} ô, nhiều hơn {len(grid[0])} cột "
                        "của dòng tiêu đề (dấu phẩy hoặc dấu ngoặc kép lạc?); tệp bị từ chối toàn bộ, hãy tải lại "
                        "từ Google Sheets (Tệp → Tải xuống → CSV)")
                record_start = reader.line_num + 1
    except UnicodeDecodeError:
        raise SourceFileError(
            f"Tệp «{path.name}» không phải văn bản UTF-8; hãy tải lại từ Google Sheets (Tệp → Tải xuống → CSV)"
        ) from None
    except csv.Error as error:
        reason = str(error)
        if "end of data" in reason:
            problem = "có dấu ngoặc kép («\"») mở mà không đóng, nên mọi dòng sau bị nuốt vào một ô"
        elif "field larger than field limit" in reason:
            problem = f"có một ô dài hơn {MAX_CELL_CHARS:,} ký tự".replace(",", ".")
        elif "expected after" in reason:
            problem = "có dấu ngoặc kép («\"») đặt sai chỗ giữa một ô"
        elif "NUL" in reason or "null" in reason:
            problem = "có ký tự NUL (tệp nhị phân hoặc bị hỏng)"
        else:
            problem = "không đúng định dạng CSV"
        raise SourceFileError(
            f"Tệp «{path.name}», bản ghi bắt đầu ở dòng {record_start}: {problem}; tệp bị từ chối toàn bộ (không "
            "đọc nửa chừng). Hãy sửa ô đó hoặc tải lại từ Google Sheets (Tệp → Tải xuống → CSV)"
        ) from None
    return grid


def _read_xlsx(path: Path, sheet: str) -> tuple[list[list[str]], dict[tuple[int, int], str]]:
    """The sheet's cells as text, and a note for each cell that reads empty although the file holds something
    there: part of a merged range, or a formula whose value was never saved (openpyxl cannot compute it)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceFileError(f"Không đọc được tệp Excel «{path.name}»: tệp hỏng hoặc không phải .xlsx") from exc
    try:
        name = _sheet_name(path, sheet, workbook.sheetnames)
        grid = [
            [_cell_text(cell.value, getattr(cell, "number_format", "")) for cell in row]
            for row in workbook[name].iter_rows()
        ]
    finally:
        workbook.close()
    return grid, _hidden_cells(path, name, grid)


def _sheet_name(path: Path, sheet: str, names: list[str]) -> str:
    if sheet in names:
        return sheet
    if len(names) == 1:
        return names[0]
    raise SourceFileError(f"Tệp «{path.name}» không có trang tính «{sheet}»; các trang tính có: {', '.join(names)}")


def _hidden_cells(path: Path, name: str, grid: list[list[str]]) -> dict[tuple[int, int], str]:
    """Merged ranges and formulas without saved values; looked for only when the file has either."""
    with zipfile.ZipFile(path) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    if b"<mergeCell " not in xml and b"<f>" not in xml and b"<f " not in xml:
        return {}
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    notes: dict[tuple[int, int], str] = {}
    workbook = load_workbook(path, read_only=False, data_only=False)
    try:
        worksheet = workbook[name]
        for merged in worksheet.merged_cells.ranges:
            for row in range(merged.min_row, merged.max_row + 1):
                for column in range(merged.min_col, merged.max_col + 1):
                    if (row, column) != (merged.min_row, merged.min_col):
                        notes[(row - 1, column - 1)] = (
                            f"Ô {get_column_letter(column)}{row} nằm trong vùng ô gộp {merged.coord}: chỉ ô đầu "
                            "giữ giá trị; hãy bỏ gộp ô và ghi câu trả lời vào từng dòng")
        for row_cells in worksheet.iter_rows():
            for cell in row_cells:
                r, c = cell.row - 1, cell.column - 1
                formula = isinstance(cell.value, str) and cell.data_type == "f"
                if formula and r < len(grid) and c < len(grid[r]) and grid[r][c] == "":
                    notes[(r, c)] = (f"Ô {cell.coordinate} là công thức chưa có giá trị đã lưu; hãy mở tệp bằng "
                                     "Excel hoặc Google Sheets, lưu lại (hoặc dán dạng giá trị) rồi tải lại")
    finally:
        workbook.close()
    return notes


def _cell_text(value: object, number_format: str) -> str:
    """The text Google Sheets shows for a cell (Vietnamese locale) when the XLSX holds a typed value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if "h" in number_format.lower() or value.time() != dt.time(0):
            return f"{value.day}/{value.month}/{value.year} {value.hour}:{value.minute:02d}:{value.second:02d}"
        return f"{value.day}/{value.month}/{value.year}"
    if isinstance(value, dt.date):
        return f"{value.day}/{value.month}/{value.year}"
    if isinstance(value, dt.time):
        return f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    return str(value)


class FileSource:
    """Reads each plan source from `data_dir`: the file the plan names, or its twin with the other extension."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def path_for(self, source: Source) -> Path:
        """The source's file in the data folder, trying the other supported suffixes; a missing file says which were
        tried."""
        if not source.file:
            raise SourceFileError(f"Nguồn {source.id} ({source.name}) chưa ghi tên tệp (file) trong kế hoạch")
        named = self.data_dir / source.file
        candidates = [named, *(named.with_suffix(s) for s in SUPPORTED_SUFFIXES if s != named.suffix.lower())]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise MissingSourceFileError(
            f"Không tìm thấy tệp «{named.name}» (hoặc «{named.stem}.xlsx») của nguồn {source.id} "
            f"({source.name}) trong thư mục «{self.data_dir}»"
        )

    def read(self, source: Source) -> Table:
        """One source's rows from its CSV or XLSX file."""
        return read_table(self.path_for(source), source.id, source.sheet)


def write_sample(plan: Plan, out_dir: Path, seed: int = 2024, staff: int = 80) -> dict[str, Path]:
    """Writes the generated sample as the files a clerk would download: each source as CSV and as XLSX, plus
    `expected_rejects.json`. Returns the written paths keyed by file name."""
    sample = generate(plan, seed=seed, staff=staff)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for source in plan.sources:
        grid = sample.grids[source.id]
        csv_path = out_dir / Path(source.file or f"{source.id}.csv").with_suffix(".csv").name
        xlsx_path = csv_path.with_suffix(".xlsx")
        write_csv(csv_path, grid)
        write_xlsx(xlsx_path, grid, source.sheet or source.id)
        written[csv_path.name] = csv_path
        written[xlsx_path.name] = xlsx_path
    rejects_path = out_dir / "expected_rejects.json"
    rejects = {sid: {str(row): code for row, code in rows.items()} for sid, rows in sample.expected_rejects.items()}
    rejects_path.write_text(json.dumps(rejects, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written[rejects_path.name] = rejects_path
    return written
