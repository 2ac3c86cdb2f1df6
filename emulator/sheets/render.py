"""How Sheets shows what a cell holds: formulas evaluated, numbers and dates in the spreadsheet's locale, per
render option (FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA), as a ValueRange or as GridData."""

from __future__ import annotations

import copy
from typing import Any

from emulator import a1
from emulator.sheets import datetimes
from emulator.sheets.cells import comma_decimal
from emulator.sheets.formula import Value, evaluate, format_number
from emulator.sheets.grid import Area, Sheet, Spreadsheet

# ErrorValue.type by the text a cell in error shows (the enumDescriptions in sheets.v4's discovery document).
ERROR_TYPES = {"#ERROR!": "ERROR", "#NULL!": "NULL_VALUE", "#DIV/0!": "DIVIDE_BY_ZERO", "#VALUE!": "VALUE",
               "#REF!": "REF", "#NAME?": "NAME", "#NUM!": "NUM", "#N/A": "N_A"}


def cell_value(book: Spreadsheet, sheet: Sheet, row: int, col: int, depth: int = 0) -> Value:
    cell = sheet.cells.get((row, col))
    if cell is None:
        return None
    if cell.formula is None:
        return cell.value
    if depth > 50:
        return "#REF!"

    def one(title: str | None, r: int, c: int) -> Value:
        target = sheet if title is None else book.sheet_by_title(title)
        if target is None:
            raise_ref()
        return cell_value(book, target, r, c, depth + 1)  # type: ignore[arg-type]

    def many(title: str | None, r0: int, r1: int, c0: int, c1: int) -> list[Value]:
        target = sheet if title is None else book.sheet_by_title(title)
        if target is None:
            raise_ref()
        return [cell_value(book, target, r, c, depth + 1) for r in range(r0, r1) for c in range(c0, c1)]  # type: ignore[arg-type]

    return evaluate(cell.formula, one, many)


def render_cell(book: Spreadsheet, sheet: Sheet, row: int, col: int, option: str, dates: str = "SERIAL_NUMBER") -> Any:
    cell = sheet.cells.get((row, col))
    if cell is None or cell.empty():
        return ""
    if option == "FORMULA" and cell.formula is not None:
        return cell.formula
    value = cell_value(book, sheet, row, col)
    kind = cell.date_kind()
    if kind and isinstance(value, float) and (option == "FORMATTED_VALUE" or dates == "FORMATTED_STRING"):
        return datetimes.render(value, str(book.properties.get("locale", "en_US")), kind)
    if option in ("UNFORMATTED_VALUE", "FORMULA"):
        if isinstance(value, float):
            return int(value) if value.is_integer() else value
        return "" if value is None else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        comma = comma_decimal(str(book.properties.get("locale", "en_US")))
        if cell.number_format == "PERCENT":
            return _localized(format_number(value * 100), comma) + "%"
        return _localized(format_number(value), comma, cell.number_format == "GROUPED")
    return "" if value is None else value


def read_area(book: Spreadsheet, area: Area, major: str, option: str, dates: str = "SERIAL_NUMBER") -> dict[str, Any]:
    r1, c1 = min(area.r1, area.sheet.rows), min(area.c1, area.sheet.cols)
    used_rows = [
        r
        for (r, c), cell in area.sheet.cells.items()
        if area.c0 <= c < c1 and area.r0 <= r < r1 and not cell.empty()
    ]
    used_cols = [
        c
        for (r, c), cell in area.sheet.cells.items()
        if area.c0 <= c < c1 and area.r0 <= r < r1 and not cell.empty()
    ]
    body: dict[str, Any] = {
        "range": a1.format_range(area.sheet.title, area.r0, max(r1, area.r0 + 1), area.c0, max(c1, area.c0 + 1)),
        "majorDimension": major,
    }
    if not used_rows:
        return body
    last_row, last_col = max(used_rows) + 1, max(used_cols) + 1
    grid = [
        [render_cell(book, area.sheet, r, c, option, dates) for c in range(area.c0, last_col)]
        for r in range(area.r0, last_row)
    ]
    if major == "COLUMNS":
        grid = [list(col) for col in zip(*grid, strict=False)] if grid else []
    rows = []
    for line in grid:
        while line and line[-1] == "":
            line.pop()
        rows.append(line)
    while rows and not rows[-1]:
        rows.pop()
    if rows:
        body["values"] = rows
    return body



def grid_data(book: Spreadsheet, area: Area) -> dict[str, Any]:
    used = [k for k, c in area.sheet.cells.items() if area.r0 <= k[0] < area.r1 and area.c0 <= k[1] < area.c1]
    rows = []
    if used:
        for r in range(area.r0, max(k[0] for k in used) + 1):
            values = []
            last = max((k[1] for k in used if k[0] == r), default=area.c0 - 1)
            for c in range(area.c0, last + 1):
                values.append(cell_data(book, area.sheet, r, c))
            rows.append({"values": values} if values else {})
    return {"startRow": area.r0, "startColumn": area.c0, "rowData": rows}


def cell_data(book: Spreadsheet, sheet: Sheet, r: int, c: int) -> dict[str, Any]:
    cell = sheet.cells.get((r, c))
    if cell is None:
        return {}
    out: dict[str, Any] = {}
    if cell.format:
        out["userEnteredFormat"] = copy.deepcopy(cell.format)
    if cell.empty():
        return out
    out["userEnteredValue"] = {"formulaValue": cell.formula} if cell.formula is not None else extended(cell.value)
    effective = cell_value(book, sheet, r, c)
    if effective is not None:
        if cell.formula is not None and isinstance(effective, str) and effective.startswith("#"):
            out["effectiveValue"] = {"errorValue": {"type": ERROR_TYPES.get(effective, "ERROR"), "message": effective}}
        else:
            out["effectiveValue"] = extended(effective)
    out["formattedValue"] = render_cell(book, sheet, r, c, "FORMATTED_VALUE")
    return out


def _localized(number: str, comma: bool, grouped: bool = False) -> str:
    """``1234.5`` as the locale shows it, with thousands separators when the user typed them."""
    whole, dot, fraction = number.partition(".")
    if grouped and "E" not in number:
        sign = "-" if whole.startswith("-") else ""
        digits = whole.lstrip("-")
        whole = sign + f"{int(digits):,}" if digits.isdigit() else whole
    if comma:
        return whole.replace(",", ".") + ("," + fraction if dot else "")
    return whole + (dot + fraction)


def raise_ref() -> None:
    from emulator.sheets.formula import FormulaError

    raise FormulaError("#REF!")


def extended(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, float):
        return {"numberValue": int(value) if value.is_integer() else value}
    return {"stringValue": "" if value is None else str(value)}
