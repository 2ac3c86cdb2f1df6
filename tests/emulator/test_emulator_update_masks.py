"""The update masks inside batchUpdate bodies (`fields`, `updateMask`) are checked against the schema they update,
as Google does, before any request of the batch is applied: a typo fails the whole batch with a 400 and changes
nothing; Google's documented forms (nested names, parentheses, snake_case, a lone `*` where offered) pass."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from emulator.discovery import UPDATE_MASK_ROOTS, mask_property, registry
from emulator.testing import WorkspaceClients


def _refused(call: Any) -> tuple[str, str]:
    """The message and the violation's field of the 400 a call gets."""
    with pytest.raises(HttpError) as caught:
        call.execute()
    assert caught.value.resp.status == 400
    error = json.loads(caught.value.content.decode("utf-8"))["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    (violation,) = error["details"][0]["fieldViolations"]
    return str(error["message"]), str(violation["field"])


# ---------------------------------------------------------------- Docs


def _doc_with_text(workspace: WorkspaceClients, text: str) -> tuple[Any, str]:
    docs = workspace.service("docs", "v1").documents()
    doc_id = docs.create(body={"title": "Báo cáo thi đua"}).execute()["documentId"]
    docs.batchUpdate(documentId=doc_id, body={"requests": [
        {"insertText": {"location": {"index": 1}, "text": text}}]}).execute()
    return docs, doc_id


def _text_runs(docs: Any, doc_id: str) -> list[dict[str, Any]]:
    content = docs.get(documentId=doc_id).execute()["body"]["content"]
    return [e["textRun"] for block in content for e in block.get("paragraph", {}).get("elements", [])]


def test_docs_a_misspelled_style_field_fails_the_whole_batch(workspace: WorkspaceClients) -> None:
    docs, doc_id = _doc_with_text(workspace, "Tổng kết")
    rng = {"startIndex": 1, "endIndex": 5}
    requests = [{"insertText": {"location": {"index": 1}, "text": "Trường "}},
                {"updateTextStyle": {"range": rng, "textStyle": {"bold": True}, "fields": "bolt"}}]

    message, field = _refused(docs.batchUpdate(documentId=doc_id, body={"requests": requests}))

    assert message == ("Invalid requests[1].updateTextStyle: Invalid field mask 'bolt'. "
                       "Cannot find matching fields for path 'bolt' in TextStyle.")
    assert field == "requests[1].updateTextStyle.fields"
    assert "".join(r["content"] for r in _text_runs(docs, doc_id)) == "Tổng kết\n"  # the insertText did not happen


@pytest.mark.parametrize(("kind", "args", "mask", "path"), [
    ("updateParagraphStyle", {"range": {"startIndex": 1, "endIndex": 3}, "paragraphStyle": {}},
     "alignment.start", "alignment.start"),  # a sub-field of a plain value
    ("updateTableColumnProperties", {"tableStartLocation": {"index": 2}, "columnIndices": [0],
                                     "tableColumnProperties": {}}, "widthType,widht", "widht"),
    ("updateTableCellStyle", {"tableStartLocation": {"index": 2}, "tableCellStyle": {}}, "backgroundColour",
     "backgroundColour"),
    ("updateDocumentStyle", {"documentStyle": {}}, "text_style", "text_style"),  # the root is implied
])
def test_docs_every_update_mask_is_checked_against_its_own_schema(
        workspace: WorkspaceClients, kind: str, args: dict[str, Any], mask: str, path: str) -> None:
    docs, doc_id = _doc_with_text(workspace, "Tổng kết")

    message, _ = _refused(docs.batchUpdate(documentId=doc_id, body={"requests": [{kind: {**args, "fields": mask}}]}))

    assert f"Cannot find matching fields for path '{path}'" in message


def test_docs_a_missing_mask_is_refused_in_googles_words(workspace: WorkspaceClients) -> None:
    docs, doc_id = _doc_with_text(workspace, "Tổng kết")
    style = {"range": {"startIndex": 1, "endIndex": 5}, "textStyle": {"bold": True}}

    for mask in (None, ""):
        args = style if mask is None else {**style, "fields": mask}
        message, _ = _refused(docs.batchUpdate(documentId=doc_id, body={"requests": [{"updateTextStyle": args}]}))
        assert message == "Invalid requests[0].updateTextStyle: At least one field must be listed in 'fields'."


def test_docs_snake_case_parentheses_and_star_masks_apply(workspace: WorkspaceClients) -> None:
    docs, doc_id = _doc_with_text(workspace, "Tổng kết năm")
    size = {"magnitude": 14, "unit": "PT"}
    requests = [
        {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 5}, "textStyle": {"fontSize": size, "bold": True},
                             "fields": "font_size,bold"}},  # "camelCase or separated_by_underscores"
        {"updateTextStyle": {"range": {"startIndex": 6, "endIndex": 9}, "textStyle": {"italic": True},
                             "fields": "*"}},
    ]

    docs.batchUpdate(documentId=doc_id, body={"requests": requests}).execute()

    styles = {r["content"]: r.get("textStyle", {}) for r in _text_runs(docs, doc_id)}
    assert styles["Tổng"] == {"fontSize": size, "bold": True}
    assert styles["kết"] == {"italic": True}


# ---------------------------------------------------------------- Sheets


def test_sheets_a_misspelled_cell_field_fails_the_whole_batch(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={"properties": {"title": "Nguồn thi đua"}}).execute()["spreadsheetId"]
    requests = [
        {"updateSpreadsheetProperties": {"properties": {"title": "Đổi tên"}, "fields": "title"}},
        {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1}, "fields": "userEnteredFormat.textFormat.bolt",
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}}},
    ]

    message, field = _refused(sheets.batchUpdate(spreadsheetId=sid, body={"requests": requests}))

    assert message == ("Invalid requests[1].repeatCell: Invalid field mask 'userEnteredFormat.textFormat.bolt'. "
                       "Cannot find matching fields for path 'userEnteredFormat.textFormat.bolt' in CellData.")
    assert field == "requests[1].repeatCell.fields"
    assert sheets.get(spreadsheetId=sid, fields="properties.title").execute()["properties"]["title"] == "Nguồn thi đua"


@pytest.mark.parametrize(("kind", "args", "mask", "refused"), [
    ("updateSheetProperties", {"properties": {"sheetId": 0}}, "gridProperties.rowCount.value",
     "Cannot find matching fields for path 'gridProperties.rowCount.value' in SheetProperties."),
    ("updateSheetProperties", {"properties": {"sheetId": 0}}, "properties.title",  # the root is implied
     "Cannot find matching fields for path 'properties' in SheetProperties."),
    ("updateSpreadsheetProperties", {"properties": {}}, "locale, timeZone",  # a space is part of a name
     "path ' timeZone'"),
    ("updateCells", {"start": {"sheetId": 0}, "rows": []}, "userEnteredFormat(numberFormat", "unclosed '('"),
    ("updateSpreadsheetProperties", {"properties": {}}, "title,*", "path '*'"),  # `*` only alone
    ("repeatCell", {"range": {"sheetId": 0}, "cell": {}}, "", "At least one field must be listed in 'fields'."),
])
def test_sheets_bad_masks_are_400s(workspace: WorkspaceClients, kind: str, args: dict[str, Any], mask: str,
                                   refused: str) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={}).execute()["spreadsheetId"]

    message, _ = _refused(sheets.batchUpdate(spreadsheetId=sid, body={"requests": [{kind: {**args, "fields": mask}}]}))

    assert message.startswith(f"Invalid requests[0].{kind}: ")
    assert refused in message


def test_sheets_documented_mask_forms_apply(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4").spreadsheets()
    sid = sheets.create(body={}).execute()["spreadsheetId"]
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}, "horizontalAlignment": "CENTER"}}
    requests = [
        {"updateSpreadsheetProperties": {"properties": {"locale": "vi_VN", "timeZone": "Asia/Ho_Chi_Minh"},
                                         "fields": "locale,time_zone"}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties/frozenRowCount"}},
        {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1, "endColumnIndex": 1}, "cell": bold,
                        "fields": "userEnteredFormat(textFormat.bold,horizontalAlignment)"}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 1}, "fields": "*",
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "Lớp 6A"}}]}]}},
    ]

    sheets.batchUpdate(spreadsheetId=sid, body={"requests": requests}).execute()

    got = sheets.get(spreadsheetId=sid, fields="properties(locale,timeZone),sheets(properties.gridProperties,"
                     "data.rowData.values(userEnteredValue,userEnteredFormat))").execute()
    assert got["properties"] == {"locale": "vi_VN", "timeZone": "Asia/Ho_Chi_Minh"}
    assert got["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 1
    rows = got["sheets"][0]["data"][0]["rowData"]
    assert rows[0]["values"][0]["userEnteredFormat"] == bold["userEnteredFormat"]
    assert rows[1]["values"][0]["userEnteredValue"] == {"stringValue": "Lớp 6A"}


# ---------------------------------------------------------------- Forms


def test_forms_a_misspelled_update_mask_fails_the_whole_batch(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1").forms()
    form_id = forms.create(body={"info": {"title": "Đăng ký thi đua"}}).execute()["formId"]
    requests = [{"updateFormInfo": {"info": {"description": "Mô tả"}, "updateMask": "description"}},
                {"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"},
                                    "updateMask": "emailCollection"}}]

    message, field = _refused(forms.batchUpdate(formId=form_id, body={"requests": requests}))

    assert message == ("Invalid requests[1].updateSettings: Invalid field mask 'emailCollection'. "
                       "Cannot find matching fields for path 'emailCollection' in FormSettings.")
    assert field == "requests[1].updateSettings.updateMask"
    assert "description" not in forms.get(formId=form_id).execute()["info"]


def test_forms_masks_required_star_only_where_offered_and_publish_settings(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1").forms()
    form_id = forms.create(body={"info": {"title": "Đăng ký"}}).execute()["formId"]
    item = {"title": "Lớp", "textItem": {}}
    forms.batchUpdate(formId=form_id, body={"requests": [
        {"createItem": {"item": item, "location": {"index": 0}}}]}).execute()
    publish = {"publishState": {"isPublished": True, "isAcceptingResponses": True}}

    empty, _ = _refused(forms.batchUpdate(formId=form_id, body={"requests": [
        {"updateFormInfo": {"info": {"title": "Mới"}, "updateMask": ""}}]}))
    star_item, _ = _refused(forms.batchUpdate(formId=form_id, body={"requests": [
        {"updateItem": {"item": item, "location": {"index": 0}, "updateMask": "*"}}]}))
    publish_typo, field = _refused(forms.setPublishSettings(formId=form_id, body={
        "publishSettings": publish, "updateMask": "publishStat"}))
    forms.batchUpdate(formId=form_id, body={"requests": [
        {"updateFormInfo": {"info": {"title": "Mới", "description": "Mô tả"}, "updateMask": "*"}},
        {"updateItem": {"item": {"title": "Khối"}, "location": {"index": 0}, "updateMask": "title"}}]}).execute()
    forms.setPublishSettings(formId=form_id, body={"publishSettings": publish, "updateMask": "publish_state"}).execute()

    assert empty == "Invalid requests[0].updateFormInfo: At least one field must be listed in 'updateMask'."
    assert star_item.startswith("Invalid requests[0].updateItem: '*' cannot be used in 'updateMask'")
    assert (publish_typo, field) == ("Invalid field mask 'publishStat'. Cannot find matching fields for path "
                                     "'publishStat' in PublishSettings.", "updateMask")
    form = forms.get(formId=form_id).execute()
    assert (form["info"]["title"], form["items"][0]["title"]) == ("Mới", "Khối")
    assert form["publishSettings"]["publishState"] == publish["publishState"]


# ---------------------------------------------------------------- the table of roots


def test_every_update_mask_in_the_discovery_documents_has_the_root_its_description_names() -> None:
    """A new FieldMask in a shipped discovery document fails here until UPDATE_MASK_ROOTS says what it updates; a
    description naming its root ("The root `cell` is implied") must agree with the table."""
    for api, roots in UPDATE_MASK_ROOTS.items():
        schemas = registry().documents[api].schemas
        with_masks = {sid for sid, s in schemas.items()
                      if any(p.get("format") == "google-fieldmask" for p in s.get("properties", {}).values())}
        assert with_masks == set(roots), api
        for sid, root in roots.items():
            assert root in schemas
            name, description = mask_property(schemas[sid])
            named = re.search(r"root `(\w+)` is implied", description)
            if named and named.group(1) in schemas:
                assert named.group(1) == root  # "The root `SlicerSpec`" names the schema itself
            elif named:
                camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), named.group(1))
                assert schemas[sid]["properties"][camel]["$ref"] == root, (sid, name)
