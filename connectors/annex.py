"""The annex workbook sent with each report: every table of the report as a sheet, with real numbers.

The district re-adds the schools' figures in its own spreadsheets; Vietnamese-formatted text ("1.234",
"12,5%") would not sum, so counts become integers and ratios become fractions shown as percentages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.writing import written_whole
from thidua.text import neutralise

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# openpyxl is imported where a workbook is written: it takes seconds to import, and every CLI and flow-run process
# imports this module whether or not it writes an annex.

_COUNT = re.compile(r"^\d{1,3}(\.\d{3})*$")
_PERCENT = re.compile(r"^\d+(,\d+)?%$")
_SHEET_NAME = re.compile(r"^(Bảng \d+[a-z]?)\.")
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FLAGS_SHEET = "Cần xem xét"


def cell_value(text: str) -> str | int | float:
    """ "1.234" → 1234, "12,5%" → 0.125; everything else stays text (names, dates, "15 tháng"), neutralised so
    that a teacher's answer never becomes a live formula in the district's spreadsheet."""
    if _COUNT.match(text):
        return int(text.replace(".", ""))
    if _PERCENT.match(text):
        return float(text[:-1].replace(",", ".")) / 100
    return neutralise(text)


def _text(value: object) -> str:
    return neutralise(str(value))


def _sheet_name(caption: str, index: int, taken: set[str]) -> str:
    match = _SHEET_NAME.match(caption)
    name = _FORBIDDEN.sub(" ", match.group(1) if match else f"Bảng {index}")[:31]
    while name in taken:
        name = f"{name[:28]} {index}"
    taken.add(name)
    return name


def _write_grid(sheet: Worksheet, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
                total: Sequence[str] = ()) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    sheet.append([_text(title)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([_text(h) for h in headers])
    for row in rows:
        sheet.append([cell_value(str(v)) for v in row])
    if total:
        sheet.append([cell_value(str(v)) for v in total])
    last = sheet.max_row
    for row_cells in sheet.iter_rows(min_row=1, max_row=last):
        for cell in row_cells:
            if cell.data_type == "f":  # openpyxl reads any "=…" string as a formula; none may get through
                raise ValueError(f"annex cell {cell.coordinate} would be a formula")
            if cell.row == 1:
                continue
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"
            if cell.row == 2 or (total and cell.row == last):
                cell.font = Font(bold=True)
    for i, header in enumerate(headers, start=1):
        longest = max([len(str(header)), *(len(str(r[i - 1])) for r in rows if i - 1 < len(r))], default=8)
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    sheet.freeze_panes = "A3"


def write_annex(context: dict[str, Any], out: Path) -> Path:
    """One sheet per report table (named "Bảng 1", "Bảng 2a", …) and, for the evaluation, the flags."""
    from openpyxl import Workbook

    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "Thông tin"
    for label, key in (("Đơn vị", "school_name"), ("Báo cáo", "title"), ("Số", "number"), ("Ngày", "place_date"),
                       ("Hạn", "due_before")):
        cover.append([label, _text(context.get(key, ""))])
    cover.column_dimensions["A"].width = 12
    cover.column_dimensions["B"].width = 90
    taken = {cover.title}
    for index, table in enumerate(context.get("tables", []), start=1):
        sheet = workbook.create_sheet(_sheet_name(table["caption"], index, taken))
        _write_grid(sheet, table["caption"], table["headers"], table["rows"], table.get("total") or ())
    flags = context.get("flags") or []
    if flags:
        sheet = workbook.create_sheet(FLAGS_SHEET)
        _write_grid(sheet, "Các trường hợp cần Hội đồng Thi đua – Khen thưởng xem xét",
                    ["STT", "Điều kiện", "Họ và tên", "Tổ", "Nội dung", "Căn cứ"],
                    [[str(f["no"]), f.get("rule") or f["rule_id"], f["full_name"], f["team"], f["message"],
                      f["reference"]] for f in flags])
    with written_whole(out, "phụ lục") as partial:
        workbook.save(partial)
    return out
