"""batchUpdate requests on the spreadsheet's tabs and properties: add, delete, duplicate, update."""

from __future__ import annotations

import copy
from typing import Any

from emulator.errors import bad_request
from emulator.fields import mask_paths
from emulator.sheets.grid import Sheet, apply_mask, new_sheet_properties, next_title
from emulator.sheets.handlers.base import Handler, Request


def add_sheet(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """A new tab; its id and title must be free (Google refuses a duplicate rather than renaming)."""
    book, where = request.book, request.where
    props = dict(args.get("properties") or {})
    sheet_id = int(props.get("sheetId", request.rng.randrange(1, 2**31)))
    if any(s.id == sheet_id for s in book.sheets):
        raise bad_request(f"{where}: Sheet with id {sheet_id} already exists.")
    title = props.get("title") or next_title(book)
    if book.sheet_by_title(title):
        raise bad_request(
            f'{where}: A sheet with the name "{title}" already exists. Please enter another name.'
        )
    index = int(props.get("index", len(book.sheets)))
    sheet = Sheet(new_sheet_properties(sheet_id, title, index, props))
    book.sheets.insert(min(index, len(book.sheets)), sheet)
    book.reindex()
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


def delete_sheet(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Removes a tab; the last one cannot go."""
    book, where = request.book, request.where
    sheet = book.sheet_by_id(int(args.get("sheetId", 0)))
    if len(book.sheets) == 1:
        raise bad_request(f"{where}: You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.reindex()
    return {}


def duplicate_sheet(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """A copy of a tab, cells and all, under a free title."""
    book, where = request.book, request.where
    source = book.sheet_by_id(int(args.get("sourceSheetId", 0)))
    new = copy.deepcopy(source)
    new.properties["sheetId"] = int(args.get("newSheetId", request.rng.randrange(1, 2**31)))
    new.properties["title"] = args.get("newSheetName") or f"Copy of {source.title}"
    if book.sheet_by_title(new.title):
        raise bad_request(
            f'{where}: A sheet with the name "{new.title}" already exists. Please enter another name.'
        )
    book.sheets.insert(int(args.get("insertSheetIndex", len(book.sheets))), new)
    book.reindex()
    return {"duplicateSheet": {"properties": copy.deepcopy(new.properties)}}


def update_sheet_properties(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Changes a tab's properties named in `fields` (title, index, grid size…); a shrunk grid loses its cells."""
    book, where = request.book, request.where
    props = args.get("properties") or {}
    sheet = book.sheet_by_id(int(props.get("sheetId", 0)))
    fields = str(args["fields"])  # present and checked against SheetProperties (discovery.validate_update_mask)
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
    apply_mask(sheet.properties, props, fields, skip={"sheetId"})
    if "index" in props and ("index" in mask_paths(fields) or fields == "*"):
        book.sheets.remove(sheet)
        book.sheets.insert(min(int(props["index"]), len(book.sheets)), sheet)
        book.reindex()
    sheet.truncate()
    return {}


def update_spreadsheet_properties(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Changes the spreadsheet's properties named in `fields` (title, locale, time zone…)."""
    apply_mask(request.book.properties, args.get("properties") or {}, str(args["fields"]))
    return {}


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
}
