"""Sheets state: spreadsheets, their sheets' grid properties and the cells users entered.

Cells keep what the user entered (a string, number, boolean or formula); rendering (FORMATTED_VALUE /
UNFORMATTED_VALUE / FORMULA) happens on read, in `emulator.sheets.cells`, as in Sheets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emulator import a1
from emulator.errors import bad_request
from emulator.fields import mask_paths
from emulator.sheets import datetimes

Entered = str | float | bool

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26


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



def new_sheet_properties(sheet_id: int, title: str, index: int, given: dict[str, Any] | None = None) -> dict[str, Any]:
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



def next_title(book: Spreadsheet) -> str:
    n = len(book.sheets) + 1
    while book.sheet_by_title(f"Sheet{n}"):
        n += 1
    return f"Sheet{n}"


def resolve(book: Spreadsheet, text: str) -> Area:
    """An A1 range (`Sheet1!A1:C`, `A:A`, a bare sheet name) as an Area; open ends run to the grid's edge."""
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


def grid_range(book: Spreadsheet, rng: dict[str, Any]) -> Area:
    """A request's GridRange as an Area, its open ends clipped to the sheet."""
    sheet = book.sheet_by_id(int(rng.get("sheetId", 0)))
    return Area(
        sheet,
        int(rng.get("startRowIndex", 0)),
        min(int(rng.get("endRowIndex", sheet.rows)), sheet.rows),
        int(rng.get("startColumnIndex", 0)),
        min(int(rng.get("endColumnIndex", sheet.cols)), sheet.cols),
        False,
    )


def apply_mask(
    target: dict[str, Any], source: dict[str, Any], fields: str, skip: frozenset[str] | set[str] = frozenset()) -> None:
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

