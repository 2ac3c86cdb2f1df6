"""Forms v1: create, batchUpdate, responses list/get with paging, admin submission and a linked sheet."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from emulator.testing import WorkspaceClients

PUBLISHED = {"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}


def make_form(forms: Any, publish: bool = True) -> tuple[str, list[str]]:
    form_id = forms.forms().create(body={"info": {"title": "Đăng ký danh hiệu thi đua"}}).execute()["formId"]
    reply = forms.forms().batchUpdate(
        formId=form_id,
        body={
            "requests": [
                {"updateFormInfo": {"info": {"description": "Hạn chót: 15/12"}, "updateMask": "description"}},
                {"createItem": {"location": {"index": 0}, "item": {"title": "Họ và tên",
                    "questionItem": {"question": {"required": True, "textQuestion": {}}}}}},
                {"createItem": {"location": {"index": 1}, "item": {"title": "Danh hiệu",
                    "questionItem": {"question": {"choiceQuestion": {"type": "RADIO",
                        "options": [{"value": "Lao động tiên tiến"}, {"value": "Chiến sĩ thi đua cơ sở"}]}}}}}},
                {"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"},
                                    "updateMask": "emailCollectionType"}},
            ],
            "includeFormInResponse": True,
        },
    ).execute()  # fmt: skip
    question_ids = [
        reply["replies"][1]["createItem"]["questionId"][0],
        reply["replies"][2]["createItem"]["questionId"][0],
    ]
    assert reply["replies"][0] == {} and reply["replies"][3] == {}
    assert reply["form"]["info"]["description"] == "Hạn chót: 15/12"
    if publish:
        forms.forms().setPublishSettings(formId=form_id, body=PUBLISHED).execute()
    return form_id, question_ids


def submit(workspace: WorkspaceClients, form_id: str, answers: dict[str, Any],
           created: str | None = None) -> requests.Response:
    body: dict[str, Any] = {"answers": answers, "respondentEmail": "gv@truong.edu.vn"}
    if created:
        body["createTime"] = created
    return requests.post(f"{workspace.base_url}/_emulator/forms/{form_id}/responses", json=body, timeout=10)


def test_form_round_trip_with_admin_responses_and_paging(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1")
    form_id, (name_q, title_q) = make_form(forms)
    form = forms.forms().get(formId=form_id).execute()
    assert [item["title"] for item in form["items"]] == ["Họ và tên", "Danh hiệu"]
    assert form["settings"] == {"emailCollectionType": "VERIFIED"}
    assert form["publishSettings"] == PUBLISHED["publishSettings"]

    people = ["Nguyễn Thị Hoa", "Trần Văn Đức", "Lê Thị Ánh"]
    for person in people:
        assert submit(workspace, form_id, {name_q: person, "Danh hiệu": "Lao động tiên tiến"}).status_code == 200
    first = forms.forms().responses().list(formId=form_id, pageSize=2).execute()
    second = forms.forms().responses().list(formId=form_id, pageSize=2, pageToken=first["nextPageToken"]).execute()
    got = [r["answers"][name_q]["textAnswers"]["answers"][0]["value"] for r in first["responses"] + second["responses"]]
    assert got == people and "nextPageToken" not in second
    one = forms.forms().responses().get(formId=form_id, responseId=second["responses"][0]["responseId"]).execute()
    assert one["answers"][title_q]["textAnswers"]["answers"] == [{"value": "Lao động tiên tiến"}]

    assert submit(workspace, form_id, {"Danh hiệu": "Lao động tiên tiến"}).status_code == 400  # required name missing
    assert submit(workspace, form_id, {name_q: "X", "Danh hiệu": "Không có"}).status_code == 400  # not an option


def test_a_form_created_through_the_api_is_unpublished_and_refuses_answers(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1")
    form_id, (name_q, _) = make_form(forms, publish=False)
    state = forms.forms().get(formId=form_id).execute()["publishSettings"]["publishState"]
    assert state == {"isPublished": False, "isAcceptingResponses": False}
    assert submit(workspace, form_id, {name_q: "A", "Danh hiệu": "Lao động tiên tiến"}).status_code == 403
    with pytest.raises(HttpError) as caught:  # accepting while unpublished is refused, as documented
        forms.forms().setPublishSettings(formId=form_id, body={"publishSettings": {"publishState": {
            "isPublished": False, "isAcceptingResponses": True}}}).execute()
    assert caught.value.resp.status == 400
    reply = forms.forms().setPublishSettings(formId=form_id, body={**PUBLISHED, "updateMask": "publishState"}).execute()
    assert reply == {"formId": form_id, **PUBLISHED}
    assert submit(workspace, form_id, {name_q: "A", "Danh hiệu": "Lao động tiên tiến"}).status_code == 200


def test_linking_by_hand_adds_a_response_tab_named_in_the_ui_language(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1")
    form_id, (name_q, _) = make_form(forms)
    gc = workspace.gspread()
    book = gc.create("Câu trả lời năm học")
    url = f"{workspace.base_url}/_emulator/forms/{form_id}/link"
    english = requests.post(url, json={"spreadsheetId": book.id, "language": "en"}, timeout=10).json()
    assert english["sheet"] == "Form Responses 1"
    vietnamese = requests.post(url, json={"spreadsheetId": book.id}, timeout=10).json()
    assert vietnamese["sheet"] == "Câu trả lời biểu mẫu 1"
    submit(workspace, form_id, {name_q: "Phạm Minh Châu", "Danh hiệu": "Chiến sĩ thi đua cơ sở"},
           created="2024-03-05T01:05:09Z")
    assert forms.forms().get(formId=form_id).execute()["linkedSheetId"] == book.id
    rows = gc.open_by_key(book.id).worksheet("Câu trả lời biểu mẫu 1").get_all_values()
    assert rows[0] == ["Dấu thời gian", "Địa chỉ email", "Họ và tên", "Danh hiệu"]
    # gspread's default is FORMATTED_VALUE: the spreadsheet's locale (en_US, Google's default) and zone (GMT)
    assert rows[1] == ["3/5/2024 1:05:09", "gv@truong.edu.vn", "Phạm Minh Châu", "Chiến sĩ thi đua cơ sở"]


def test_malformed_forms_requests_are_400(workspace: WorkspaceClients) -> None:
    forms = workspace.service("forms", "v1")
    with pytest.raises(HttpError) as caught:
        forms.forms().create(body={"info": {"title": "x"}, "items": [{"title": "y"}]}).execute()
    assert caught.value.resp.status == 400
    session = workspace.session()
    form_id = forms.forms().create(body={"info": {"title": "x"}}).execute()["formId"]
    url = f"https://forms.googleapis.com/v1/forms/{form_id}:batchUpdate"
    unknown = session.post(url, json={"requests": [{"createItem": {"item": {"title": "a", "colour": 1}}}]})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "Invalid JSON payload received. Unknown name \"colour\" at 'requests[0].createItem.item': Cannot find field."
    )
    wrong = session.post(
        url, json={"requests": [{"createItem": {"item": {"title": "a"}, "location": {"index": "đầu"}}}]}
    )
    assert wrong.status_code == 400 and "(TYPE_INT32)" in wrong.json()["error"]["message"]
