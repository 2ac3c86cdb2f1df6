"""batchUpdate requests on rows and columns: append, insert and delete dimensions, moving the cells along."""

from __future__ import annotations

from typing import Any

from emulator.errors import bad_request
from emulator.sheets.grid import Cell
from emulator.sheets.handlers.base import Handler, Request


def append_dimension(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Adds empty rows or columns at the end of a tab."""
    book, where = request.book, request.where
    sheet = book.sheet_by_id(int(args.get("sheetId", 0)))
    length = int(args.get("length", 0))
    if length <= 0:
        raise bad_request(f"{where}: length must be positive.")
    grid = sheet.properties["gridProperties"]
    key = "rowCount" if args.get("dimension") == "ROWS" else "columnCount"
    grid[key] = int(grid[key]) + length
    return {}


def insert_or_delete_dimension(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts or deletes a span of rows or columns, shifting the cells after it; a tab keeps at least one row."""
    book, where = request.book, request.where
    kind = request.kind
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


HANDLERS: dict[str, Handler] = {
    "appendDimension": append_dimension,
    "insertDimension": insert_or_delete_dimension,
    "deleteDimension": insert_or_delete_dimension,
}
