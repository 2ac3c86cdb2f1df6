"""The review reports' tables (sơ kết D3/D6, tổng kết D8) grow from the template's own tables, one per table key,
on both paths: what the clerk set on a table in the template (column widths, header shading, a column's font)
is in the filled report, the tables the report does not have are gone with their captions, no tag is left."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from connectors.google.api import GoogleApi
from connectors.google.docs import COPIES_RECORD, GoogleDocsBuilder, StructureCache, template_key
from connectors.local.documents import LocalDocumentBuilder, docx_tables, docx_text, render_docx
from emulator.testing import WorkspaceClients

from .conftest import TEMPLATES, google_plan, upload_starter

KEY = "phase2_summary"
#: The clerk's widths for the five columns (twips in Word; the same in points on Google: twips / 20).
WIDTHS_TWIPS = [2600, 1500, 1700, 2100, 2000]


def _grids(context: dict[str, Any]) -> list[list[list[str]]]:
    return [[t["headers"], *t["rows"], *([t["total"]] if t["total"] else [])] for t in context["tables"]]


def _restyled_review(folder: Path) -> Path:
    """review.docx with the second phase's summary table given new widths and a shaded header row."""
    folder.mkdir()
    for template in TEMPLATES.glob("*.docx"):
        shutil.copy(template, folder / template.name)
    document = Document(str(folder / "review.docx"))
    table = next(t for t in document.tables if f"{KEY}.c1" in t._tbl.xml)
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), WIDTHS_TWIPS, strict=True):
        column.set(qn("w:w"), str(width))
    for r, row in enumerate(table._tbl.findall(qn("w:tr"))):
        for tc, width in zip(row.findall(qn("w:tc")), WIDTHS_TWIPS, strict=True):
            tc.tcPr.find(qn("w:tcW")).set(qn("w:w"), str(width))
            if r == 0:
                shading = OxmlElement("w:shd")
                shading.set(qn("w:val"), "clear")
                shading.set(qn("w:fill"), "D9D9D9")
                tc.tcPr.append(shading)
    document.save(str(folder / "review.docx"))
    return folder


def test_review_tables_grow_from_the_restyled_template_on_the_local_path(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    templates = _restyled_review(tmp_path / "templates")
    context = context_of("D8")
    built = LocalDocumentBuilder(templates, tmp_path / "out").build("review.docx", context, "D8")
    assert docx_tables(built.docx)[1:-1] == _grids(context)  # the header and signature layout tables aside
    position = 1 + [t["key"] for t in context["tables"]].index(KEY)
    table = Document(str(built.docx)).tables[position]._tbl
    for tr in table.tr_lst:
        assert [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in tr.findall(qn("w:tc"))] == WIDTHS_TWIPS
    assert all(tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "D9D9D9" for tc in table.tr_lst[0].findall(qn("w:tc")))
    assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in table.tr_lst)  # each row keeps the row's props
    text = docx_text(built.docx)
    assert "{{" not in text and f"{KEY}." not in text


def test_an_interim_report_keeps_only_its_own_tables_on_the_local_path(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    context = context_of("D3")  # one phase started, no annual tables
    built = LocalDocumentBuilder(TEMPLATES, tmp_path).build("review.docx", context, "D3")
    assert docx_tables(built.docx)[1:-1] == _grids(context)
    captions = [p.text for p in Document(str(built.docx)).paragraphs if p.text.startswith("Bảng ")]
    assert captions == [t["caption"] for t in context["tables"]]
    assert "{{" not in docx_text(built.docx)


def test_a_registration_without_its_collective_table_fills_the_others_by_key(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    context = context_of("D1")  # as for a plan that does not collect F2: Bảng 3 left out, Bảng 4 and 5 renumbered
    context["tables"] = [t for t in context["tables"] if t["key"] != "collective_registration"]
    docx = render_docx(TEMPLATES / "registration.docx", context, tmp_path / "D1.docx")
    assert docx_tables(docx)[1:-1] == _grids(context)
    assert "{{" not in docx_text(docx)


def _doc_tables(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["table"] | {"startIndex": e["startIndex"]} for e in document["body"]["content"] if "table" in e]


def _cell_text(cell: dict[str, Any]) -> str:
    return "".join(run["textRun"]["content"] for p in cell["content"] if "paragraph" in p
                   for run in p["paragraph"]["elements"] if "textRun" in run).rstrip("\n")


def _runs(cell: dict[str, Any]) -> list[dict[str, Any]]:
    return [run for p in cell["content"] if "paragraph" in p for run in p["paragraph"]["elements"]
            if "textRun" in run and run["textRun"]["content"].strip()]


def _restyle_on_google(docs: Any, template_id: str) -> None:
    """What the clerk does in Google Docs: drag the columns of the second phase's summary to new widths and make
    its second column italic 10 pt (the template row's token holds the style every added row takes)."""
    document = docs.documents().get(documentId=template_id).execute()
    table = next(t for t in _doc_tables(document)
                 if any(f"{{{{{KEY}.c1}}}}" in _cell_text(c) for row in t["tableRows"] for c in row["tableCells"]))
    requests: list[dict[str, Any]] = [{"updateTableColumnProperties": {
        "tableStartLocation": {"index": table["startIndex"]}, "columnIndices": [c],
        "tableColumnProperties": {"widthType": "FIXED_WIDTH", "width": {"magnitude": w / 20, "unit": "PT"}},
        "fields": "widthType,width"}} for c, w in enumerate(WIDTHS_TWIPS)]
    template_cell = table["tableRows"][1]["tableCells"][1]
    token = _runs(template_cell)[0]
    requests.append({"updateTextStyle": {"range": {"startIndex": token["startIndex"], "endIndex": token["endIndex"]},
                                         "textStyle": {"italic": True, "fontSize": {"magnitude": 10, "unit": "PT"}},
                                         "fields": "italic,fontSize"}})
    docs.documents().batchUpdate(documentId=template_id, body={"requests": requests}).execute()


def test_review_tables_grow_from_the_restyled_template_on_the_google_path(
        docs_emulator: Any, tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    clients = WorkspaceClients(docs_emulator)
    docs = clients.service("docs", "v1")
    annual = upload_starter(clients, "review.docx", "annual")
    interim = upload_starter(clients, "review.docx", "interim")
    _restyle_on_google(docs, annual)
    plan = google_plan({template_key("review.docx", "annual"): annual,
                        template_key("review.docx", "interim"): interim})
    builder = GoogleDocsBuilder(plan, clients.service("drive", "v3"), docs, GoogleApi(sleep=lambda s: None),
                                tmp_path / "out", StructureCache(), export_docx=True)
    for deadline_id in ("D8", "D3"):
        context = context_of(deadline_id)
        built = builder.build("review.docx", context, deadline_id)
        assert docx_tables(built.docx)[1:-1] == _grids(context)
        assert "{{" not in docx_text(built.docx)
        copy_id = json.loads((tmp_path / "out" / COPIES_RECORD).read_text(encoding="utf-8"))[deadline_id]
        tables = _doc_tables(docs.documents().get(documentId=copy_id).execute())[1:-1]
        assert [[[_cell_text(c) for c in row["tableCells"]] for row in t["tableRows"]] for t in tables] \
            == _grids(context)
        if deadline_id == "D8":
            position = [t["key"] for t in context["tables"]].index(KEY)
            table = tables[position]
            widths = [p["width"]["magnitude"] for p in table["tableStyle"]["tableColumnProperties"]]
            assert widths == [w / 20 for w in WIDTHS_TWIPS]
            body_rows = table["tableRows"][1:-1]  # the total row is bold, the others as the template row
            assert len(body_rows) == len(context["tables"][position]["rows"])
            for row in body_rows:
                styles = [run["textRun"]["textStyle"] for run in _runs(row["tableCells"][1])]
                assert styles and all(s.get("italic") and s["fontSize"]["magnitude"] == 10 for s in styles)
