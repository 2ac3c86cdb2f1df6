"""Sheets state behind the HTTP layer (`responses.py`): every spreadsheet, under one lock, and the operations the
API offers on them. The work is done by modules named for their job:

- `grid.py`: spreadsheets, tabs, cells and ranges (the state);
- `cells.py`: what a written value becomes; `render.py`: how a cell is shown; `formula.py`, `datetimes.py`;
- `values.py`: the values family (get, update, append, clear) and CSV export/import;
- `batch.py`: batchUpdate's dispatcher from request name to handler, the handlers in `handlers/`.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from emulator.errors import GoogleError, not_found, unimplemented
from emulator.ids import file_id
from emulator.sheets import datetimes, render, values
from emulator.sheets.batch import apply_requests
from emulator.sheets.grid import Area, Cell, Sheet, Spreadsheet, new_sheet_properties, resolve


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
            sheets.append(Sheet(new_sheet_properties(sheet_id, gprops.get("title", f"Sheet{i + 1}"), i, gprops)))
        if not sheets:
            sheets.append(Sheet(new_sheet_properties(0, "Sheet1", 0)))
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

    # ------------------------------------------------------------------ values API

    def get_values(
        self, sid: str, text: str, major: str = "ROWS", option: str = "FORMATTED_VALUE", dates: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
        """values.get."""
        with self.lock:
            return values.get_values(self.require(sid), text, major, option, dates)

    def batch_get(
        self, sid: str, ranges: list[str], major: str, option: str, dates: str = "SERIAL_NUMBER"
    ) -> dict[str, Any]:
        """values.batchGet: each range as values.get reads it."""
        with self.lock:
            book = self.require(sid)
            found = [values.get_values(book, r, major, option, dates) for r in ranges]
            return {"spreadsheetId": sid, "valueRanges": found}

    def append_form_response(self, sid: str, title: str, moment: datetime, answers: list[str]) -> None:
        """A Forms submission as Google writes it: the timestamp a date-time value in the sheet's own zone."""
        with self.lock:
            book = self.require(sid)
            sheet = book.sheet_by_title(title)
            if sheet is None:
                return  # the clerk deleted or renamed the response tab: Google stops writing there too
            stamp = datetimes.serial_in(moment, str(book.properties.get("timeZone", "Etc/GMT")))
            quoted = "'" + title.replace("'", "''") + "'"
            result = values.append_values(book, f"{quoted}!A1", {"values": [[stamp, *answers]]}, "RAW")
            row = resolve(book, result["updates"]["updatedRange"]).r0
            sheet.cells[(row, 0)].number_format = "DATE_TIME"

    def update_values(
        self,
        sid: str,
        text: str,
        body: dict[str, Any],
        input_option: str,
        include: bool = False,
        render: str = "FORMATTED_VALUE",
    ) -> dict[str, Any]:
        """values.update."""
        with self.lock:
            return values.update_values(self.require(sid), text, body, input_option, include, render)

    def batch_update_values(self, sid: str, body: dict[str, Any]) -> dict[str, Any]:
        """values.batchUpdate: all ranges or none."""
        values.require_input_option(body)
        with self.lock:
            return values.batch_update_values(self.require(sid), body)

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
        """values.append."""
        with self.lock:
            return values.append_values(self.require(sid), text, body, input_option, insert_option, include, render)

    def clear_values(self, sid: str, text: str) -> dict[str, Any]:
        """values.clear."""
        with self.lock:
            return values.clear_values(self.require(sid), text)

    def batch_clear(self, sid: str, ranges: list[str]) -> dict[str, Any]:
        """values.batchClear: each range as values.clear clears it."""
        with self.lock:
            book = self.require(sid)
            cleared = [values.clear_values(book, r)["clearedRange"] for r in ranges]
        return {"spreadsheetId": sid, "clearedRanges": cleared}

    def export_csv(self, sid: str) -> bytes:
        """Drive's export of a spreadsheet to text/csv."""
        with self.lock:
            return values.export_csv(self.require(sid))

    def import_csv(self, sid: str, data: bytes) -> None:
        """A CSV uploaded to Drive with conversion to a spreadsheet."""
        with self.lock:
            values.import_csv(self.require(sid), data)

    # ------------------------------------------------------------------ spreadsheet resource

    def resource(self, sid: str, ranges: list[str] | None = None, grid_data: bool = False) -> dict[str, Any]:
        with self.lock:
            book = self.require(sid)
            sheets = []
            wanted: dict[int, list[Area]] = {}
            for text in ranges or []:
                area = resolve(book, text)
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
                    entry["data"] = [render.grid_data(book, area) for area in areas]
                sheets.append(entry)
            return {
                "spreadsheetId": book.id,
                "properties": copy.deepcopy(book.properties),
                "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
            }


    # ------------------------------------------------------------------ spreadsheets.batchUpdate

    def batch_update(self, sid: str, body: dict[str, Any]) -> dict[str, Any]:
        """spreadsheets.batchUpdate: every request applied (see `batch.py`), or none."""
        with self.lock:
            book = self.require(sid)
            saved = copy.deepcopy(book)
            try:
                replies = apply_requests(book, body.get("requests") or [], self._rng)
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

