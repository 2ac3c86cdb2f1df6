"""Sheets state: spreadsheets, their sheets' grid properties and the cells users entered.

Cells keep what the user entered (a string, number, boolean or formula); rendering
(FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA) happens on read, as in Sheets.
"""

from __future__ import annotations

import copy
import csv
import io
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator import a1
from emulator.errors import GoogleError, bad_request, not_found, unimplemented
from emulator.fields import mask_paths
from emulator.ids import file_id
from emulator.sheets import datetimes
from emulator.sheets.formula import Value, evaluate, format_number

Entered = str | float | bool

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26
STORED_ONLY_REQUESTS = {
    "updateBorders", "mergeCells", "unmergeCells", "autoResizeDimensions", "updateDimensionProperties",
    "setBasicFilter", "clearBasicFilter", "addConditionalFormatRule", "deleteConditionalFormatRule",
    "setDataValidation", "addProtectedRange", "deleteProtectedRange", "addBanding", "deleteBanding",
    "addNamedRange", "deleteNamedRange", "addFilterView", "deleteFilterView", "updateEmbeddedObjectPosition",
}  # fmt: skip


@dataclass
class Cell:
    value: Entered | None = None
    formula: str | None = None
    number_format: str | None = None
    format: dict[str, Any] = field(default_factory=dict)

    def empty(self) -> bool:
        return self.value is None and self.formula is None

    def date_kind(self) -> str | None:
        """DATE_TIME / DATE when the cell holds a date serial (a Forms timestamp, or a date-formatted cell)."""
        if self.number_format in datetimes.DATE_KINDS:
            return self.number_format
        kind = (self.format.get("numberFormat") or {}).get("type")
        return str(kind) if kind in datetimes.DATE_KINDS else None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, {})}


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    extras: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def rows(self) -> int:
        return int(self.properties["gridProperties"]["rowCount"])

    @property
    def cols(self) -> int:
        return int(self.properties["gridProperties"]["columnCount"])

    def grow(self, rows: int, cols: int) -> None:
        grid = self.properties["gridProperties"]
        grid["rowCount"] = max(self.rows, rows)
        grid["columnCount"] = max(self.cols, cols)

    def truncate(self) -> None:
        self.cells = {k: v for k, v in self.cells.items() if k[0] < self.rows and k[1] < self.cols}


@dataclass
class Spreadsheet:
    id: str
    properties: dict[str, Any]
    sheets: list[Sheet]

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        found = next((s for s in self.sheets if s.id == sheet_id), None)
        if found is None:
            raise bad_request(f"No grid with id: {sheet_id}")
        return found

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.properties["index"] = i


@dataclass(frozen=True)
class Area:
    sheet: Sheet
    r0: int
    r1: int
    c0: int
    c1: int
    single_cell: bool

    def label(self) -> str:
        return a1.format_range(self.sheet.title, self.r0, self.r1, self.c0, self.c1)


def _new_sheet_properties(sheet_id: int, title: str, index: int, given: dict[str, Any] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLS},
    }
    for key, value in (given or {}).items():
        if key == "gridProperties":
            props["gridProperties"].update(value)
        else:
            props[key] = copy.deepcopy(value)
    props["sheetId"] = sheet_id
    props["title"] = title
    props["index"] = index
    return props


# Locales whose decimal separator is a comma (and thousands separator a dot), e.g. a Vietnamese school's vi_VN.
COMMA_DECIMAL_LOCALES = ("vi", "de", "fr", "es", "it", "pt", "ru", "id", "tr", "nl", "pl", "cs", "da", "sv", "nb", "fi")


def comma_decimal(locale: str) -> bool:
    return locale.split("_")[0].lower() in COMMA_DECIMAL_LOCALES


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


def _parse_user_entered(text: str, comma: bool = False) -> tuple[Entered | None, str | None, str | None]:
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


def _entered_from_json(value: Any, input_option: str, comma: bool = False) -> Cell | None:
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
    entered, formula, number_format = _parse_user_entered(text, comma)
    return Cell(value=entered, formula=formula, number_format=number_format)


class SheetsModel:
    """All spreadsheets; every public method is atomic under the model's lock."""

    def __init__(self, on_create: Callable[[str, str, str], None], on_rename: Callable[[str, str], None]) -> None:
        self.books: dict[str, Spreadsheet] = {}
        self.lock = threading.RLock()
        self._on_create = on_create
        self._on_rename = on_rename
        self._rng = random.Random(1)

    # ------------------------------------------------------------------ lifecycle

    def create(self, body: dict[str, Any], owner: str, sid: str | None = None, register: bool = True) -> Spreadsheet:
        props = dict(body.get("properties") or {})
        props.setdefault("title", "Untitled spreadsheet")
        props.setdefault("locale", "en_US")
        props.setdefault("autoRecalc", "ON_CHANGE")
        props.setdefault("timeZone", "Etc/GMT")
        props.setdefault(
            "defaultFormat",
            {
                "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                "verticalAlignment": "BOTTOM",
                "wrapStrategy": "OVERFLOW_CELL",
                "textFormat": {"fontFamily": "arial,sans,sans-serif", "fontSize": 10},
            },
        )  # fmt: skip
        sheets: list[Sheet] = []
        for i, given in enumerate(body.get("sheets") or []):
            if given.get("data"):
                raise unimplemented("sheets.spreadsheets.create with grid data")
            gprops = given.get("properties") or {}
            sheet_id = int(gprops.get("sheetId", 0 if i == 0 else self._rng.randrange(1, 2**31)))
            sheets.append(Sheet(_new_sheet_properties(sheet_id, gprops.get("title", f"Sheet{i + 1}"), i, gprops)))
        if not sheets:
            sheets.append(Sheet(_new_sheet_properties(0, "Sheet1", 0)))
        book = Spreadsheet(sid or file_id(), props, sheets)
        with self.lock:
            self.books[book.id] = book
        if register:
            self._on_create(book.id, props["title"], owner)
        return book

    def require(self, sid: str) -> Spreadsheet:
        with self.lock:
            book = self.books.get(sid)
        if book is None:
            raise not_found("Requested entity was not found.")
        return book

    def copy(self, source: str, target: str, title: str) -> None:
        with self.lock:
            book = copy.deepcopy(self.require(source))
            book.id = target
            book.properties["title"] = title
            self.books[target] = book

    def delete(self, sid: str) -> None:
        with self.lock:
            self.books.pop(sid, None)

    def rename(self, sid: str, title: str) -> None:
        with self.lock:
            self.require(sid).properties["title"] = title

    # ------------------------------------------------------------------ rendering

    def _resolve(self, book: Spreadsheet, text: str) -> Area:
        try:
            parsed = a1.parse(text, [s.title for s in book.sheets])
        except a1.A1Error:
            raise bad_request(f"Unable to parse range: {text}") from None
        if parsed.sheet is None:
            sheet = book.sheets[0]
        else:
            found = book.sheet_by_title(parsed.sheet)
            if found is None:
                raise bad_request(f"Unable to parse range: {text}")
            sheet = found
        r0 = parsed.start_row or 0
        c0 = parsed.start_col or 0
        r1 = parsed.end_row if parsed.end_row is not None else sheet.rows
        c1 = parsed.end_col if parsed.end_col is not None else sheet.cols
        single = parsed.end_row == (parsed.start_row or 0) + 1 and parsed.end_col == (parsed.start_col or 0) + 1
        return Area(sheet, r0, r1, c0, c1, single)

    def _value(self, book: Spreadsheet, sheet: Sheet, row: int, col: int, depth: int = 0) -> Value:
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
            return self._value(book, target, r, c, depth + 1)  # type: ignore[arg-type]

        def many(title: str | None, r0: int, r1: int, c0: int, c1: int) -> list[Value]:
            target = sheet if title is None else book.sheet_by_title(title)
            if target is None:
                raise_ref()
            return [self._value(book, target, r, c, depth + 1) for r in range(r0, r1) for c in range(c0, c1)]  # type: ignore[arg-type]

        return evaluate(cell.formula, one, many)

    def _render(
        self, book: Spreadsheet, sheet: Sheet, row: int, col: int, option: str, dates: str = "SERIAL_NUMBER"
    ) -> Any:
        cell = sheet.cells.get((row, col))
        if cell is None or cell.empty():
            return ""
        if option == "FORMULA" and cell.formula is not None:
            return cell.formula
        value = self._value(book, sheet, row, col)
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

    def _read(
        self, book: Spreadsheet, area: Area, major: str, option: str, dates: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
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
            [self._render(book, area.sheet, r, c, option, dates) for c in range(area.c0, last_col)]
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

    # ------------------------------------------------------------------ values API

    def get_values(
        self, sid: str, text: str, major: str = "ROWS", option: str = "FORMATTED_VALUE", dates: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            return self._read(book, self._resolve(book, text), major, option, dates)

    def batch_get(
        self, sid: str, ranges: list[str], major: str, option: str, dates: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
        with self.lock:
            values = [self.get_values(sid, r, major, option, dates) for r in ranges]
            return {"spreadsheetId": sid, "valueRanges": values}

    def append_form_response(self, sid: str, title: str, moment: datetime, answers: list[str]) -> None:
        """A Forms submission as Google writes it: the timestamp a date-time value in the sheet's own zone."""
        with self.lock:
            book = self.require(sid)
            sheet = book.sheet_by_title(title)
            if sheet is None:
                return  # the clerk deleted or renamed the response tab: Google stops writing there too
            stamp = datetimes.serial_in(moment, str(book.properties.get("timeZone", "Etc/GMT")))
            quoted = "'" + title.replace("'", "''") + "'"
            result = self.append_values(sid, f"{quoted}!A1", {"values": [[stamp, *answers]]}, "RAW")
            row = self._resolve(book, result["updates"]["updatedRange"]).r0
            sheet.cells[(row, 0)].number_format = "DATE_TIME"

    def _write(
        self, book: Spreadsheet, area: Area, values: list[list[Any]], major: str, input_option: str
    ) -> dict[str, Any]:
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
                cell = _entered_from_json(raw, input_option, comma)
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

    def update_values(
        self,
        sid: str,
        text: str,
        body: dict[str, Any],
        input_option: str,
        include: bool = False,
        render: str = "FORMATTED_VALUE",
    ) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            if body.get("range") and not _same_range(book, body["range"], text, self):
                raise bad_request(
                    f"Requested writing within range [{text}], but the request body's range is [{body['range']}]."
                )
            area = self._resolve(book, text)
            major = body.get("majorDimension", "ROWS")
            result = self._write(book, area, body.get("values") or [], major, input_option)
            if include and "updatedRange" in result:
                result["updatedData"] = self._read(book, self._resolve(book, result["updatedRange"]), major, render)
            return result

    def batch_update_values(self, sid: str, body: dict[str, Any]) -> dict[str, Any]:
        input_option = body.get("valueInputOption")
        if not input_option or input_option == "INPUT_VALUE_OPTION_UNSPECIFIED":
            raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED", "valueInputOption")
        with self.lock:
            book = self.require(sid)
            saved = copy.deepcopy(book.sheets)
            try:
                responses = [
                    self.update_values(sid, vr["range"], vr, input_option, bool(body.get("includeValuesInResponse")),
                                       body.get("responseValueRenderOption", "FORMATTED_VALUE"))
                    for vr in body.get("data") or []
                ]  # fmt: skip
            except GoogleError:
                book.sheets = saved
                raise
        touched = {r["updatedRange"].rpartition("!")[0] for r in responses if "updatedCells" in r}
        return {
            "spreadsheetId": sid,
            "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
            "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
            "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
            "totalUpdatedSheets": len(touched),
            "responses": responses,
        }

    def append_values(
        self,
        sid: str,
        text: str,
        body: dict[str, Any],
        input_option: str,
        insert_option: str = "OVERWRITE",
        include: bool = False,
        render: str = "FORMATTED_VALUE",
    ) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            area = self._resolve(book, text)
            sheet = area.sheet
            table = _find_table(sheet, area)
            result: dict[str, Any] = {"spreadsheetId": sid}
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
                self._shift_rows(sheet, start, height)
            sheet.grow(start + height, area.c0 + width)
            target = Area(sheet, start, start + height, area.c0, area.c0 + width, False)
            updates = self._write(book, target, values, major, input_option)
            if include and "updatedRange" in updates:
                updates["updatedData"] = self._read(book, self._resolve(book, updates["updatedRange"]), major, render)
            result["updates"] = updates
            return result

    def _shift_rows(self, sheet: Sheet, start: int, count: int) -> None:
        if count <= 0:
            return
        sheet.cells = {((r + count, c) if r >= start else (r, c)): cell for (r, c), cell in sheet.cells.items()}
        sheet.properties["gridProperties"]["rowCount"] = sheet.rows + count

    def clear_values(self, sid: str, text: str) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            area = self._resolve(book, text)
            for key in [k for k in area.sheet.cells if area.r0 <= k[0] < area.r1 and area.c0 <= k[1] < area.c1]:
                cell = area.sheet.cells[key]
                if cell.format:
                    area.sheet.cells[key] = Cell(format=cell.format)
                else:
                    del area.sheet.cells[key]
            return {"spreadsheetId": sid, "clearedRange": area.label()}

    def batch_clear(self, sid: str, ranges: list[str]) -> dict[str, Any]:
        with self.lock:
            cleared = [self.clear_values(sid, r)["clearedRange"] for r in ranges]
        return {"spreadsheetId": sid, "clearedRanges": cleared}

    def export_csv(self, sid: str) -> bytes:
        with self.lock:
            book = self.require(sid)
            sheet = book.sheets[0]
            data = self._read(book, Area(sheet, 0, sheet.rows, 0, sheet.cols, False), "ROWS", "FORMATTED_VALUE")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        rows = data.get("values", [])
        width = max((len(r) for r in rows), default=0)
        for row in rows:
            writer.writerow(row + [""] * (width - len(row)))
        return out.getvalue().encode("utf-8")

    def import_csv(self, sid: str, data: bytes) -> None:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        with self.lock:
            book = self.require(sid)
            sheet = book.sheets[0]
            sheet.cells.clear()
            sheet.grow(len(rows), max((len(r) for r in rows), default=0))
            self._write(
                book, Area(sheet, 0, len(rows), 0, sheet.cols, True), [list(r) for r in rows], "ROWS", "USER_ENTERED"
            )

    # ------------------------------------------------------------------ spreadsheet resource

    def resource(self, sid: str, ranges: list[str] | None = None, grid_data: bool = False) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            sheets = []
            wanted: dict[int, list[Area]] = {}
            for text in ranges or []:
                area = self._resolve(book, text)
                wanted.setdefault(area.sheet.id, []).append(area)
            for sheet in book.sheets:
                if ranges and sheet.id not in wanted:
                    continue
                entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
                for extra in sheet.extras:
                    if "merges" in extra:
                        entry.setdefault("merges", []).append(extra["merges"])
                if grid_data:
                    areas = wanted.get(sheet.id) or [Area(sheet, 0, sheet.rows, 0, sheet.cols, False)]
                    entry["data"] = [self._grid_data(book, area) for area in areas]
                sheets.append(entry)
            return {
                "spreadsheetId": book.id,
                "properties": copy.deepcopy(book.properties),
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
            }

    def _grid_data(self, book: Spreadsheet, area: Area) -> dict[str, Any]:
        used = [k for k, c in area.sheet.cells.items() if area.r0 <= k[0] < area.r1 and area.c0 <= k[1] < area.c1]
        rows = []
        if used:
            for r in range(area.r0, max(k[0] for k in used) + 1):
                values = []
                last = max((k[1] for k in used if k[0] == r), default=area.c0 - 1)
                for c in range(area.c0, last + 1):
                    values.append(self._cell_data(book, area.sheet, r, c))
                rows.append({"values": values} if values else {})
        return {"startRow": area.r0, "startColumn": area.c0, "rowData": rows}

    def _cell_data(self, book: Spreadsheet, sheet: Sheet, r: int, c: int) -> dict[str, Any]:
        cell = sheet.cells.get((r, c))
        if cell is None:
            return {}
        out: dict[str, Any] = {}
        if cell.format:
            out["userEnteredFormat"] = copy.deepcopy(cell.format)
        if cell.empty():
            return out
        out["userEnteredValue"] = {"formulaValue": cell.formula} if cell.formula is not None else _extended(cell.value)
        effective = self._value(book, sheet, r, c)
        if effective is not None:
            if cell.formula is not None and isinstance(effective, str) and effective.startswith("#"):
                out["effectiveValue"] = {"errorValue": {"type": "ERROR", "message": effective}}
            else:
                out["effectiveValue"] = _extended(effective)
        out["formattedValue"] = self._render(book, sheet, r, c, "FORMATTED_VALUE")
        return out

    # ------------------------------------------------------------------ spreadsheets.batchUpdate

    def batch_update(self, sid: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            saved = copy.deepcopy(book)
            replies: list[dict[str, Any]] = []
            try:
                for i, request in enumerate(body.get("requests") or []):
                    if len(request) != 1:
                        raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
                    kind, args = next(iter(request.items()))
                    replies.append(self._apply(book, i, kind, args or {}))
            except GoogleError:
                self.books[sid] = saved
                raise
            result: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
            if body.get("includeSpreadsheetInResponse"):
                result["updatedSpreadsheet"] = self.resource(
                    sid, body.get("responseRanges"), bool(body.get("responseIncludeGridData"))
                )
        if saved.properties.get("title") != book.properties.get("title"):
            self._on_rename(sid, str(book.properties["title"]))
        return result

    def _apply(self, book: Spreadsheet, i: int, kind: str, args: dict[str, Any]) -> dict[str, Any]:
        where = f"Invalid requests[{i}].{kind}"
        if kind == "addSheet":
            props = dict(args.get("properties") or {})
            sheet_id = int(props.get("sheetId", self._rng.randrange(1, 2**31)))
            if any(s.id == sheet_id for s in book.sheets):
                raise bad_request(f"{where}: Sheet with id {sheet_id} already exists.")
            title = props.get("title") or _next_title(book)
            if book.sheet_by_title(title):
                raise bad_request(
                    f'{where}: A sheet with the name "{title}" already exists. Please enter another name.'
                )
            index = int(props.get("index", len(book.sheets)))
            sheet = Sheet(_new_sheet_properties(sheet_id, title, index, props))
            book.sheets.insert(min(index, len(book.sheets)), sheet)
            book.reindex()
            return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}
        if kind == "deleteSheet":
            sheet = book.sheet_by_id(int(args.get("sheetId", 0)))
            if len(book.sheets) == 1:
                raise bad_request(f"{where}: You can't remove all the sheets in a document.")
            book.sheets.remove(sheet)
            book.reindex()
            return {}
        if kind == "duplicateSheet":
            source = book.sheet_by_id(int(args.get("sourceSheetId", 0)))
            new = copy.deepcopy(source)
            new.properties["sheetId"] = int(args.get("newSheetId", self._rng.randrange(1, 2**31)))
            new.properties["title"] = args.get("newSheetName") or f"Copy of {source.title}"
            if book.sheet_by_title(new.title):
                raise bad_request(
                    f'{where}: A sheet with the name "{new.title}" already exists. Please enter another name.'
                )
            book.sheets.insert(int(args.get("insertSheetIndex", len(book.sheets))), new)
            book.reindex()
            return {"duplicateSheet": {"properties": copy.deepcopy(new.properties)}}
        if kind == "updateSheetProperties":
            props = args.get("properties") or {}
            sheet = book.sheet_by_id(int(props.get("sheetId", 0)))
            fields = args.get("fields")
            if not fields:
                raise bad_request(f"{where}: At least one field must be updated, but 'fields' is empty.")
            new_title = props.get("title")
            if (
                new_title
                and ("title" in mask_paths(fields) or fields == "*")
                and new_title != sheet.title
                and book.sheet_by_title(new_title)
            ):
                raise bad_request(
                    f'{where}: A sheet with the name "{new_title}" already exists. Please enter another name.'
                )
            _apply_mask(sheet.properties, props, fields, skip={"sheetId"})
            if "index" in props and ("index" in mask_paths(fields) or fields == "*"):
                book.sheets.remove(sheet)
                book.sheets.insert(min(int(props["index"]), len(book.sheets)), sheet)
                book.reindex()
            sheet.truncate()
            return {}
        if kind == "updateSpreadsheetProperties":
            fields = args.get("fields")
            if not fields:
                raise bad_request(f"{where}: At least one field must be updated, but 'fields' is empty.")
            _apply_mask(book.properties, args.get("properties") or {}, fields)
            return {}
        if kind == "appendDimension":
            sheet = book.sheet_by_id(int(args.get("sheetId", 0)))
            length = int(args.get("length", 0))
            if length <= 0:
                raise bad_request(f"{where}: length must be positive.")
            grid = sheet.properties["gridProperties"]
            key = "rowCount" if args.get("dimension") == "ROWS" else "columnCount"
            grid[key] = int(grid[key]) + length
            return {}
        if kind in ("insertDimension", "deleteDimension"):
            rng = args.get("range") or {}
            sheet = book.sheet_by_id(int(rng.get("sheetId", 0)))
            start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
            if end <= start:
                raise bad_request(f"{where}: range must have endIndex greater than startIndex.")
            rows = rng.get("dimension") == "ROWS"
            axis = 0 if rows else 1
            count = end - start
            grid = sheet.properties["gridProperties"]
            key = "rowCount" if rows else "columnCount"
            moved: dict[tuple[int, int], Cell] = {}
            for pos, cell in sheet.cells.items():
                at = pos[axis]
                if kind == "insertDimension":
                    at = at + count if at >= start else at
                else:
                    if start <= at < end:
                        continue
                    at = at - count if at >= end else at
                moved[(at, pos[1]) if rows else (pos[0], at)] = cell
            sheet.cells = moved
            grid[key] = int(grid[key]) + (count if kind == "insertDimension" else -count)
            if grid[key] <= 0:
                raise bad_request(f"{where}: You can't delete all the rows on the sheet.")
            return {}
        if kind == "repeatCell":
            area = self._grid_range(book, args.get("range") or {})
            cell_data = args.get("cell") or {}
            fields = args.get("fields") or ""
            for r in range(area.r0, area.r1):
                for c in range(area.c0, area.c1):
                    self._set_cell_data(area.sheet, r, c, cell_data, fields)
            return {}
        if kind == "updateCells":
            fields = args.get("fields") or ""
            if "start" in args:
                start = args["start"]
                sheet = book.sheet_by_id(int(start.get("sheetId", 0)))
                r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
            else:
                area = self._grid_range(book, args.get("range") or {})
                sheet, r0, c0 = area.sheet, area.r0, area.c0
            for i_row, row in enumerate(args.get("rows") or []):
                for j, cell_data in enumerate(row.get("values") or []):
                    if r0 + i_row >= sheet.rows or c0 + j >= sheet.cols:
                        raise bad_request(
                            f"{where}: Range exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}"
                        )
                    self._set_cell_data(sheet, r0 + i_row, c0 + j, cell_data, fields)
            return {}
        if kind in STORED_ONLY_REQUESTS:
            found_id = _find_sheet_id(args)
            target = book.sheets[0] if found_id is None else book.sheet_by_id(found_id)
            target.extras.append({kind: copy.deepcopy(args)})
            return {}
        raise unimplemented(f"sheets.spreadsheets.batchUpdate request kind '{kind}'")

    def _grid_range(self, book: Spreadsheet, rng: dict[str, Any]) -> Area:
        sheet = book.sheet_by_id(int(rng.get("sheetId", 0)))
        return Area(
            sheet,
            int(rng.get("startRowIndex", 0)),
            min(int(rng.get("endRowIndex", sheet.rows)), sheet.rows),
            int(rng.get("startColumnIndex", 0)),
            min(int(rng.get("endColumnIndex", sheet.cols)), sheet.cols),
            False,
        )

    def _set_cell_data(self, sheet: Sheet, r: int, c: int, data: dict[str, Any], fields: str) -> None:
        cell = sheet.cells.setdefault((r, c), Cell())
        everything = fields.strip() == "*"
        for top in mask_paths(fields):
            if top == "*" or top.startswith("userEnteredFormat"):
                fmt = data.get("userEnteredFormat") or {}
                if top in ("*", "userEnteredFormat"):
                    cell.format = copy.deepcopy(fmt)
                else:
                    _apply_mask(cell.format, fmt, top[len("userEnteredFormat.") :])
            if top == "*" or top == "userEnteredValue":
                entered = data.get("userEnteredValue")
                cell.value, cell.formula, cell.number_format = None, None, None
                if entered:
                    if "formulaValue" in entered:
                        cell.formula = entered["formulaValue"]
                    elif "numberValue" in entered:
                        cell.value = float(entered["numberValue"])
                    elif "boolValue" in entered:
                        cell.value = bool(entered["boolValue"])
                    elif "stringValue" in entered:
                        cell.value = entered["stringValue"]
                    elif "errorValue" in entered:
                        raise bad_request("userEnteredValue.errorValue cannot be written.")
            if not everything and top not in ("userEnteredValue",) and not top.startswith("userEnteredFormat"):
                if top in ("note", "hyperlink", "textFormatRuns", "dataValidation", "pivotTable"):
                    continue
                raise bad_request(f"Invalid field mask: {top}")
        if cell.empty() and not cell.format:
            sheet.cells.pop((r, c), None)

    # ------------------------------------------------------------------ snapshot

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "spreadsheets": [
                    {
                        "id": b.id,
                        "properties": b.properties,
                        "sheets": [
                            {"properties": s.properties, "extras": s.extras,
                             "cells": [[r, c, cell.to_json()] for (r, c), cell in sorted(s.cells.items())]}
                            for s in b.sheets
                        ],
                    }
                    for b in self.books.values()
                ]
            }  # fmt: skip

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.books = {}
            for raw in data.get("spreadsheets", []):
                sheets = [
                    Sheet(s["properties"], {(r, c): Cell(**cell) for r, c, cell in s["cells"]}, s.get("extras", []))
                    for s in raw["sheets"]
                ]
                self.books[raw["id"]] = Spreadsheet(raw["id"], raw["properties"], sheets)


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


def raise_ref() -> None:
    from emulator.sheets.formula import FormulaError

    raise FormulaError("#REF!")


def _extended(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, float):
        return {"numberValue": int(value) if value.is_integer() else value}
    return {"stringValue": "" if value is None else str(value)}


def _next_title(book: Spreadsheet) -> str:
    n = len(book.sheets) + 1
    while book.sheet_by_title(f"Sheet{n}"):
        n += 1
    return f"Sheet{n}"


def _find_sheet_id(args: Any) -> int | None:
    if isinstance(args, dict):
        if "sheetId" in args:
            return int(args["sheetId"])
        for value in args.values():
            found = _find_sheet_id(value)
            if found is not None:
                return found
    if isinstance(args, list):
        for value in args:
            found = _find_sheet_id(value)
            if found is not None:
                return found
    return None


def _apply_mask(
    target: dict[str, Any], source: dict[str, Any], fields: str, skip: frozenset[str] | set[str] = frozenset()
) -> None:
    if fields.strip() == "*":
        for key, value in source.items():
            if key not in skip:
                target[key] = copy.deepcopy(value)
        return
    for path in mask_paths(fields):
        parts = path.split(".")
        src: Any = source
        dst = target
        for part in parts[:-1]:
            src = src.get(part, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(part, {})
        last = parts[-1]
        if isinstance(src, dict) and last in src:
            dst[last] = copy.deepcopy(src[last])
        else:
            dst.pop(last, None)


def _same_range(book: Spreadsheet, body_range: str, url_range: str, model: SheetsModel) -> bool:
    try:
        return model._resolve(book, body_range) == model._resolve(book, url_range)
    except GoogleError:
        return False
