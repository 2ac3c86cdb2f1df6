"""batchUpdate requests on cells (repeatCell, updateCells: values and formats under a field mask), and the
formatting requests the emulator stores on the tab without acting on them (borders, merges, filters…)."""

from __future__ import annotations

import copy
from typing import Any

from emulator.errors import bad_request
from emulator.fields import mask_paths
from emulator.sheets.grid import Cell, Sheet, apply_mask, grid_range
from emulator.sheets.handlers.base import Handler, Request

STORED_ONLY_REQUESTS = {
    "updateBorders", "mergeCells", "unmergeCells", "autoResizeDimensions", "updateDimensionProperties",
    "setBasicFilter", "clearBasicFilter", "addConditionalFormatRule", "deleteConditionalFormatRule",
    "setDataValidation", "addProtectedRange", "deleteProtectedRange", "addBanding", "deleteBanding",
    "addNamedRange", "deleteNamedRange", "addFilterView", "deleteFilterView", "updateEmbeddedObjectPosition",
}  # fmt: skip


def repeat_cell(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Writes one CellData to every cell of a range, under the request's field mask."""
    book = request.book
    area = grid_range(book, args.get("range") or {})
    cell_data = args.get("cell") or {}
    fields = args.get("fields") or ""
    for r in range(area.r0, area.r1):
        for c in range(area.c0, area.c1):
            _set_cell_data(area.sheet, r, c, cell_data, fields)
    return {}


def update_cells(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Writes rows of CellData from a start cell or into a range, under the field mask; none may fall off the grid."""
    book, where = request.book, request.where
    fields = args.get("fields") or ""
    if "start" in args:
        start = args["start"]
        sheet = book.sheet_by_id(int(start.get("sheetId", 0)))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
    else:
        area = grid_range(book, args.get("range") or {})
        sheet, r0, c0 = area.sheet, area.r0, area.c0
    for i_row, row in enumerate(args.get("rows") or []):
        for j, cell_data in enumerate(row.get("values") or []):
            if r0 + i_row >= sheet.rows or c0 + j >= sheet.cols:
                raise bad_request(
                    f"{where}: Range exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}"
                )
            _set_cell_data(sheet, r0 + i_row, c0 + j, cell_data, fields)
    return {}


def store_only(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Keeps the request on the tab it names (the first tab when it names none), so a later read can show it."""
    book = request.book
    kind = request.kind
    found_id = _find_sheet_id(args)
    target = book.sheets[0] if found_id is None else book.sheet_by_id(found_id)
    target.extras.append({kind: copy.deepcopy(args)})
    return {}


def _set_cell_data(sheet: Sheet, r: int, c: int, data: dict[str, Any], fields: str) -> None:
    cell = sheet.cells.setdefault((r, c), Cell())
    everything = fields.strip() == "*"
    for top in mask_paths(fields):
        if top == "*" or top.startswith("userEnteredFormat"):
            fmt = data.get("userEnteredFormat") or {}
            if top in ("*", "userEnteredFormat"):
                cell.format = copy.deepcopy(fmt)
            else:
                apply_mask(cell.format, fmt, top[len("userEnteredFormat.") :])
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


HANDLERS: dict[str, Handler] = {
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    **dict.fromkeys(STORED_ONLY_REQUESTS, store_only),
}
