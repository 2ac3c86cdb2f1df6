"""A report filled in Google Docs with one batchUpdate, read back from the Doc and from its DOCX export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from connectors.google.api import GoogleApi
from connectors.google.docs import COPIES_RECORD, GoogleDocsBuilder, StructureCache
from connectors.local.documents import TemplateError
from emulator.server import WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua.plan import GoogleSettings, Plan, parse_plan

REPO = Path(__file__).resolve().parents[2]
CONTEXT = json.loads((REPO / "tests" / "fixtures" / "contexts" / "D1.json").read_text(encoding="utf-8"))
TEMPLATE_TEXT = ("{{school_header}}\n{{number}}\n{{place_date}}\nBÁO CÁO\n{{title}}\n{{intro}}\n{{tables}}\n"
                 "{{signer_title}}\n{{signer_name}}\nNơi nhận:\n{{recipients}}\n")


def _template(workspace: WorkspaceClients, text: str) -> str:
    docs = workspace.service("docs", "v1")
    document_id = docs.documents().create(body={"title": "Mẫu đăng ký"}).execute()["documentId"]
    docs.documents().batchUpdate(documentId=document_id, body={
        "requests": [{"insertText": {"text": text, "location": {"index": 1}}}]}).execute()
    return str(document_id)


def _plan_for(template_id: str) -> Plan:
    plan = parse_plan((REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    google = GoogleSettings(user="van.thu@truong-thcs.edu.vn",
                            templates={"registration.docx:registration": template_id})
    return plan.model_copy(update={"google": google})


def _builder(workspace: WorkspaceClients, plan: Plan, out: Path, cache: StructureCache | None = None,
             export_docx: bool = True) -> GoogleDocsBuilder:
    return GoogleDocsBuilder(plan, workspace.service("drive", "v3"), workspace.service("docs", "v1"),
                             GoogleApi(sleep=lambda s: None), out, cache or StructureCache(), export_docx)


def _calls(emulator: WorkspaceEmulator) -> list[str]:
    return [e.method_id or "" for e in emulator.log.entries() if e.path != "/token"]


def test_report_is_filled_with_one_batch_update_and_exported(workspace: WorkspaceClients, tmp_path: Path,
                                                             emulator: WorkspaceEmulator) -> None:
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT))
    emulator.log.clear()
    built = _builder(workspace, plan, tmp_path).build("registration.docx", CONTEXT, "D1")
    assert _calls(emulator) == ["drive.files.get", "docs.documents.get", "drive.files.copy",
                                "docs.documents.batchUpdate", "drive.files.export", "drive.files.export"]
    document = Document(str(built.docx))
    text = "\n".join(p.text for p in document.paragraphs)
    assert CONTEXT["title"] in text and CONTEXT["signer_name"] in text and "{{" not in text
    grids = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    expected = [[t["headers"], *t["rows"], *([t["total"]] if t["total"] else [])] for t in CONTEXT["tables"]]
    assert grids == expected
    captions = [p.text for p in document.paragraphs if p.text.startswith("Bảng ")]
    assert captions == [t["caption"] for t in CONTEXT["tables"]]
    assert built.pdf is not None and built.pdf.read_bytes().startswith(b"%PDF")


def test_unknown_placeholder_is_refused_before_any_write(workspace: WorkspaceClients, tmp_path: Path,
                                                         emulator: WorkspaceEmulator) -> None:
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT + "{{nguoi_ky}}\n"))
    emulator.log.clear()
    with pytest.raises(TemplateError) as caught:
        _builder(workspace, plan, tmp_path).build("registration.docx", CONTEXT, "D1")
    assert caught.value.placeholders == ("nguoi_ky",)
    assert [e.method_id for e in emulator.log.entries() if e.path != "/token"] == ["drive.files.get",
                                                                                   "docs.documents.get"]


def test_without_the_docx_export_a_report_is_five_calls_and_four_once_the_template_is_known(
        workspace: WorkspaceClients, tmp_path: Path, emulator: WorkspaceEmulator) -> None:
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT))
    builder = _builder(workspace, plan, tmp_path, export_docx=False)
    emulator.log.clear()
    first = builder.build("registration.docx", CONTEXT, "D1")
    assert _calls(emulator) == ["drive.files.get", "docs.documents.get", "drive.files.copy",
                                "docs.documents.batchUpdate", "drive.files.export"]
    assert first.docx.suffix == ".url" and "docs.google.com/document/d/" in first.docx.read_text(encoding="utf-8")
    emulator.log.clear()
    builder.build("registration.docx", CONTEXT, "D1-bis")
    assert _calls(emulator) == ["drive.files.get", "drive.files.copy", "docs.documents.batchUpdate",
                                "drive.files.export"]


def test_an_edit_of_the_template_between_two_reports_is_in_the_second(
        workspace: WorkspaceClients, tmp_path: Path, emulator: WorkspaceEmulator) -> None:
    template_id = _template(workspace, TEMPLATE_TEXT)
    builder = _builder(workspace, _plan_for(template_id), tmp_path, export_docx=True)
    first = builder.build("registration.docx", CONTEXT, "D1")
    docs = workspace.service("docs", "v1")
    # The clerk adds a sentence before the tables, shifting every index the cached structure holds.
    at = next(e["startIndex"] for e in docs.documents().get(documentId=template_id).execute()["body"]["content"]
              if "paragraph" in e and "{{tables}}" in "".join(r.get("textRun", {}).get("content", "")
                                                          for r in e["paragraph"]["elements"]))
    edit = "Số liệu tổng hợp từ phiếu đăng ký của các tổ ({{school_name}}).\n"
    docs.documents().batchUpdate(documentId=template_id, body={
        "requests": [{"insertText": {"text": edit, "location": {"index": at}}}]}).execute()
    emulator.log.clear()
    second = builder.build("registration.docx", CONTEXT, "D1-sau-khi-sua")
    assert _calls(emulator)[:3] == ["drive.files.get", "docs.documents.get", "drive.files.copy"]
    before = "\n".join(p.text for p in Document(str(first.docx)).paragraphs)
    after = "\n".join(p.text for p in Document(str(second.docx)).paragraphs)
    added = f"Số liệu tổng hợp từ phiếu đăng ký của các tổ ({CONTEXT['school_name']})."
    assert added not in before and added in after and "{{" not in after
    grids = [[[c.text for c in row.cells] for row in t.rows] for t in Document(str(second.docx)).tables]
    assert grids == [[t["headers"], *t["rows"], *([t["total"]] if t["total"] else [])] for t in CONTEXT["tables"]]
    emulator.log.clear()
    builder.build("registration.docx", CONTEXT, "D1-lan-ba")  # unchanged since: the cached structure serves
    assert _calls(emulator)[:2] == ["drive.files.get", "drive.files.copy"]


def test_a_rerun_replaces_its_earlier_copy_by_the_recorded_id_without_searching(
        workspace: WorkspaceClients, tmp_path: Path, emulator: WorkspaceEmulator) -> None:
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT))
    builder = _builder(workspace, plan, tmp_path, export_docx=False)
    builder.build("registration.docx", CONTEXT, "D1")
    first_id = json.loads((tmp_path / COPIES_RECORD).read_text(encoding="utf-8"))["D1"]
    emulator.log.clear()
    builder.build("registration.docx", CONTEXT, "D1")
    assert _calls(emulator) == ["drive.files.get", "drive.files.delete", "drive.files.copy",
                                "docs.documents.batchUpdate", "drive.files.export"]
    second_id = json.loads((tmp_path / COPIES_RECORD).read_text(encoding="utf-8"))["D1"]
    assert second_id != first_id
    names = workspace.service("drive", "v3").files().list(q="name = 'D1' and trashed = false").execute()["files"]
    assert [f["id"] for f in names] == [second_id]


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_image_google_could_not_fetch_fails_the_request_and_a_shared_one_goes_in(
        workspace: WorkspaceClients) -> None:
    import io

    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaIoBaseUpload

    drive, docs = workspace.service("drive", "v3"), workspace.service("docs", "v1")
    image = drive.files().create(body={"name": "bieu-do.png"}, fields="id,webContentLink",
                                 media_body=MediaIoBaseUpload(io.BytesIO(_png()), mimetype="image/png")).execute()
    document_id = docs.documents().create(body={"title": "Ảnh"}).execute()["documentId"]
    insert = {"requests": [{"insertInlineImage": {"uri": image["webContentLink"], "location": {"index": 1}}}]}
    with pytest.raises(HttpError) as caught:  # private to its owner: Google's fetcher has no credentials
        docs.documents().batchUpdate(documentId=document_id, body=insert).execute()
    assert caught.value.resp.status == 400 and "problem retrieving the image" in str(caught.value)
    unreachable = {"requests": [{"insertInlineImage": {"uri": "https://127.0.0.1:9/khong-co.png",
                                                       "location": {"index": 1}}}]}
    with pytest.raises(HttpError):
        docs.documents().batchUpdate(documentId=document_id, body=unreachable).execute()
    permission = drive.permissions().create(fileId=image["id"], body={"type": "anyone", "role": "reader"},
                                            fields="id").execute()
    docs.documents().batchUpdate(documentId=document_id, body=insert).execute()
    drive.permissions().delete(fileId=image["id"], permissionId=permission["id"]).execute()
    with pytest.raises(HttpError):
        docs.documents().batchUpdate(documentId=document_id, body=insert).execute()
    assert len(docs.documents().get(documentId=document_id).execute()["inlineObjects"]) == 1


def test_charts_go_into_the_doc_and_nothing_stays_shared_or_uploaded(workspace: WorkspaceClients, tmp_path: Path,
                                                                     emulator: WorkspaceEmulator) -> None:
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT + "{{charts}}\n"))
    emulator.log.clear()
    built = _builder(workspace, plan, tmp_path, export_docx=False).build("registration.docx", CONTEXT, "D1")
    charts = len(CONTEXT["charts"])
    assert _calls(emulator) == ["drive.files.get", "docs.documents.get", "drive.files.copy",
                                *["drive.files.create", "drive.permissions.create"] * charts,
                                "docs.documents.batchUpdate", *["drive.files.delete"] * charts, "drive.files.export"]
    copy_id = json.loads((tmp_path / COPIES_RECORD).read_text(encoding="utf-8"))["D1"]
    document = workspace.service("docs", "v1").documents().get(documentId=copy_id).execute()
    assert len(document["inlineObjects"]) == charts
    files = workspace.service("drive", "v3").files().list(q="trashed = false", fields="files(name,mimeType)").execute()
    assert not [f for f in files["files"] if f["mimeType"] == "image/png"]
    assert built.pdf is not None
    from connectors.local.documents import pdf_text
    text = pdf_text(built.pdf)
    assert all(chart["caption"].split(".")[0] in text for chart in CONTEXT["charts"])
