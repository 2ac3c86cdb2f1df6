"""A report table grows from the template's own table: the clerk may move a column, change widths and shading,
and the filler still puts every value under its header, on the local path and on the Google path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from connectors.google.api import GoogleApi
from connectors.google.docs import GoogleDocsBuilder, StructureCache, template_key
from connectors.local.documents import EMPTY_TABLE_TEXT, LocalDocumentBuilder, docx_tables
from emulator.testing import WorkspaceClients

from .conftest import TEMPLATES, google_plan, upload_starter

MOVED = 2  # the third column ("Chiến sĩ thi đua cơ sở") becomes the first
WIDTHS_TWIPS = [1400, 2400, 900, 900, 900, 900, 900, 1056]


def _restyled_template(folder: Path) -> Path:
    """registration.docx with Bảng 1's third column moved first, new widths and a shaded header row."""
    folder.mkdir()
    for template in TEMPLATES.glob("*.docx"):
        shutil.copy(template, folder / template.name)
    document = Document(str(folder / "registration.docx"))
    table = next(t for t in document.tables if "registered_by_team.c1" in t._tbl.xml)
    grid = table._tbl.tblGrid
    columns = grid.findall(qn("w:gridCol"))
    grid.insert(0, columns[MOVED])
    for column, width in zip(grid.findall(qn("w:gridCol")), WIDTHS_TWIPS, strict=True):
        column.set(qn("w:w"), str(width))
    for r, row in enumerate(table._tbl.findall(qn("w:tr"))):
        cells = row.findall(qn("w:tc"))
        cells[0].addprevious(cells[MOVED])
        for tc, width in zip(row.findall(qn("w:tc")), WIDTHS_TWIPS, strict=True):
            tc.tcPr.find(qn("w:tcW")).set(qn("w:w"), str(width))
            if r == 0:
                shading = OxmlElement("w:shd")
                shading.set(qn("w:val"), "clear")
                shading.set(qn("w:fill"), "D9D9D9")
                tc.tcPr.append(shading)
    document.save(str(folder / "registration.docx"))
    return folder


def _expected(spec: dict[str, Any]) -> list[list[str]]:
    def moved(row: list[str]) -> list[str]:
        return [row[MOVED], *row[:MOVED], *row[MOVED + 1:]]

    return [moved(spec["headers"]), *(moved(r) for r in spec["rows"]), moved(spec["total"])]


def test_a_moved_column_and_new_widths_fill_right_on_the_local_path(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    templates = _restyled_template(tmp_path / "templates")
    context = context_of("D1")
    built = LocalDocumentBuilder(templates, tmp_path / "out").build("registration.docx", context, "D1")
    assert docx_tables(built.docx)[1] == _expected(context["tables"][0])
    table = Document(str(built.docx)).tables[1]
    widths = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in table._tbl.tr_lst[5].findall(qn("w:tc"))]
    assert widths == WIDTHS_TWIPS
    header = table._tbl.tr_lst[0].findall(qn("w:tc"))
    assert all(tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "D9D9D9" for tc in header)
    assert table._tbl.tr_lst[1].find(qn("w:trPr")) is not None  # item rows keep the template row's properties


def test_an_empty_list_keeps_the_header_and_says_none(tmp_path: Path,
                                                      context_of: Callable[[str], dict[str, Any]]) -> None:
    context = context_of("D1")
    context["tables"][4]["rows"] = []
    built = LocalDocumentBuilder(TEMPLATES, tmp_path).build("registration.docx", context, "D1")
    assert docx_tables(built.docx)[5] == [context["tables"][4]["headers"], [EMPTY_TABLE_TEXT]]


def test_a_moved_column_fills_right_on_the_google_path(
        docs_emulator: Any, tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    templates = _restyled_template(tmp_path / "templates")
    clients = WorkspaceClients(docs_emulator)
    template_id = upload_starter(clients, "registration.docx", "registration", templates=templates)
    context = context_of("D1")
    context["tables"][4]["rows"] = []
    plan = google_plan({template_key("registration.docx", "registration"): template_id})
    built = GoogleDocsBuilder(plan, clients.service("drive", "v3"), clients.service("docs", "v1"),
                              GoogleApi(sleep=lambda s: None), tmp_path / "out", StructureCache(),
                              export_docx=True).build("registration.docx", context, "D1-moved")
    tables = docx_tables(built.docx)
    assert tables[1] == _expected(context["tables"][0])
    assert tables[5][0] == context["tables"][4]["headers"]
    assert tables[5][1][0] == EMPTY_TABLE_TEXT and not any(tables[5][1][1:])
