"""The annex workbook holds the report's tables with numbers the district can add up."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from connectors.annex import FLAGS_SHEET, cell_value
from connectors.local.documents import BuiltReport

from .conftest import FIXTURES, load_context


@pytest.mark.parametrize(("text", "value"), [
    ("7", 7), ("1.234", 1234), ("12.345.678", 12345678), ("12,5%", 0.125), ("100,0%", 1.0),
    ("Toàn trường", "Toàn trường"), ("1.23", "1.23"), ("12", 12), ("8/8 tổ đã đăng ký", "8/8 tổ đã đăng ký")])
def test_vietnamese_numbers_become_numbers(text: str, value: object) -> None:
    assert cell_value(text) == value


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_every_table_is_a_sheet_with_the_same_cells(built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    annex = built[deadline_id].annex
    assert annex is not None
    workbook = load_workbook(annex)
    tables = context["tables"]
    assert workbook.sheetnames[1:len(tables) + 1] == [t["caption"].split(".")[0] for t in tables]
    for table in tables:
        rows = list(workbook[table["caption"].split(".")[0]].iter_rows(values_only=True))
        assert rows[0][0] == table["caption"] and list(rows[1]) == table["headers"]
        expected = [*table["rows"], *([table["total"]] if table["total"] else [])]
        assert [[cell_value(str(c)) for c in row] for row in expected] == [
            [c if c is not None else "" for c in row] for row in rows[2:]]
    assert (FLAGS_SHEET in workbook.sheetnames) == bool(context["flags"])
