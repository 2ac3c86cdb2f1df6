"""Reports as Google Docs: copy the school's template, fill it with one batchUpdate, export the PDF.

The calls per report are a constant whatever the number of rows: the template's Drive `version` (one small
`files.get`), its structure (a `documents.get`, only when that version is not the one cached), `files.copy`, one
`documents.batchUpdate`, the PDF export (the DOCX export only when the plan asks for it) and, for charts, their
upload and a short-lived link (see `ChartImages`).

The batchUpdate is computed from the template's own structure. First every single-value token is replaced
(`replaceAllText`, case-sensitive: `{{TITLE}}` means the value in capitals, as Jinja's `|upper` does in the DOCX
template); then every edit at a known index runs from the highest index down, so that each request's index is
still right when Google applies it: a slot table's template row is repeated with `insertTableRow` and its cells
filled, paragraphs that stand for a list (`{{flags}}`, `{{tables}}`, `{{charts}}`) are replaced.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from googleapiclient.http import MediaIoBaseUpload
from markupsafe import Markup

from connectors.annex import write_annex
from connectors.google.api import ExportTooLarge, GoogleApi
from connectors.local.charts import render_chart
from connectors.local.documents import EMPTY_TABLE_TEXT, column_widths, table_by_key, table_slots
from connectors.ports import ANNEX_SUFFIX, CONTEXT_KEYS, BuiltReport, TemplateError
from connectors.writing import write_bytes_whole, write_text_whole
from thidua.plan import Plan
from thidua.reports import is_table_key
from thidua.text import inert_placeholders

DOCS_SCOPE = "https://www.googleapis.com/auth/documents"
DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLES_MARKER = "{{tables}}"
CHARTS_MARKER = "{{charts}}"
FLAGS_MARKER = "{{flags}}"
#: Paragraphs that stand for a list: replaced whole by the filler.
MARKERS = ("tables", "charts", "flags")
TOKEN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[a-z0-9]+)?)\s*\}\}")
SLOT_PART = re.compile(r"^([a-z][a-z0-9_]*)\.(caption|[hcs][1-9][0-9]?)$")


def _slot_part(name: str) -> re.Match[str] | None:
    """`key.part` of a table slot token (`registered_by_team.c2`), for a real table key only."""
    match = SLOT_PART.match(name)
    return match if match is not None and is_table_key(match.group(1)) else None
NO_FLAGS_TEXT = "Không có trường hợp nào chưa đáp ứng điều kiện theo quy định."
MM_PT = 72 / 25.4
#: A4 less the decree's 30 mm and 15 mm side margins, where a template does not say otherwise.
TEXT_WIDTH_PT = (210 - 30 - 15) * MM_PT
_PARAGRAPH_STYLE_KEYS = ("alignment", "lineSpacing", "spaceAbove", "spaceBelow", "direction", "indentStart",
                         "indentEnd", "indentFirstLine")


def template_key(template: str, kind: str) -> str:
    """Google templates are per template file and report kind: `{% if kind %}` wording is fixed at provisioning."""
    return f"{template}:{kind}"


def utf16_len(text: str) -> int:
    """Docs indexes count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _FlagToken:
    """Renders the evaluation's flag loop once, as the `{{flags}}` marker the filler replaces with every flag."""

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return FLAGS_MARKER if name == "no" else ""


def starter_docx(template: Path, kind: str) -> bytes:
    """The DOCX template with every field as exactly the token the Google filler replaces: `{{field}}` (or
    `{{FIELD}}` where the template upper-cases it), `{{key.…}}` in slot tables, and a paragraph marker for each
    list (`{{tables}}`, `{{charts}}`, `{{flags}}`, `{{recipients}}`)."""
    document = DocxTemplate(str(template))
    used = document.get_undeclared_template_variables()
    context: dict[str, Any] = {key: "{{" + key + "}}" for key in CONTEXT_KEYS}
    context |= {
        "kind": kind,
        "recipients": ["{{recipients}}"],
        "flags": [_FlagToken()],
        "tables_block": Markup(f"<w:p><w:r><w:t>{TABLES_MARKER}</w:t></w:r></w:p>"),
        "charts_block": Markup(f"<w:p><w:r><w:t>{CHARTS_MARKER}</w:t></w:r></w:p>"),
        **table_slots(used, None),
    }
    document.render(context, autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- The template's structure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    """A paragraph of the template by its index range, with the style a filled value keeps."""

    start: int
    end: int  # after the paragraph's newline
    style: dict[str, Any]


@dataclass(frozen=True)
class Token:
    """A `{{name}}` placeholder found in the template: where it is and the style to write its value in."""

    start: int
    end: int
    text: str  # as it appears, braces included
    name: str
    style: dict[str, Any]
    paragraph: Para


@dataclass(frozen=True)
class SlotCell:
    """One cell of a table's template row: the placeholder it holds, if any, and which value it shows."""

    token: Token | None
    column: int | None  # K of `{{tN.cK}}`: which of the context row's values the cell shows


@dataclass(frozen=True)
class SlotTable:
    """A template table whose template row is repeated once per row of the report's table."""

    key: str
    start: int
    end: int
    row: int  # the template row's index
    row_end: int
    cells: tuple[SlotCell, ...]
    total_row: int | None


@dataclass(frozen=True)
class Structure:
    """What the filler needs from a template, read from one documents.get."""

    revision: str
    tokens: tuple[Token, ...]
    text_width_pt: float
    slots: dict[str, SlotTable]
    markers: dict[str, Para]
    captions: dict[str, Para]


def _paragraph_chars(paragraph: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """(index, character, text style) of every character of a paragraph; an inline object counts as one."""
    chars: list[tuple[int, str, dict[str, Any]]] = []
    for element in paragraph.get("elements", []):
        index = int(element.get("startIndex", 0))
        if "textRun" in element:
            style = element["textRun"].get("textStyle", {})
            for ch in element["textRun"]["content"]:
                chars.append((index, ch, style))
                index += utf16_len(ch)
        else:
            chars.append((index, "\ufffc", {}))
    return chars


def _tokens_in(element: dict[str, Any]) -> list[Token]:
    paragraph = element["paragraph"]
    para = Para(int(element.get("startIndex", 0)), int(element["endIndex"]), paragraph.get("paragraphStyle", {}))
    chars = _paragraph_chars(paragraph)
    text = "".join(ch for _, ch, _ in chars)
    tokens = []
    for match in TOKEN.finditer(text):
        first, last = chars[match.start()], chars[match.end() - 1]
        tokens.append(Token(first[0], last[0] + utf16_len(last[1]), match.group(0), match.group(1), first[2], para))
    return tokens


def _walk(content: list[dict[str, Any]], out: list[tuple[Token, dict[str, Any] | None]],
          tables: list[dict[str, Any]]) -> None:
    for element in content:
        if "paragraph" in element:
            out.extend((t, None) for t in _tokens_in(element))
        elif "table" in element:
            tables.append(element)
            for row in element["table"].get("tableRows", []):
                for cell in row.get("tableCells", []):
                    _walk(cell.get("content", []), out, tables)


def read_structure(document: dict[str, Any], template: str) -> Structure:
    """Tokens, slot tables and list markers of a template, or a TemplateError naming what is wrong."""
    found: list[tuple[Token, dict[str, Any] | None]] = []
    tables: list[dict[str, Any]] = []
    _walk(document.get("body", {}).get("content", []), found, tables)
    tokens = [t for t, _ in found]
    unknown = sorted({t.name for t in tokens if not _known(t.name)})
    if unknown:
        raise TemplateError(Path(template), "dùng trường không có trong báo cáo: "
                            + ", ".join("{{" + n + "}}" for n in unknown), unknown)
    markers = {t.name: t.paragraph for t in tokens if t.name in MARKERS}
    captions = {m.group(1): t.paragraph for t in tokens
                if (m := _slot_part(t.name)) and m.group(2) == "caption"}
    slots: dict[str, SlotTable] = {}
    for element in tables:
        slot = _slot_table(element, template)
        if slot is not None:
            slots[slot.key] = slot
    return Structure(str(document.get("revisionId", "")), tuple(tokens), _text_width(document), slots, markers,
                     captions)


def _text_width(document: dict[str, Any]) -> float:
    """The page's width less its side margins, in points: code-built tables fill it, as in the local report."""
    style = document.get("documentStyle", {})
    try:
        width = float(style["pageSize"]["width"]["magnitude"])
        return width - float(style["marginLeft"]["magnitude"]) - float(style["marginRight"]["magnitude"])
    except (KeyError, TypeError, ValueError):
        return TEXT_WIDTH_PT


def template_placeholders(document: dict[str, Any]) -> tuple[set[str], int | None]:
    """The token names a template uses, and where its `{{tables}}` marker paragraph starts (None if none)."""
    found: list[tuple[Token, dict[str, Any] | None]] = []
    _walk(document.get("body", {}).get("content", []), found, [])
    marker = next((t.paragraph.start for t, _ in found if t.name == "tables"), None)
    return {t.name for t, _ in found}, marker


def _known(name: str) -> bool:
    return (name in CONTEXT_KEYS or (name.lower() in CONTEXT_KEYS and name.isupper()) or name in MARKERS
            or _slot_part(name) is not None)


def _slot_table(element: dict[str, Any], template: str) -> SlotTable | None:
    """A table whose rows hold `{{key.…}}` tokens: its template row (`cK`) and total row (`sK`)."""
    rows = element["table"].get("tableRows", [])
    template_rows: list[int] = []
    total_row: int | None = None
    key: str | None = None
    cells: list[SlotCell] = []
    for r, row in enumerate(rows):
        row_cells: list[SlotCell] = []
        letters: set[str] = set()
        for cell in row.get("tableCells", []):
            found: list[tuple[Token, dict[str, Any] | None]] = []
            _walk(cell.get("content", []), found, [])
            slot_tokens = [(t, m) for t, _ in found if (m := _slot_part(t.name))]
            column = None
            token = None
            for t, m in slot_tokens:
                key = m.group(1)
                letters.add("caption" if m.group(2) == "caption" else m.group(2)[0])
                if m.group(2)[0] == "c" and m.group(2) != "caption":
                    token, column = t, int(m.group(2)[1:])
            row_cells.append(SlotCell(token, column))
        if "c" in letters:
            template_rows.append(r)
            cells = row_cells
        elif "s" in letters:
            total_row = r
    if key is None:
        return None
    if len(template_rows) != 1:
        raise TemplateError(Path(template), f"bảng mẫu {{{{{key}.…}}}} phải có đúng một dòng mẫu chứa "
                                            f"{{{{{key}.c1}}}}, {{{{{key}.c2}}}}…", [key])
    r = template_rows[0]
    return SlotTable(key, int(element["startIndex"]), int(element["endIndex"]), r,
                     int(rows[r]["endIndex"]), tuple(cells), total_row)


# --- The one batchUpdate -------------------------------------------------------------------------------------


def _text_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def flag_lines(flags: Sequence[dict[str, Any]]) -> str:
    """The evaluation's flags worded exactly as the DOCX template words them."""
    lines = []
    for f in flags:
        who = f" ({f['full_name']}, tổ {f['team']})" if f.get("full_name") else ""
        lines.append(f"{f['no']}. {f.get('rule') or f['rule_id']}{who}: {f['message']} Căn cứ: {f['reference']}.")
    return "\n".join(lines) or NO_FLAGS_TEXT


def _token_values(structure: Structure, context: dict[str, Any]) -> dict[str, str]:
    """The replacement of every single-value token the template holds (slot tokens of unused slots excluded)."""
    tables = table_by_key(list(context.get("tables", [])))
    values: dict[str, str] = {}
    for token in structure.tokens:
        name = token.name
        if name in MARKERS:
            continue
        match = _slot_part(name)
        if match:
            key, part = match.group(1), match.group(2)
            if key not in tables or (part[0] == "c" and part != "caption"):
                continue
            spec = tables[key]
            if part == "caption":
                values[token.text] = str(spec["caption"])
            elif part[0] == "h":
                k = int(part[1:])
                values[token.text] = str(spec["headers"][k - 1]) if k <= len(spec["headers"]) else ""
            elif spec.get("total"):
                k = int(part[1:])
                values[token.text] = str(spec["total"][k - 1]) if k <= len(spec["total"]) else ""
        elif name in context:
            values[token.text] = _text_value(context[name])
        elif name.lower() in context:
            values[token.text] = _text_value(context[name.lower()]).upper()
    # A value holding "{{…}}" (a teacher's answer) must not be taken for a later token.
    return {token: inert_placeholders(value) for token, value in values.items()}


@dataclass
class _Plan:
    """Index edits grouped by the lowest index they touch, applied from the highest group down."""

    shift: Callable[[int], int]
    groups: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)

    def add(self, anchor: int, requests: list[dict[str, Any]]) -> None:
        if requests:
            self.groups.append((anchor, requests))

    def ordered(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _, requests in sorted(self.groups, key=lambda g: g[0], reverse=True):
            out.extend(requests)
        return out


def _replace_span(start: int, end: int, text: str) -> list[dict[str, Any]]:
    """Replace [start, end) by `text` so that the text takes the style of the span's first character: delete
    the span but its first character, insert after that character, then delete it."""
    requests: list[dict[str, Any]] = []
    if end > start + 1:
        requests.append({"deleteContentRange": {"range": {"startIndex": start + 1, "endIndex": end}}})
    if text:
        requests.append({"insertText": {"text": text, "location": {"index": start + 1}}})
    requests.append({"deleteContentRange": {"range": {"startIndex": start, "endIndex": start + 1}}})
    return requests


def _styled(start: int, text: str, text_style: dict[str, Any], paragraph_style: dict[str, Any],
            extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The template cell's text and paragraph style applied to text just inserted in a new row's cell."""
    requests: list[dict[str, Any]] = []
    style = {**text_style, **(extra or {})}
    if text and style:
        requests.append({"updateTextStyle": {"range": {"startIndex": start, "endIndex": start + utf16_len(text)},
                                             "textStyle": style, "fields": ",".join(sorted(style))}})
    paragraph = {k: v for k, v in paragraph_style.items() if k in _PARAGRAPH_STYLE_KEYS}
    if paragraph:
        requests.append({"updateParagraphStyle": {
            "range": {"startIndex": start, "endIndex": start + max(utf16_len(text), 1)},
            "paragraphStyle": paragraph, "fields": ",".join(sorted(paragraph))}})
    return requests


def _slot_requests(slot: SlotTable, spec: dict[str, Any], shift: Callable[[int], int],
                   template: str) -> list[dict[str, Any]]:
    """Grow one slot table: drop an unneeded total row, add a row per item below the template row and fill the
    new rows from the last cell back, then fill the template row itself with the first item."""
    headers = list(spec["headers"])
    placed = {cell.column for cell in slot.cells if cell.column is not None}
    missing = [k for k in range(1, len(headers) + 1) if k not in placed]
    if missing:
        names = [f"{slot.key}.c{k}" for k in missing]
        raise TemplateError(Path(template), "dòng mẫu của " + str(spec["caption"]).split(".")[0] + " thiếu ô "
                            + ", ".join("{{" + n + "}}" for n in names) + f" (bảng có {len(headers)} cột); "
                            "hãy thêm cột theo templates/README.md.", names)
    table = {"index": shift(slot.start)}
    total = [str(v) for v in spec.get("total") or []]
    items: list[tuple[list[str], bool]] = [([str(v) for v in row], False) for row in spec["rows"]]
    if total and slot.total_row is None:
        items.append((total, True))
    requests: list[dict[str, Any]] = []
    if slot.total_row is not None and not total:
        requests.append({"deleteTableRow": {"tableCellLocation": {"tableStartLocation": table,
                                                                  "rowIndex": slot.total_row}}})
    requests.extend({"insertTableRow": {"tableCellLocation": {"tableStartLocation": table, "rowIndex": slot.row},
                                        "insertBelow": True}} for _ in items[1:])

    def value(values: list[str], cell: SlotCell) -> str:
        return values[cell.column - 1] if cell.column is not None and cell.column <= len(values) else ""

    width = 1 + 2 * len(slot.cells)  # an empty row: its start, and per cell its start and one newline
    row_end = shift(slot.row_end)
    for j in reversed(range(1, len(items))):
        values, bold = items[j]
        row_start = row_end + (j - 1) * width
        for c in reversed(range(len(slot.cells))):
            cell = slot.cells[c]
            text = inert_placeholders(value(values, cell))
            at = row_start + 2 + 2 * c
            if text:
                requests.append({"insertText": {"text": text, "location": {"index": at}}})
            token = cell.token
            requests.extend(_styled(at, text, token.style if token else {}, token.paragraph.style if token else {},
                                    {"bold": True} if bold else None))
    first, bold = items[0] if items else ([], False)
    for c in reversed(range(len(slot.cells))):
        token = slot.cells[c].token
        if token is None:
            continue
        text = EMPTY_TABLE_TEXT if not items and c == 0 else inert_placeholders(value(first, slot.cells[c]))
        start = shift(token.start)
        requests.extend(_replace_span(start, shift(token.end), text))
        if not items and c == 0:
            requests.append({"updateTextStyle": {"range": {"startIndex": start, "endIndex": start + utf16_len(text)},
                                                 "textStyle": {"italic": True}, "fields": "italic"}})
            requests.append({"updateParagraphStyle": {"range": {"startIndex": start, "endIndex": start + 1},
                                                      "paragraphStyle": {"alignment": "CENTER"},
                                                      "fields": "alignment"}})
        elif bold and text:
            requests.append({"updateTextStyle": {"range": {"startIndex": start, "endIndex": start + utf16_len(text)},
                                                 "textStyle": {"bold": True}, "fields": "bold"}})
    return requests


def table_requests(tables: list[dict[str, Any]], at: int, width_pt: float = TEXT_WIDTH_PT) -> list[dict[str, Any]]:
    """Captioned tables built in code at `at` (templates without slots), the last table first, each with the
    local report's column widths and a pinned header row, filled from its last cell backwards."""
    requests: list[dict[str, Any]] = []
    for table in reversed(tables):
        grid = [table["headers"], *(table["rows"] or [[EMPTY_TABLE_TEXT]]),
                *([table["total"]] if table.get("total") else [])]
        columns = len(table["headers"])
        requests.append({"insertTable": {"rows": len(grid), "columns": columns, "location": {"index": at}}})
        table_start = at + 1  # Google puts a newline before the table
        start = {"index": table_start}
        widths = column_widths([str(h) for h in table["headers"]],
                               [[str(c) for c in row] for row in grid[1:]], width_pt / MM_PT)
        requests.extend({"updateTableColumnProperties": {
            "tableStartLocation": start, "columnIndices": [c],
            "tableColumnProperties": {"widthType": "FIXED_WIDTH", "width": {"magnitude": round(w * MM_PT, 1),
                                                                            "unit": "PT"}},
            "fields": "widthType,width"}} for c, w in enumerate(widths))
        requests.append({"pinTableHeaderRows": {"tableStartLocation": start, "pinnedHeaderRowsCount": 1}})
        for r in reversed(range(len(grid))):
            for c in reversed(range(columns)):
                text = inert_placeholders(str(grid[r][c])) if c < len(grid[r]) else ""
                if not text:
                    continue
                cell = table_start + 3 + r * (1 + 2 * columns) + 2 * c  # table, row and cell starts take 1 each
                requests.append({"insertText": {"text": text, "location": {"index": cell}}})
                if r == 0 or (table.get("total") and r == len(grid) - 1):
                    requests.append({"updateTextStyle": {
                        "range": {"startIndex": cell, "endIndex": cell + utf16_len(text)},
                        "textStyle": {"bold": True}, "fields": "bold"}})
        caption = inert_placeholders(str(table["caption"]))
        requests.append({"insertText": {"text": caption, "location": {"index": at}}})
        requests.append({"updateTextStyle": {"range": {"startIndex": at, "endIndex": at + utf16_len(caption)},
                                             "textStyle": {"bold": True}, "fields": "bold"}})
    return requests


def fill_requests(structure: Structure, context: dict[str, Any], template: str,
                  charts: Sequence[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The one batchUpdate that turns a copy of the template into the report. `charts` are (caption, image URI)."""
    values = _token_values(structure, context)
    deltas = [(t.start, utf16_len(values[t.text]) - utf16_len(t.text)) for t in structure.tokens if t.text in values]

    def shift(index: int) -> int:
        return index + sum(delta for start, delta in deltas if start < index)

    requests: list[dict[str, Any]] = [
        {"replaceAllText": {"containsText": {"text": text, "matchCase": True}, "replaceText": value}}
        for text, value in values.items()
    ]
    plan = _Plan(shift)
    tables = list(context.get("tables", []))
    specs = table_by_key(tables)
    for key, slot in structure.slots.items():
        if key in specs:
            plan.add(shift(slot.start), _slot_requests(slot, specs[key], shift, template))
            continue
        doomed = [{"deleteContentRange": {"range": {"startIndex": shift(slot.start), "endIndex": shift(slot.end)}}}]
        caption = structure.captions.get(key)
        if caption is not None:
            doomed.append({"deleteContentRange": {"range": {"startIndex": shift(caption.start),
                                                            "endIndex": shift(caption.end)}}})
        plan.add(shift(caption.start if caption else slot.start), doomed)
    unplaced = [t for t in tables if t.get("key") not in structure.slots]
    marker = structure.markers.get("tables")
    if unplaced and marker is None:
        raise TemplateError(Path(template), "không có chỗ cho " + ", ".join(
            str(t["caption"]).split(".")[0] + (f" ({{{{{t['key']}.…}}}})" if t.get("key") else "") for t in unplaced)
            + ": thêm bảng mẫu hoặc {{tables}} theo templates/README.md.")
    if marker is not None:
        at = shift(marker.start)
        plan.add(at, [{"deleteContentRange": {"range": {"startIndex": at, "endIndex": shift(marker.end) - 1}}},
                      *table_requests(unplaced, at, structure.text_width_pt)])
    flags = structure.markers.get("flags")
    if flags is not None:
        plan.add(shift(flags.start), _replace_span(shift(flags.start), shift(flags.end) - 1,
                                                   flag_lines(context.get("flags", []))))
    marker = structure.markers.get("charts")
    if marker is not None:
        plan.add(shift(marker.start), chart_requests(shift(marker.start), shift(marker.end) - 1, charts))
    return requests + plan.ordered()


def chart_requests(start: int, end: int, charts: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The `{{charts}}` paragraph becomes, per chart, its bold caption and the picture (16 cm wide) below it."""
    requests: list[dict[str, Any]] = [{"deleteContentRange": {"range": {"startIndex": start, "endIndex": end}}}]
    for caption, uri in reversed(charts):
        requests.append({"insertInlineImage": {"uri": uri, "location": {"index": start}, "objectSize": {
            "width": {"magnitude": 453.5, "unit": "PT"}}}})  # 16 cm
        text = caption + "\n"
        requests.append({"insertText": {"text": text, "location": {"index": start}}})
        requests.append({"updateTextStyle": {"range": {"startIndex": start, "endIndex": start + utf16_len(caption)},
                                             "textStyle": {"bold": True, "fontSize": {"magnitude": 13, "unit": "PT"}},
                                             "fields": "bold,fontSize"}})
        both = {"startIndex": start, "endIndex": start + utf16_len(text) + 1}  # the caption's and the picture's
        requests.append({"updateParagraphStyle": {"range": both,
                                                  "paragraphStyle": {"alignment": "CENTER", "keepWithNext": True,
                                                                     "spaceAbove": {"magnitude": 12, "unit": "PT"}},
                                                  "fields": "alignment,keepWithNext,spaceAbove"}})
    return requests


# --- The builder ---------------------------------------------------------------------------------------------


class StructureCache:
    """Templates' structures by template id and Drive `version`: a template the clerk has edited since (any edit
    raises the version) is read again, an unchanged one never is. The Doc's `revisionId` cannot serve: it comes
    only with the whole document, and Drive's `headRevisionId` is "only available for files with binary content"
    (drive v3 File), so not for a Google Doc; `version` is "a monotonically increasing version number for the
    file. This reflects every change made to the file on the server"."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, Structure]] = {}
        self._lock = threading.Lock()

    def get(self, template_id: str, version: str) -> Structure | None:
        """The structure cached for this version of the template, or None (first use, or the clerk edited it)."""
        with self._lock:
            cached = self._items.get(template_id)
            return cached[1] if cached is not None and cached[0] == version else None

    def put(self, template_id: str, version: str, structure: Structure) -> None:
        """Remembers a structure just read, with the template's version it was read at."""
        with self._lock:
            self._items[template_id] = (version, structure)


#: Shared by every builder of the process, so that one flow run reads each template once.
STRUCTURES = StructureCache()
COPIES_RECORD = ".google-docs.json"


class GoogleDocsBuilder:
    """Implements the DocumentBuilder port on Drive and Docs; keeps each filled Doc for the clerk to read."""

    def __init__(self, plan: Plan, drive: Any, docs: Any, api: GoogleApi, out_dir: Path,
                 structures: StructureCache = STRUCTURES, export_docx: bool = False) -> None:
        if plan.google is None:
            raise ValueError("the Google document builder needs the plan's google section")
        self._google = plan.google
        self._drive_service = drive
        self._drive = drive.files()
        self._docs = docs.documents()
        self._api = api
        self._out = out_dir
        self._structures = structures
        self._export_docx = export_docx or plan.google.export_docx

    def structure(self, template_name: str, kind: str) -> tuple[str, Structure]:
        """The template's id and structure, read once per ttl; a template not provisioned yet is a TemplateError."""
        template_id = self._google.templates.get(template_key(template_name, kind))
        if not template_id:
            raise TemplateError(Path(template_name), "chưa có bản mẫu Google Docs (chạy `thidua google provision`)")
        # The version is read first: a structure read after it is at least that recent, so an edit made in between
        # only costs one more read at the next report. An edit saved in the second between this check and the
        # copy reaches the copy but not the structure: the batchUpdate's indexes may then miss (Google refuses it
        # and the flow's retry builds again from a fresh copy) or shift a cell; the clerk reviews every draft.
        version = str(self._api.execute(self._drive.get(fileId=template_id, fields="version"))["version"])
        structure = self._structures.get(template_id, version)
        if structure is None:
            document = self._api.execute(self._docs.get(documentId=template_id))
            structure = read_structure(document, template_name)
            self._structures.put(template_id, version, structure)
        return template_id, structure

    def build(self, template_name: str, context: dict[str, Any], basename: str) -> BuiltReport:
        """Copies the template, fills the copy in one batchUpdate and exports DOCX and PDF: the DocumentBuilder port
        on Google."""
        template_id, structure = self.structure(template_name, str(context.get("kind", "")))
        fill_requests(structure, context, template_name)  # refuses a template that cannot hold the report
        folder = self._google.deadline_folders.get(str(context.get("deadline_id", "")), self._google.folder_id)
        self._out.mkdir(parents=True, exist_ok=True)
        document_id = self._fresh_copy(template_id, basename, folder)
        charts = ChartImages(self._drive_service, self._api, folder, self._out / f".{basename}-bieu-do")
        with charts.shared(list(context.get("charts", [])) if "charts" in structure.markers else []) as uris:
            requests = fill_requests(structure, context, template_name, uris)
            # Not retried in place: a batchUpdate Google applied before its answer was lost must not run twice.
            # A failed build is retried whole (the flow's task retry), from a fresh copy.
            self._api.execute(self._docs.batchUpdate(documentId=document_id, body={"requests": requests}),
                              idempotent=False)
        pdf = self._out / f"{basename}.pdf"
        write_bytes_whole(pdf, self._export(document_id, PDF, basename, "PDF"), "bản PDF")
        docx = self._out / f"{basename}.docx"
        if self._export_docx:
            write_bytes_whole(docx, self._export(document_id, DOCX, basename, "DOCX"), "báo cáo")
        else:
            # No DOCX export unless the plan asks: the clerk's editable copy is the Google Doc, linked from here.
            docx = self._out / f"{basename}.url"
            write_text_whole(docx, f"[InternetShortcut]\nURL=https://docs.google.com/document/d/{document_id}/edit\n",
                             "liên kết báo cáo")
        # The annex is built from the same context here (no API call): it travels with the report's email.
        annex = write_annex(context, self._out / f"{basename}{ANNEX_SUFFIX}")
        return BuiltReport(docx=docx, pdf=pdf, annex=annex)

    def _export(self, document_id: str, mime: str, basename: str, kind: str) -> bytes:
        """The Doc as `mime`; over Google's export limit, an error naming the report and the fix."""
        try:
            return bytes(self._api.execute(self._drive.export(fileId=document_id, mimeType=mime)))
        except ExportTooLarge as error:
            raise ExportTooLarge(f"Báo cáo «{basename}» ({kind}): {error}") from error

    def _fresh_copy(self, template_id: str, name: str, folder: str) -> str:
        """A re-run replaces its own earlier copy (its id is recorded beside the reports) instead of piling up
        Docs with the same name; no search is needed to find it."""
        record_path = self._out / COPIES_RECORD
        record: dict[str, str] = {}
        if record_path.is_file():
            record = json.loads(record_path.read_text(encoding="utf-8"))
        earlier = record.get(name)
        if earlier:
            try:
                self._api.execute(self._drive.delete(fileId=earlier))
            except Exception as exc:  # already gone (deleted by the clerk): nothing to replace
                if getattr(getattr(exc, "resp", None), "status", None) != 404:
                    raise
        body = {"name": name, "parents": [folder]} if folder else {"name": name}
        request = self._drive.copy(fileId=template_id, body=body, fields="id")
        document_id = str(self._api.execute(request, idempotent=False)["id"])
        record[name] = document_id
        write_text_whole(record_path, json.dumps(record, ensure_ascii=False, indent=1), "sổ bản sao Google Docs")
        return document_id


class ChartImages:
    """Charts for `insertInlineImage`, which Google fetches itself, once, without the caller's credentials: each
    PNG is uploaded to the deadline's Drive folder, readable by anyone who has its link (never listed or
    searchable) while the one batchUpdate runs, and deleted as soon as it returns (success or not): the Doc keeps
    its own copy of the picture. Three calls per chart: upload, share, delete."""

    def __init__(self, drive: Any, api: GoogleApi, folder: str, work_dir: Path) -> None:
        self._files = drive.files()
        self._permissions = drive.permissions()
        self._api = api
        self._folder = folder
        self._work = work_dir

    @contextlib.contextmanager
    def shared(self, specs: list[dict[str, Any]]) -> Iterator[list[tuple[str, str]]]:
        """(caption, image URI) per chart, readable only inside the `with` block."""
        uploaded: list[str] = []
        try:
            uris = []
            for index, spec in enumerate(specs, start=1):
                png = render_chart(spec, self._work / f"chart-{index}.png")
                media = MediaIoBaseUpload(io.BytesIO(png.read_bytes()), mimetype="image/png")
                body: dict[str, Any] = {"name": f"{self._work.name.strip('.')}-{index}.png"}
                if self._folder:
                    body["parents"] = [self._folder]
                created = self._api.execute(self._files.create(body=body, media_body=media,
                                                               fields="id,webContentLink"), idempotent=False)
                uploaded.append(str(created["id"]))
                self._api.execute(self._permissions.create(
                    fileId=created["id"], body={"type": "anyone", "role": "reader", "allowFileDiscovery": False},
                    fields="id"), idempotent=False)
                uris.append((str(spec["caption"]), str(created["webContentLink"])))
            yield uris
        finally:
            for file_id in uploaded:  # deleting the file takes its sharing with it
                self._api.execute(self._files.delete(fileId=file_id))
            shutil.rmtree(self._work, ignore_errors=True)
