"""Docs: a 400-row table filled cell by cell in one batchUpdate (as the report builder does) keeps Google's indexes.

The model caches paragraph, row and table sizes; these tests check that the cached arithmetic still gives the
from-scratch answer on a large table and after edits that change row sizes, rows and columns.
"""

from __future__ import annotations

from typing import Any

from connectors.google.docs import table_requests
from emulator.docs.document import Block, Paragraph, Table, content_size
from emulator.docs.models import DocsModel
from emulator.testing import WorkspaceClients


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cell_text(cell: dict[str, Any]) -> str:
    return "".join(
        e["textRun"]["content"] for p in cell["content"] for e in p["paragraph"]["elements"] if "textRun" in e
    )


def test_a_400_row_table_built_cell_by_cell_has_googles_indexes(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    doc_id = docs.documents().create(body={"title": "Danh sách"}).execute()["documentId"]
    headers = ["STT", "Họ và tên", "Tổ", "Danh hiệu", "Sáng kiến"]
    rows = [
        [str(i + 1), f"Nguyễn Văn {i}", "Toán" if i % 3 else "Ngữ văn", "Lao động tiên tiến", "😀" * (i % 4)]
        for i in range(400)
    ]
    total = ["", "Tổng", "", "400", ""]
    table: dict[str, Any] = {"caption": "Bảng 3", "headers": headers, "rows": rows, "total": total}
    requests = table_requests([table], 1)
    docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}).execute()

    content = docs.documents().get(documentId=doc_id).execute()["body"]["content"]
    # The caption fills the paragraph Google puts before the table: "Bảng 3\n" is [1, 8), the table starts at 8.
    caption = content[1]
    assert (caption["startIndex"], caption["endIndex"]) == (1, 8)
    assert caption["paragraph"]["elements"][0]["textRun"]["textStyle"] == {"bold": True}
    grid = [headers, *rows, total]
    element = content[2]
    assert element["startIndex"] == 8
    assert (element["table"]["rows"], element["table"]["columns"]) == (402, 5)
    cursor = 9  # after the table start
    for r, (row, expected) in enumerate(zip(element["table"]["tableRows"], grid, strict=True)):
        assert row["startIndex"] == cursor
        cursor += 1
        for cell, text in zip(row["tableCells"], expected, strict=True):
            assert cell["startIndex"] == cursor
            paragraph = cell["content"][0]
            assert paragraph["startIndex"] == cursor + 1
            cursor += 1 + utf16(text) + 1
            assert (cell["endIndex"], paragraph["endIndex"]) == (cursor, cursor)
            assert cell_text(cell) == text + "\n"
            bold = r in (0, len(grid) - 1) and text
            assert paragraph["paragraph"]["elements"][0]["textRun"]["textStyle"] == ({"bold": True} if bold else {})
        assert row["endIndex"] == cursor
    assert element["endIndex"] == cursor + 1  # the table's closing unit ("Work with tables": 2×2 at S ends S+12)
    assert (content[3]["startIndex"], content[3]["endIndex"]) == (cursor + 1, cursor + 2)


def _recount(blocks: list[Block]) -> int:
    """A block list's size counted from the atoms up, ignoring every cache."""
    total = 0
    for block in blocks:
        if isinstance(block, Paragraph):
            total += sum(a.size for a in block.atoms)
        elif isinstance(block, Table):
            total += 2 + sum(1 + sum(1 + _recount(cell) for cell in row) for row in block.rows)
        else:
            total += 1
    return total


def _check_caches(blocks: list[Block]) -> None:
    for block in blocks:
        assert block.size == _recount([block])
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    _check_caches(cell)


def test_cached_sizes_follow_edits_inside_nested_tables() -> None:
    model = DocsModel(lambda *_: None, lambda _: None)
    doc = model.create("t", "u@x")

    def edit(*requests: dict[str, Any]) -> None:
        model.batch_update(doc.id, {"requests": list(requests)})
        body = model.docs[doc.id].body
        _check_caches(body)
        assert content_size(body) == _recount(body)

    cell = {"tableStartLocation": {"index": 2}, "rowIndex": 1, "columnIndex": 1}
    edit({"insertTable": {"rows": 3, "columns": 3, "location": {"index": 1}}})
    # Cell (1,1) of the outer table holds its paragraph at 2 + 1 + 7 + 1 + 2 + 1 = 14; a 2×2 table goes there and
    # starts at 15, its first cell's paragraph at 18.
    edit({"insertTable": {"rows": 2, "columns": 2, "location": {"index": 14}}})
    edit({"insertText": {"text": "Nguyễn 😀\nhai", "location": {"index": 18}}})
    edit({"insertTableRow": {"tableCellLocation": {**cell, "tableStartLocation": {"index": 15}}, "insertBelow": True}})
    edit({"insertTableColumn": {"tableCellLocation": cell, "insertRight": True}})
    edit({"deleteTableRow": {"tableCellLocation": {**cell, "rowIndex": 0}}})
    edit({"replaceAllText": {"containsText": {"text": "hai"}, "replaceText": "ba\nbốn"}})
    edit({"updateTextStyle": {"range": {"startIndex": 5, "endIndex": 30}, "textStyle": {"bold": True}, "fields": "*"}})
    edit({"deleteContentRange": {"range": {"startIndex": 17, "endIndex": 20}}})
