"""documents.batchUpdate requests on tables: insert a table, insert and delete rows and columns, pin header rows,
set column widths."""

from __future__ import annotations

import json
from typing import Any

from emulator.docs.document import Atom, Paragraph, Table, TablePath, empty_cell, resize, style_of
from emulator.docs.handlers.base import Handler, Request, merge_style, style_at
from emulator.docs.locate import find_table
from emulator.docs.render import column_properties


def insert_table(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts an empty rows × columns table at an index, splitting the paragraph there."""
    rows, columns = int(args.get("rows", 0)), int(args.get("columns", 0))
    if rows < 1 or columns < 1:
        raise request.fail("A table must have at least one row and one column.")
    index = request.location_index(args)
    spot = request.spot(index)
    paragraph = spot.paragraph
    before = Paragraph(
        [*paragraph.atoms[: spot.atom_offset], Atom("\n", style_at(spot))], dict(paragraph.style)
    )
    after = Paragraph(paragraph.atoms[spot.atom_offset :], dict(paragraph.style))
    table = Table([[empty_cell() for _ in range(columns)] for _ in range(rows)])
    spot.container[spot.position : spot.position + 1] = [before, table, after]
    resize(spot.path)
    return {}


def insert_table_row(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts an empty row above or below a cell's row."""
    table, row, _, path = _table_at(request, args)
    at = row + 1 if args.get("insertBelow") else row
    table.insert_row(at, [empty_cell() for _ in table.rows[row]])
    resize(path)
    return {}


def delete_table_row(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Deletes a cell's row; a table's only row cannot go."""
    table, row, _, path = _table_at(request, args)
    if len(table.rows) == 1:
        raise request.fail("Cannot delete the only row of a table; delete the table instead.")
    table.delete_row(row)
    resize(path)
    return {}


def insert_table_column(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts an empty column left or right of a cell's column."""
    table, _, column, path = _table_at(request, args)
    table.insert_column(column + 1 if args.get("insertRight") else column)
    resize(path)
    return {}


def pin_table_header_rows(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Sets how many of the table's first rows repeat on each page."""
    table, _ = _table_start(request, args)
    count = int(args.get("pinnedHeaderRowsCount", 0))
    if not 0 <= count <= len(table.rows):
        raise request.fail(f"pinnedHeaderRowsCount {count} is out of range.")
    table.style["pinnedHeaderRowsCount"] = count
    return {}


def update_table_column_properties(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Sets columns' width properties under the field mask; a fixed width is at least 5 points."""
    table, _ = _table_start(request, args)
    columns = max((len(r) for r in table.rows), default=0)
    indices = args.get("columnIndices") or list(range(columns))
    update, fields = args.get("tableColumnProperties") or {}, str(args["fields"])  # checked with the body
    width = (update.get("width") or {}).get("magnitude")
    if update.get("widthType") == "FIXED_WIDTH" and (width is None or float(width) < 5):
        raise request.fail("A fixed column width must be at least 5 points.")
    current = column_properties(table, columns)
    for index in indices:
        if not 0 <= int(index) < columns:
            raise request.fail(f"Column index {index} is out of range.")
        current[int(index)] = style_of(merge_style(json.dumps(current[int(index)]), update, fields))
    table.style["tableColumnProperties"] = current
    return {}


def _table_at(request: Request, args: dict[str, Any]) -> tuple[Table, int, int, TablePath]:
    """The table, row and column a tableCellLocation names, and the path to the table."""
    location = args.get("tableCellLocation") or {}
    table, path = _table_start(request, location)
    row, column = int(location.get("rowIndex", 0)), int(location.get("columnIndex", 0))
    if not (0 <= row < len(table.rows)) or not (0 <= column < len(table.rows[row])):
        raise request.fail(f"Invalid table cell location: row {row}, column {column}.")
    return table, row, column, path


def _table_start(request: Request, args: dict[str, Any]) -> tuple[Table, TablePath]:
    """The table a tableStartLocation names, and the path to it."""
    start = args.get("tableStartLocation") or {}
    request.segment(start)
    found = find_table(request.doc.body, 0, int(start.get("index", 0)))
    if found is None:
        index = start.get("index", 0)
        raise request.fail(f"Invalid table start location. Must specify the start index of the table. (index {index})")
    return found


HANDLERS: dict[str, Handler] = {
    "insertTable": insert_table,
    "insertTableRow": insert_table_row,
    "deleteTableRow": delete_table_row,
    "insertTableColumn": insert_table_column,
    "pinTableHeaderRows": pin_table_header_rows,
    "updateTableColumnProperties": update_table_column_properties,
}
