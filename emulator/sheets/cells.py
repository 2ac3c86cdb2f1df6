"""What Sheets makes of a value written to a cell: a typed string parsed in the spreadsheet's locale (numbers,
percentages, booleans, formulas), a JSON value from a ValueRange, and a block of them written to an area."""

from __future__ import annotations

import re
from typing import Any

from emulator import a1
from emulator.errors import bad_request
from emulator.sheets.grid import Area, Cell, Entered, Spreadsheet

# Locales whose decimal separator is a comma (and thousands separator a dot), e.g. a Vietnamese school's vi_VN.
COMMA_DECIMAL_LOCALES = ("vi", "de", "fr", "es", "it", "pt", "ru", "id", "tr", "nl", "pl", "cs", "da", "sv", "nb", "fi")


def comma_decimal(locale: str) -> bool:
    return locale.split("_")[0].lower() in COMMA_DECIMAL_LOCALES


def parse_user_entered(text: str, comma: bool = False) -> tuple[Entered | None, str | None, str | None]:
    """What Sheets makes of a typed string: (value, formula, number format); ``comma`` for comma-decimal locales."""
    if text.startswith("="):
        return None, text, None
    if text.startswith("'"):
        return text[1:], None, None
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE", None, None
    group, point = (".", ",") if comma else (",", ".")
    pattern = rf"([+-]?)(\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d*)({re.escape(point)}\d+)?(%?)"
    number = re.fullmatch(pattern, stripped)
    if stripped and number and (number.group(2) or number.group(3)):
        fraction = (number.group(3) or "").replace(point, ".")
        value = float((number.group(1) + number.group(2).replace(group, "") + fraction) or "0")
        if number.group(4):
            return value / 100, None, "PERCENT"
        return value, None, "GROUPED" if group in number.group(2) else None
    return text, None, None


def entered_from_json(value: Any, input_option: str, comma: bool = False) -> Cell | None:
    """A JSON value from a ValueRange → the cell it writes (``None`` leaves the cell alone)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Cell(value=value)
    if isinstance(value, (int, float)):
        return Cell(value=float(value))
    text = str(value)
    if text == "":
        return Cell()
    if input_option == "RAW":
        return Cell(value=text)
    entered, formula, number_format = parse_user_entered(text, comma)
    return Cell(value=entered, formula=formula, number_format=number_format)


def write_area(book: Spreadsheet, area: Area, values: list[list[Any]], major: str, input_option: str) -> dict[str, Any]:
    grid = values
    if major == "COLUMNS":
        width = max((len(v) for v in values), default=0)
        grid = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
    height = len(grid)
    width = max((len(row) for row in grid), default=0)
    if not area.single_cell and (height > area.r1 - area.r0 or width > area.c1 - area.c0):
        beyond = (
            f"row [{area.r0 + height}]"
            if height > area.r1 - area.r0
            else f"column [{a1.column_letters(area.c0 + width - 1)}]"
        )
        raise bad_request(f"Requested writing within range [{area.label()}], but tried writing to {beyond}")
    if area.r0 + height > area.sheet.rows or area.c0 + width > area.sheet.cols:
        last = a1.format_range(
            area.sheet.title, area.r0 + height - 1, area.r0 + height, area.c0 + width - 1, area.c0 + width
        )
        raise bad_request(
            f"Range ({last}) exceeds grid limits. Max rows: {area.sheet.rows}, max columns: {area.sheet.cols}"
        )
    comma = comma_decimal(str(book.properties.get("locale", "en_US")))
    cells = 0
    for i, row in enumerate(grid):
        for j, raw in enumerate(row):
            cell = entered_from_json(raw, input_option, comma)
            if cell is None:
                continue
            cells += 1
            key = (area.r0 + i, area.c0 + j)
            old = area.sheet.cells.get(key)
            if old is not None:
                cell.format = old.format
                if (
                    cell.number_format is None
                    and old.number_format
                    and cell.value is not None
                    and not isinstance(cell.value, str)
                ):
                    cell.number_format = old.number_format
            area.sheet.cells[key] = cell
    result: dict[str, Any] = {"spreadsheetId": book.id}
    if height and width:
        result.update(
            updatedRange=a1.format_range(area.sheet.title, area.r0, area.r0 + height, area.c0, area.c0 + width),
            updatedRows=sum(1 for row in grid if any(v is not None for v in row)),
            updatedColumns=len({j for row in grid for j, v in enumerate(row) if v is not None}),
            updatedCells=cells,
        )
    else:
        result["updatedRange"] = area.label()
    return result
