"""Reports as Google Docs: copy the school's template, fill it with one batchUpdate, export PDF and DOCX.

The calls per report are a constant (read the template, find and replace an earlier copy, copy, one
batchUpdate, two exports) whatever the number of rows: tables are built inside the single batchUpdate, from the
last cell backwards so that each request's index is still right when Google applies it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connectors.annex import write_annex
from connectors.google.api import ExportTooLarge, GoogleApi
from connectors.ports import ANNEX_SUFFIX, BuiltReport, TemplateError
from thidua.plan import Plan

DOCS_SCOPE = "https://www.googleapis.com/auth/documents"
DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TABLES_MARKER = "{{tables}}"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def template_key(template: str, kind: str) -> str:
    """Google templates are per template file and report kind: `{% if kind %}` wording is fixed at provisioning."""
    return f"{template}:{kind}"


def utf16_len(text: str) -> int:
    """Docs indexes count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _paragraph_runs(content: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Every text run (start index, text) in the body, tables included, in document order."""
    runs: list[tuple[int, str]] = []
    for element in content:
        for part in element.get("paragraph", {}).get("elements", []):
            if "textRun" in part:
                runs.append((part["startIndex"], part["textRun"]["content"]))
        for row in element.get("table", {}).get("tableRows", []):
            for cell in row.get("tableCells", []):
                runs.extend(_paragraph_runs(cell.get("content", [])))
    return runs


def template_placeholders(document: dict[str, Any]) -> tuple[set[str], int | None]:
    """The placeholder names a template uses, and where its tables marker starts (None if it has none)."""
    names: set[str] = set()
    marker: int | None = None
    for start, text in _paragraph_runs(document.get("body", {}).get("content", [])):
        names.update(PLACEHOLDER.findall(text))
        if TABLES_MARKER in text:
            marker = start + utf16_len(text[: text.index(TABLES_MARKER)])
    return names, marker


def _text_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def table_requests(tables: list[dict[str, Any]], at: int) -> list[dict[str, Any]]:
    """Captioned tables inserted at `at`, the last table first, each filled from its last cell backwards."""
    requests: list[dict[str, Any]] = []
    for table in reversed(tables):
        grid = [table["headers"], *table["rows"], *([table["total"]] if table.get("total") else [])]
        columns = len(table["headers"])
        requests.append({"insertTable": {"rows": len(grid), "columns": columns, "location": {"index": at}}})
        table_start = at + 1  # Google puts a newline before the table
        for r in reversed(range(len(grid))):
            for c in reversed(range(columns)):
                text = str(grid[r][c]) if c < len(grid[r]) else ""
                if not text:
                    continue
                cell = table_start + 3 + r * (1 + 2 * columns) + 2 * c  # table, row and cell starts take 1 each
                requests.append({"insertText": {"text": text, "location": {"index": cell}}})
                if r == 0 or (table.get("total") and r == len(grid) - 1):
                    requests.append(
                        {
                            "updateTextStyle": {
                                "range": {"startIndex": cell, "endIndex": cell + utf16_len(text)},
                                "textStyle": {"bold": True},
                                "fields": "bold",
                            }
                        }
                    )
        caption = str(table["caption"])
        requests.append({"insertText": {"text": caption, "location": {"index": at}}})
        requests.append(
            {
                "updateTextStyle": {
                    "range": {"startIndex": at, "endIndex": at + utf16_len(caption)},
                    "textStyle": {"bold": True},
                    "fields": "bold",
                }
            }
        )
    return requests


class GoogleDocsBuilder:
    """Implements the DocumentBuilder port on Drive and Docs; keeps each filled Doc for the clerk to read."""

    def __init__(self, plan: Plan, drive: Any, docs: Any, api: GoogleApi, out_dir: Path) -> None:
        if plan.google is None:
            raise ValueError("the Google document builder needs the plan's google section")
        self._google = plan.google
        self._drive = drive.files()
        self._docs = docs.documents()
        self._api = api
        self._out = out_dir

    def build(self, template_name: str, context: dict[str, Any], basename: str) -> BuiltReport:
        template_id = self._google.templates.get(template_key(template_name, str(context.get("kind", ""))))
        if not template_id:
            raise TemplateError(Path(template_name), "chưa có bản mẫu Google Docs (chạy `thidua google provision`)")
        template = self._api.execute(self._docs.get(documentId=template_id))
        names, marker = template_placeholders(template)
        unknown = sorted(n for n in names if n not in context and n != "tables")
        if unknown:
            raise TemplateError(
                Path(template_name),
                "dùng trường không có trong báo cáo: " + ", ".join("{{" + n + "}}" for n in unknown),
                unknown,
            )
        folder = self._google.deadline_folders.get(str(context.get("deadline_id", "")), self._google.folder_id)
        document_id = self._fresh_copy(template_id, basename, folder)
        requests: list[dict[str, Any]] = []
        if marker is not None:
            requests.append(
                {"deleteContentRange": {"range": {"startIndex": marker, "endIndex": marker + utf16_len(TABLES_MARKER)}}}
            )
            requests.extend(table_requests(list(context.get("tables", [])), marker))
        requests.extend(
            {
                "replaceAllText": {
                    "containsText": {"text": "{{" + name + "}}", "matchCase": True},
                    "replaceText": _text_value(context[name]),
                }
            }
            for name in sorted(names - {"tables"})
        )
        # Not retried in place: a batchUpdate Google applied before its answer was lost must not run twice. A
        # failed build is retried whole (the flow's task retry), from a fresh copy.
        self._api.execute(self._docs.batchUpdate(documentId=document_id, body={"requests": requests}),
                          idempotent=False)
        self._out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for mime, suffix in ((DOCX, ".docx"), (PDF, ".pdf")):
            try:
                data = self._api.execute(self._drive.export(fileId=document_id, mimeType=mime))
            except ExportTooLarge as error:
                raise ExportTooLarge(f"Báo cáo «{basename}» ({suffix[1:].upper()}): {error}") from error
            paths[suffix] = self._out / f"{basename}{suffix}"
            paths[suffix].write_bytes(data)
        # The annex is built from the same context here (no API call): it travels with the report's email.
        annex = write_annex(context, self._out / f"{basename}{ANNEX_SUFFIX}")
        return BuiltReport(docx=paths[".docx"], pdf=paths[".pdf"], annex=annex)

    def _fresh_copy(self, template_id: str, name: str, folder: str) -> str:
        """A re-run replaces its own earlier copy instead of piling up Docs with the same name."""
        query = f"name = '{name}' and '{folder}' in parents and trashed = false"
        earlier = self._api.execute(self._drive.list(q=query, fields="files(id)")).get("files", [])
        for old in earlier:
            self._api.execute(self._drive.delete(fileId=old["id"]))
        body = {"name": name, "parents": [folder]} if folder else {"name": name}
        request = self._drive.copy(fileId=template_id, body=body, fields="id")
        return str(self._api.execute(request, idempotent=False)["id"])
