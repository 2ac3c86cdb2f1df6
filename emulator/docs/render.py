"""A document as documents.get returns it: structural elements with their start and end indexes, styles,
inline objects, and the document and named styles."""

from __future__ import annotations

import copy
from typing import Any

from emulator.docs.document import Atom, Block, Document, Paragraph, SectionBreak, Table, content_size, style_of


def _with_indexes(out: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if start:
        shaped["startIndex"] = start
    shaped["endIndex"] = end
    shaped.update(out)
    return shaped


def render_blocks(blocks: list[Block], start: int) -> list[dict[str, Any]]:
    out = []
    pos = start
    for block in blocks:
        end = pos + block.size
        if isinstance(block, SectionBreak):
            out.append(_with_indexes({"sectionBreak": {"sectionStyle": copy.deepcopy(block.style)}}, pos, end))
        elif isinstance(block, Paragraph):
            elements: list[dict[str, Any]] = []
            cursor = pos
            run: list[Atom] = []

            def flush(run: list[Atom], cursor: int, elements: list[dict[str, Any]] = elements) -> int:
                if not run:
                    return cursor
                size = sum(a.size for a in run)
                if run[0].obj is not None:
                    element = {"inlineObjectElement": {"inlineObjectId": run[0].obj,
                                                       "textStyle": style_of(run[0].style)}}
                else:
                    element = {"textRun": {"content": "".join(a.ch for a in run),
                                           "textStyle": style_of(run[0].style)}}
                elements.append(_with_indexes(element, cursor, cursor + size))
                return cursor + size

            for atom in block.atoms:
                if atom.obj is not None:
                    cursor = flush(run, cursor)
                    cursor = flush([atom], cursor)
                    run = []
                elif run and run[0].style == atom.style:
                    run.append(atom)
                else:
                    cursor = flush(run, cursor)
                    run = [atom]
            flush(run, cursor)
            out.append(
                _with_indexes(
                    {"paragraph": {"elements": elements, "paragraphStyle": copy.deepcopy(block.style)}}, pos, end
                )
            )
        else:
            rows = []
            cursor = pos + 1
            for row in block.rows:
                row_start = cursor
                cursor += 1
                cells = []
                for cell in row:
                    cell_start = cursor
                    cursor += 1
                    content = render_blocks(cell, cursor)
                    cursor += content_size(cell)
                    cells.append(_with_indexes({"content": content, "tableCellStyle": {"rowSpan": 1, "columnSpan": 1,
                        "contentAlignment": "TOP"}}, cell_start, cursor))  # fmt: skip
                rows.append(
                    _with_indexes(
                        {"tableCells": cells, "tableRowStyle": {"minRowHeight": {"unit": "PT"}}}, row_start, cursor
                    )
                )
            columns = max((len(r) for r in block.rows), default=0)
            table = {
                "rows": len(block.rows),
                "columns": columns,
                "tableRows": rows,
                "tableStyle": {"tableColumnProperties": column_properties(block, columns)},
            }
            out.append(_with_indexes({"table": table}, pos, end))
        pos = end
    return out


def column_properties(table: Table, columns: int) -> list[dict[str, Any]]:
    fixed = table.style.get("tableColumnProperties")
    if isinstance(fixed, list) and len(fixed) == columns:
        return copy.deepcopy(fixed)
    return [{"widthType": "EVENLY_DISTRIBUTED"} for _ in range(columns)]


NAMED_STYLES = [
    "NORMAL_TEXT", "TITLE", "SUBTITLE", "HEADING_1", "HEADING_2", "HEADING_3", "HEADING_4", "HEADING_5", "HEADING_6",
]  # fmt: skip


def render(doc: Document, tabs: bool = False) -> dict[str, Any]:
    body = {"content": render_blocks(doc.body, 0)}
    document_style = {
        "background": {"color": {}},
        "pageNumberStart": 1,
        "marginTop": {"magnitude": 72, "unit": "PT"},
        "marginBottom": {"magnitude": 72, "unit": "PT"},
        "marginRight": {"magnitude": 72, "unit": "PT"},
        "marginLeft": {"magnitude": 72, "unit": "PT"},
        "pageSize": {"height": {"magnitude": 792, "unit": "PT"}, "width": {"magnitude": 612, "unit": "PT"}},
        **copy.deepcopy(doc.document_style),
    }
    named = {
        "styles": [
            {"namedStyleType": n, "textStyle": copy.deepcopy(doc.normal_text_style) if n == "NORMAL_TEXT" else {},
             "paragraphStyle": {"namedStyleType": n}} for n in NAMED_STYLES
        ]
    }
    out: dict[str, Any] = {"title": doc.title}
    content: dict[str, Any] = {"body": body, "documentStyle": document_style, "namedStyles": named}
    if doc.inline_objects:
        content["inlineObjects"] = copy.deepcopy(doc.inline_objects)
    if tabs:
        out["tabs"] = [{"tabProperties": {"tabId": "t.0", "title": "Tab 1", "index": 0}, "documentTab": content}]
    else:
        out.update(content)
    out.update(revisionId=doc.revision_id, suggestionsViewMode="SUGGESTIONS_INLINE", documentId=doc.id)
    return out


