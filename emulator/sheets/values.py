"""The values family on one spreadsheet (get, update, batchUpdate, append, clear) and the CSV a Drive export or
upload goes through. The model takes its lock and finds the spreadsheet; these only read and write its cells."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from emulator import a1
from emulator.errors import GoogleError, bad_request
from emulator.sheets.cells import write_area
from emulator.sheets.grid import Area, Cell, Sheet, Spreadsheet, resolve
from emulator.sheets.render import read_area


def get_values(book: Spreadsheet, text: str, major: str = "ROWS", option: str = "FORMATTED_VALUE",
               dates: str = "SERIAL_NUMBER") -> dict[str, Any]:
    """values.get: the range's ValueRange, trailing empty rows and cells left out as Sheets does."""
    return read_area(book, resolve(book, text), major, option, dates)


def update_values(book: Spreadsheet, text: str, body: dict[str, Any], input_option: str, include: bool = False,
                  render: str = "FORMATTED_VALUE") -> dict[str, Any]:
    """values.update: writes the body's values at the URL's range, which the body may repeat but not contradict."""
    if body.get("range") and not _same_range(book, body["range"], text):
        raise bad_request(
            f"Requested writing within range [{text}], but the request body's range is [{body['range']}]."
        )
    area = resolve(book, text)
    major = body.get("majorDimension", "ROWS")
    result = write_area(book, area, body.get("values") or [], major, input_option)
    if include and "updatedRange" in result:
        result["updatedData"] = read_area(book, resolve(book, result["updatedRange"]), major, render)
    return result


def require_input_option(body: dict[str, Any]) -> str:
    """The body's valueInputOption, which Google requires before it looks at anything else."""
    input_option = body.get("valueInputOption")
    if not input_option or input_option == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED", "valueInputOption")
    return str(input_option)


def batch_update_values(book: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    """values.batchUpdate: every range written, or none (a failing range undoes the ones before it)."""
    input_option = require_input_option(body)
    saved = copy.deepcopy(book.sheets)
    try:
        responses = [
            update_values(book, vr["range"], vr, input_option, bool(body.get("includeValuesInResponse")),
                          body.get("responseValueRenderOption", "FORMATTED_VALUE"))
            for vr in body.get("data") or []
        ]  # fmt: skip
    except GoogleError:
        book.sheets = saved
        raise
    touched = {r["updatedRange"].rpartition("!")[0] for r in responses if "updatedCells" in r}
    return {
        "spreadsheetId": book.id,
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len(touched),
        "responses": responses,
    }


def append_values(
    book: Spreadsheet,
    text: str,
    body: dict[str, Any],
    input_option: str,
    insert_option: str = "OVERWRITE",
    include: bool = False,
    render: str = "FORMATTED_VALUE",
) -> dict[str, Any]:
    """values.append: the values go below the table Google finds in the range, growing the sheet if needed."""
    area = resolve(book, text)
    sheet = area.sheet
    table = _find_table(sheet, area)
    result: dict[str, Any] = {"spreadsheetId": book.id}
    if table is not None:
        first_row, last_row, first_col, last_col = table
        result["tableRange"] = a1.format_range(
            sheet.title, first_row, last_row + 1, min(first_col, area.c0), last_col + 1
        )
        start = last_row + 1
    else:
        start = area.r0
    values = body.get("values") or []
    major = body.get("majorDimension", "ROWS")
    height = len(values) if major == "ROWS" else max((len(v) for v in values), default=0)
    width = max((len(v) for v in values), default=0) if major == "ROWS" else len(values)
    if insert_option == "INSERT_ROWS":
        _shift_rows(sheet, start, height)
    sheet.grow(start + height, area.c0 + width)
    target = Area(sheet, start, start + height, area.c0, area.c0 + width, False)
    updates = write_area(book, target, values, major, input_option)
    if include and "updatedRange" in updates:
        updates["updatedData"] = read_area(book, resolve(book, updates["updatedRange"]), major, render)
    result["updates"] = updates
    return result


def clear_values(book: Spreadsheet, text: str) -> dict[str, Any]:
    """values.clear: the values go, the formats stay."""
    area = resolve(book, text)
    for key in [k for k in area.sheet.cells if area.r0 <= k[0] < area.r1 and area.c0 <= k[1] < area.c1]:
        cell = area.sheet.cells[key]
        if cell.format:
            area.sheet.cells[key] = Cell(format=cell.format)
        else:
            del area.sheet.cells[key]
    return {"spreadsheetId": book.id, "clearedRange": area.label()}


def export_csv(book: Spreadsheet) -> bytes:
    """The first sheet as Drive exports it to text/csv: formatted values, CRLF, rows padded to one width."""
    sheet = book.sheets[0]
    data = read_area(book, Area(sheet, 0, sheet.rows, 0, sheet.cols, False), "ROWS", "FORMATTED_VALUE")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = data.get("values", [])
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        writer.writerow(row + [""] * (width - len(row)))
    return out.getvalue().encode("utf-8")


def import_csv(book: Spreadsheet, data: bytes) -> None:
    """A CSV uploaded with conversion: the first sheet replaced, each field entered as a user would type it."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = book.sheets[0]
    sheet.cells.clear()
    sheet.grow(len(rows), max((len(r) for r in rows), default=0))
    write_area(book, Area(sheet, 0, len(rows), 0, sheet.cols, True), [list(r) for r in rows], "ROWS", "USER_ENTERED")


def _shift_rows(sheet: Sheet, start: int, count: int) -> None:
    if count <= 0:
        return
    sheet.cells = {((r + count, c) if r >= start else (r, c)): cell for (r, c), cell in sheet.cells.items()}
    sheet.properties["gridProperties"]["rowCount"] = sheet.rows + count


def _find_table(sheet: Sheet, area: Area) -> tuple[int, int, int, int] | None:
    """Google's append target: the table (contiguous non-empty rows) found in the range.

    A single-cell range names the table that starts at that cell (none if the cell's row is empty there, so
    gspread's insert_row writes into the row it just inserted); a larger range finds its first non-empty row.
    Returns (first row, last row, first column, last column), or None when there is no table.
    """
    c0 = area.c0
    c1 = sheet.cols if area.single_cell else area.c1
    r1 = sheet.rows if area.single_cell else area.r1
    rows: dict[int, list[int]] = {}
    for (r, c), cell in sheet.cells.items():
        if c0 <= c < c1 and area.r0 <= r < r1 and not cell.empty():
            rows.setdefault(r, []).append(c)
    if not rows:
        return None
    first = area.r0 if area.single_cell else min(rows)
    if first not in rows:
        return None
    last = first
    while last + 1 in rows:
        last += 1
    columns = [c for r in range(first, last + 1) for c in rows[r]]
    return first, last, min(columns), max(columns)


def _same_range(book: Spreadsheet, body_range: str, url_range: str) -> bool:
    try:
        return resolve(book, body_range) == resolve(book, url_range)
    except GoogleError:
        return False
