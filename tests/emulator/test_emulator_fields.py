"""The `fields` partial-response mask is checked against the called method's response schema, as Google does:
an unknown name is a 400 in each API family's own shape, valid nested masks select what they name."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from emulator.testing import DEFAULT_USER, WorkspaceClients

DOC = "application/vnd.google-apps.document"


def _error(call: Any) -> dict[str, Any]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    assert caught.value.resp.status == 400
    return dict(json.loads(caught.value.content.decode("utf-8"))["error"])


def _violation(error: dict[str, Any]) -> dict[str, str]:
    (detail,) = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    (violation,) = detail["fieldViolations"]
    return dict(violation)


def test_sheets_get_with_a_misspelled_field_is_googles_invalid_argument(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={"properties": {"title": "Bảng thi đua"}}).execute()["spreadsheetId"]

    error = _error(sheets.get(spreadsheetId=sid, fields="properties.title,sheets.sheetProperties"))

    assert (error["code"], error["status"], error["message"]) == (
        400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    assert _violation(error) == {
        "field": "properties.title,sheets.sheetProperties",
        "description": "Error expanding 'fields' parameter. Cannot find matching fields for path "
                       "'sheets.sheetProperties'."}


def test_sheets_nested_and_snake_case_masks_select_what_they_name(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={"properties": {"title": "Bảng thi đua"}}).execute()["spreadsheetId"]
    sheets.values().update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [[9.5]]}).execute()

    nested = sheets.get(spreadsheetId=sid, fields="sheets(properties.title,data.rowData.values.effectiveValue)")
    snake = sheets.get(spreadsheetId=sid, fields="spreadsheet_id,sheets.properties.sheet_id")  # "camelCase or
    # separated_by_underscores" (Sheets field masks guide)

    assert nested.execute() == {"sheets": [{"properties": {"title": "Sheet1"}, "data": [
        {"rowData": [{"values": [{"effectiveValue": {"numberValue": 9.5}}]}]}]}]}
    assert snake.execute() == {"spreadsheetId": sid, "sheets": [{"properties": {"sheetId": 0}}]}


def test_a_sub_field_of_a_plain_value_is_unknown(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={}).execute()["spreadsheetId"]

    error = _error(sheets.get(spreadsheetId=sid, fields="properties(title(text))"))

    assert "'properties.title.text'" in _violation(error)["description"]


def test_drive_get_and_list_with_a_misspelled_field_name_it(workspace: WorkspaceClients) -> None:
    files = workspace.service("drive", "v3").files()
    file_id = files.create(body={"name": "Mẫu báo cáo", "mimeType": DOC}, fields="id").execute()["id"]

    for call in (files.get(fileId=file_id, fields="id,nmae"),
                 files.list(fields="nextPageToken,files(id,capabilities/canAddChildre)")):
        error = _error(call)
        bad = "nmae" if "nmae" in str(call.uri) else "canAddChildre"
        assert error["message"] == f"Invalid field selection {bad}"
        assert error["errors"] == [{"message": f"Invalid field selection {bad}", "domain": "global",
                                    "reason": "invalidParameter", "location": "fields", "locationType": "parameter"}]


def test_drive_masks_walk_lists_and_accept_map_keys(workspace: WorkspaceClients) -> None:
    files = workspace.service("drive", "v3").files()
    body = {"name": "Mẫu báo cáo", "mimeType": DOC, "appProperties": {"khoi": "6", "lop": "6A"}}
    file_id = files.create(body=body, fields="id").execute()["id"]

    listed = files.list(fields="files(id,name),nextPageToken").execute()
    one = files.get(fileId=file_id, fields="appProperties/khoi,exportLinks,capabilities/canEdit").execute()

    assert listed == {"files": [{"id": file_id, "name": "Mẫu báo cáo"}]}
    assert one["appProperties"] == {"khoi": "6"}  # a map (additionalProperties) takes any key below it


def test_a_bad_mask_on_a_write_changes_nothing(workspace: WorkspaceClients) -> None:
    files = workspace.service("drive", "v3").files()

    _error(files.create(body={"name": "Không được tạo"}, fields="id,nmae"))

    assert files.list(q="name = 'Không được tạo'").execute()["files"] == []


def test_broken_mask_syntax_is_a_400(workspace: WorkspaceClients) -> None:
    files = workspace.service("drive", "v3").files()
    docs = workspace.service("docs", "v1").documents()

    for call in (files.list(fields="files(id"), files.list(fields="files(id)),name"), files.list(fields="files,,id")):
        assert _error(call)["errors"][0]["reason"] == "invalidParameter"
    assert _error(docs.get(documentId="x", fields="title)"))["status"] == "INVALID_ARGUMENT"


def test_docs_and_forms_masks_are_checked(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1").documents()
    forms = workspace.service("forms", "v1").forms()
    doc_id = docs.create(body={"title": "Biên bản"}).execute()["documentId"]
    form_id = forms.create(body={"info": {"title": "Phiếu"}}).execute()["formId"]

    assert "'body.contnet'" in _violation(_error(docs.get(documentId=doc_id, fields="title,body.contnet")))[
        "description"]
    assert "'info.titel'" in _violation(_error(forms.get(formId=form_id, fields="info/titel")))["description"]
    assert docs.get(documentId=doc_id, fields="title").execute() == {"title": "Biên bản"}
    assert forms.get(formId=form_id, fields="info(title)").execute() == {"info": {"title": "Phiếu"}}


def test_gmail_list_and_get_masks_are_checked(workspace: WorkspaceClients) -> None:
    messages = workspace.service("gmail", "v1").users().messages()
    mail = EmailMessage()
    mail["From"] = mail["To"] = DEFAULT_USER
    mail["Subject"] = "Báo cáo thi đua"
    mail.set_content("Kính gửi")
    raw = base64.urlsafe_b64encode(mail.as_bytes()).decode()
    sent = messages.send(userId="me", body={"raw": raw}, fields="id").execute()

    listed_error = _error(messages.list(userId="me", fields="mesages(id),nextPageToken"))
    got_error = _error(messages.get(userId="me", id=sent["id"], fields="payload/headerz"))
    got = messages.get(userId="me", id=sent["id"], fields="id,payload/headers(name,value)").execute()

    assert "'mesages'" in _violation(listed_error)["description"]
    assert "'payload.headerz'" in _violation(got_error)["description"]
    assert set(got) == {"id", "payload"} and {"name": "Subject", "value": "Báo cáo thi đua"} in got["payload"][
        "headers"]
    assert messages.list(userId="me", fields="messages(id),resultSizeEstimate").execute()["messages"] == [
        {"id": sent["id"]}]


def test_a_space_in_a_sheets_mask_is_part_of_a_name_but_drive_takes_it(workspace: WorkspaceClients) -> None:
    """ringo380/claude-google-sheets-mcp#4: Sheets refuses 'properties, sheets.properties'; Drive's fields-parameter
    guide writes 'title, mimeType'."""
    sheets = workspace.service("sheets", "v4").spreadsheets()
    files = workspace.service("drive", "v3").files()
    sid = sheets.create(body={}).execute()["spreadsheetId"]

    error = _error(sheets.get(spreadsheetId=sid, fields="properties, sheets.properties"))

    assert "path ' sheets.properties'" in _violation(error)["description"]
    assert files.get(fileId=sid, fields="id, name").execute() == {"id": sid, "name": "Untitled spreadsheet"}
