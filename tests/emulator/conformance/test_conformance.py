"""Google behaviours the product depends on, each with its public source: run against the emulator, and against
real Google when THIDUA_CONFORMANCE_CREDENTIALS and THIDUA_CONFORMANCE_USER are set (see conftest.py).

A test that passes on the emulator and fails on Google means the emulator is wrong: fix it, then the product.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import time
import uuid
from email.message import EmailMessage

import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from connectors.google import endpoints
from connectors.google.quotas import Limit, uniform_quotas
from emulator.accounts import fake_service_account
from emulator.server import EmulatorConfig
from tests.emulator.conformance.conftest import PRODUCT_SCOPES, Target, configured

GOOGLE_DOC = "application/vnd.google-apps.document"
PUBLISHED = {"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_READ = "https://www.googleapis.com/auth/gmail.readonly"
DRIVE_FULL = "https://www.googleapis.com/auth/drive"
# 13 March 2024 08:05:09 as a serial (days since 30/12/1899): a day above 12, so d/m and m/d cannot be confused.
SERIAL_13_MARCH = 45364 + (8 * 3600 + 5 * 60 + 9) / 86_400


def _error_reason(error: HttpError) -> str:
    import json

    body = json.loads(error.content.decode("utf-8"))
    return str(body["error"]["errors"][0]["reason"])


# ---------------------------------------------------------------------------------------------------- Forms


def test_a_form_created_through_the_api_starts_unpublished(google: Target) -> None:
    """Forms created with the API after 30 June 2026 are unpublished and take no responses until published.
    Source: https://developers.google.com/workspace/forms/api/guides/api-changes-to-google-forms"""
    forms = google.service("forms", "v1")
    form = forms.forms().create(body={"info": {"title": "Kiểm tra"}}).execute()
    google.keep(form["formId"])
    assert form["publishSettings"]["publishState"] == {"isPublished": False, "isAcceptingResponses": False}


def test_accepting_responses_while_unpublished_is_refused(google: Target) -> None:
    """"Setting is_accepting_responses to true and is_published to false isn't supported and returns an error."
    Source: PublishSettings in https://developers.google.com/workspace/forms/api/reference/rest/v1/forms"""
    forms = google.service("forms", "v1")
    form_id = google.keep(forms.forms().create(body={"info": {"title": "Kiểm tra"}}).execute()["formId"])
    bad = {"publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": True}}}
    with pytest.raises(HttpError) as caught:
        forms.forms().setPublishSettings(formId=form_id, body=bad).execute()
    assert caught.value.resp.status == 400
    reply = forms.forms().setPublishSettings(formId=form_id, body={**PUBLISHED, "updateMask": "publishState"}).execute()
    assert reply["publishSettings"] == PUBLISHED["publishSettings"]


def test_an_unpublished_form_takes_no_answers(google: Target) -> None:
    """An unpublished form accepts no responses. Source: "What happens if you do nothing" in
    https://developers.google.com/workspace/forms/api/guides/api-changes-to-google-forms (no API submits answers,
    so only the emulator's respondent endpoint can show it)."""
    emulator = google.emulator_only("Google has no API to answer a form")
    import requests

    forms = google.service("forms", "v1")
    form_id = forms.forms().create(body={"info": {"title": "Kiểm tra"}}).execute()["formId"]
    forms.forms().batchUpdate(formId=form_id, body={"requests": [{"createItem": {"location": {"index": 0}, "item": {
        "title": "Ý kiến", "questionItem": {"question": {"textQuestion": {}}}}}}]}).execute()
    url = f"{emulator.base_url}/_emulator/forms/{form_id}/responses"
    assert requests.post(url, json={"answers": {"Ý kiến": "Tốt"}}, timeout=10).status_code == 403
    forms.forms().setPublishSettings(formId=form_id, body=PUBLISHED).execute()
    assert requests.post(url, json={"answers": {"Ý kiến": "Tốt"}}, timeout=10).status_code == 200


def test_a_form_linked_by_hand_gets_a_new_tab_named_in_the_ui_language(google: Target) -> None:
    """Linking a form to an existing spreadsheet in the Forms UI adds a tab "Form Responses 1" (English UI;
    "Câu trả lời biểu mẫu 1" in Vietnamese) with "Timestamp"/"Dấu thời gian" first. Source: Google Forms Help,
    "Choose where to save form responses" (https://support.google.com/docs/answer/2917686); UI-only."""
    emulator = google.emulator_only("linking a form to a sheet is done in the Forms UI")
    import requests

    forms = google.service("forms", "v1")
    form_id = forms.forms().create(body={"info": {"title": "Kiểm tra"}}).execute()["formId"]
    book = google.gspread().create("Câu trả lời")
    url = f"{emulator.base_url}/_emulator/forms/{form_id}/link"
    assert requests.post(url, json={"spreadsheetId": book.id, "language": "en"}, timeout=10).json()["sheet"] == (
        "Form Responses 1")
    assert requests.post(url, json={"spreadsheetId": book.id, "language": "en"}, timeout=10).json()["sheet"] == (
        "Form Responses 2")
    assert requests.post(url, json={"spreadsheetId": book.id}, timeout=10).json()["sheet"] == (
        "Câu trả lời biểu mẫu 1")
    assert google.gspread().open_by_key(book.id).worksheet("Form Responses 1").row_values(1) == ["Timestamp"]


# ---------------------------------------------------------------------------------------------------- Sheets


def test_a_spreadsheet_created_through_the_api_defaults_to_en_us_and_gmt(google: Target) -> None:
    """Without locale/timeZone in the request a new spreadsheet is en_US and GMT. Sources: SpreadsheetProperties
    (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets#spreadsheetproperties) and
    gspread's recorded cassettes (every spreadsheet "locale": "en_US", "timeZone": "Etc/GMT")."""
    sheets = google.service("sheets", "v4")
    created = sheets.spreadsheets().create(body={"properties": {"title": "Mặc định"}}).execute()
    google.keep(created["spreadsheetId"])
    assert (created["properties"]["locale"], created["properties"]["timeZone"]) == ("en_US", "Etc/GMT")


@pytest.mark.parametrize(("locale", "shown"), [("en_US", "3/13/2024 8:05:09"), ("vi_VN", "13/3/2024 8:05:09")])
def test_a_date_time_value_is_shown_in_the_spreadsheets_locale(google: Target, locale: str, shown: str) -> None:
    """FORMATTED_VALUE follows "the spreadsheet's locale, not the requesting user's"; SERIAL_NUMBER gives "days since
    December 30th 1899"; FORMATTED_STRING the locale's text. Source: ValueRenderOption and DateTimeRenderOption
    (https://developers.google.com/workspace/sheets/api/reference/rest/v4/ValueRenderOption)."""
    sheets = google.service("sheets", "v4")
    book = sheets.spreadsheets().create(body={"properties": {"title": "Ngày", "locale": locale,
                                                             "timeZone": "Asia/Ho_Chi_Minh"}}).execute()
    sid = google.keep(book["spreadsheetId"])
    sheet_id = book["sheets"][0]["properties"]["sheetId"]
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [{"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
                  "endColumnIndex": 1},
        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME"}}},
        "fields": "userEnteredFormat.numberFormat"}}]}).execute()
    sheets.spreadsheets().values().update(spreadsheetId=sid, range="A1", valueInputOption="RAW",
                                          body={"values": [[SERIAL_13_MARCH]]}).execute()
    values = sheets.spreadsheets().values()
    assert values.get(spreadsheetId=sid, range="A1").execute()["values"] == [[shown]]
    serial = values.get(spreadsheetId=sid, range="A1", valueRenderOption="UNFORMATTED_VALUE",
                        dateTimeRenderOption="SERIAL_NUMBER").execute()["values"][0][0]
    assert abs(serial - SERIAL_13_MARCH) < 1e-6
    text = values.get(spreadsheetId=sid, range="A1", valueRenderOption="UNFORMATTED_VALUE",
                      dateTimeRenderOption="FORMATTED_STRING").execute()["values"][0][0]
    assert text == shown


def _two_tabs(google: Target) -> str:
    """A spreadsheet in New York time with tabs "Đợt 1" (a header, a date-time, a number, a boolean, 1/0) and
    "Ghi chú"."""
    sheets = google.service("sheets", "v4")
    book = sheets.spreadsheets().create(body={"properties": {"title": "Lưới", "timeZone": "America/New_York"},
                                              "sheets": [{"properties": {"title": "Đợt 1"}},
                                                         {"properties": {"title": "Ghi chú"}}]}).execute()
    sid = google.keep(book["spreadsheetId"])
    sheet_id = book["sheets"][0]["properties"]["sheetId"]
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [{"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 0,
                  "endColumnIndex": 1},
        "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME"}}},
        "fields": "userEnteredFormat.numberFormat"}}]}).execute()
    values = sheets.spreadsheets().values()
    values.update(spreadsheetId=sid, range="'Đợt 1'!A1", valueInputOption="RAW",
                  body={"values": [["Dấu thời gian", "Điểm", "Đạt"], [SERIAL_13_MARCH, 9.5, True]]}).execute()
    values.update(spreadsheetId=sid, range="'Đợt 1'!E2", valueInputOption="USER_ENTERED",
                  body={"values": [["=1/0"]]}).execute()
    values.update(spreadsheetId=sid, range="'Ghi chú'!A1", valueInputOption="RAW",
                  body={"values": [["Ghi chú"]]}).execute()
    return sid


def test_spreadsheets_get_with_ranges_answers_only_the_tabs_they_touch_with_their_cells(google: Target) -> None:
    """"Limiting the range returns only the portions of the spreadsheet that intersect the requested ranges"; "If a
    field mask is set, the includeGridData parameter is ignored"; effectiveValue is an ExtendedValue whose
    numberValue holds "Dates, Times and DateTimes ... as doubles in SERIAL_NUMBER format"; an ErrorValue's type
    "Corresponds to the `#DIV/0` error". Sources: spreadsheets.get
    (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/get), ExtendedValue and
    ErrorValue in the sheets.v4 discovery document."""
    sid = _two_tabs(google)
    spreadsheets = google.service("sheets", "v4").spreadsheets()
    mask = "properties.timeZone,sheets(properties.title,data.rowData.values.effectiveValue)"
    reply = spreadsheets.get(spreadsheetId=sid, ranges=["'Đợt 1'"], fields=mask).execute()  # no includeGridData
    assert reply["properties"] == {"timeZone": "America/New_York"}
    assert [s["properties"]["title"] for s in reply["sheets"]] == ["Đợt 1"]
    rows = reply["sheets"][0]["data"][0]["rowData"]
    assert [c.get("effectiveValue") for c in rows[0]["values"]] == [
        {"stringValue": "Dấu thời gian"}, {"stringValue": "Điểm"}, {"stringValue": "Đạt"}]
    stamp, number, flag, empty, error = rows[1]["values"]
    assert abs(stamp["effectiveValue"]["numberValue"] - SERIAL_13_MARCH) < 1e-6
    assert (number, flag) == ({"effectiveValue": {"numberValue": 9.5}}, {"effectiveValue": {"boolValue": True}})
    assert "effectiveValue" not in empty
    assert error["effectiveValue"]["errorValue"]["type"] == "DIVIDE_BY_ZERO"
    bare = spreadsheets.get(spreadsheetId=sid, ranges=["'Đợt 1'"], includeGridData=True,
                            fields="sheets.properties.title").execute()
    assert bare == {"sheets": [{"properties": {"title": "Đợt 1"}}]}  # the mask, not includeGridData, decides


def test_a_range_naming_a_missing_tab_fails_the_whole_get(google: Target) -> None:
    """A range whose sheet does not exist is a 400 "Unable to parse range: …" for the whole request, not an empty
    answer. Sources: invokable/laravel-google-sheets#13 and VoltaicHQ/Progress-Sheet-Updater#53 (a tab that is not
    there: "Unable to parse range", 400 INVALID_ARGUMENT)."""
    sid = _two_tabs(google)
    spreadsheets = google.service("sheets", "v4").spreadsheets()
    with pytest.raises(HttpError) as caught:
        spreadsheets.get(spreadsheetId=sid, ranges=["'Đợt 1'", "'Đợt 2'"], includeGridData=True).execute()
    assert caught.value.resp.status == 400
    assert "Unable to parse range" in caught.value.content.decode("utf-8")


# ---------------------------------------------------------------------------------------------------- Gmail


def _mail(google: Target, body: str, attachment: bytes = b"") -> EmailMessage:
    message = EmailMessage()
    message["From"] = message["To"] = google.user
    message["Subject"] = "thidua conformance"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@thidua.test>"
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="a.bin")
    return message


def test_a_raw_message_in_a_json_body_is_refused_above_a_megabyte(google: Target) -> None:
    """users.messages.send with `raw` in JSON fails far below the upload limit: "Request payload size exceeds the
    limit: 1048576 bytes." [400] (googleapis/google-api-dotnet-client#856; a 413 above ~6.5 MB in
    googleapis/google-api-go-client#374). The emulator models the strictest observed limit."""
    raw = base64.urlsafe_b64encode(_mail(google, "x", os.urandom(900_000)).as_bytes()).decode()
    reply = google.session().post("https://gmail.googleapis.com/gmail/v1/users/me/messages/send", json={"raw": raw})
    assert reply.status_code in (400, 413), reply.text[:200]


def test_the_upload_endpoint_takes_a_large_message_but_not_above_35_mb(google: Target) -> None:
    """messages.send's mediaUpload maxSize is 36700160 bytes (35 MB) on /upload/gmail/v1/users/{userId}/messages/send.
    Source: gmail.v1 discovery document shipped with google-api-python-client."""
    url = "https://gmail.googleapis.com/upload/gmail/v1/users/me/messages/send?uploadType=media"
    session = google.session()
    fine = session.post(url, data=_mail(google, "lớn", os.urandom(6 * 2**20)).as_bytes(),
                        headers={"Content-Type": "message/rfc822"})
    assert fine.status_code == 200, fine.text[:200]
    too_big = session.post(url, data=b"To: x@y.z\r\n\r\n" + b"a" * 36_700_161,
                           headers={"Content-Type": "message/rfc822"})
    assert too_big.status_code == 413


def test_gmail_search_finds_a_word_of_the_body(google: Target) -> None:
    """Gmail's `q` matches words of the message (the search operators page:
    https://support.google.com/mail/answer/7190); the product finds a sent report by a token in its body."""
    token = "thidua" + uuid.uuid4().hex[:20]
    gmail = google.service("gmail", "v1")
    endpoints_url = "https://gmail.googleapis.com/upload/gmail/v1/users/me/messages/send?uploadType=media"
    google.session().post(endpoints_url, data=_mail(google, f"Báo cáo\n(Mã thư: {token})").as_bytes(),
                          headers={"Content-Type": "message/rfc822"}).raise_for_status()
    found: list[object] = []
    for _ in range(20 if google.is_google else 1):  # Google indexes new mail within seconds
        found = gmail.users().messages().list(userId="me", q=f"in:sent {token}").execute().get("messages", [])
        if found:
            break
        time.sleep(3)
    assert len(found) == 1


def test_a_service_account_without_delegation_has_no_gmail(google: Target) -> None:
    """A service account is not a Gmail user: without domain-wide delegation Gmail answers 400
    "Precondition check failed." (failedPrecondition). Source: Gmail API errors
    (https://developers.google.com/workspace/gmail/api/guides/handle-errors) and domain-wide delegation guide."""
    undelegated = google.credentials(user=None)
    gmail = endpoints.build_service("gmail", "v1", undelegated, google.base_url)
    with pytest.raises(HttpError) as caught:
        gmail.users().getProfile(userId="me").execute()
    assert caught.value.resp.status == 400 and _error_reason(caught.value) == "failedPrecondition"


def test_a_scope_outside_the_delegation_is_unauthorized_client(google: Target) -> None:
    """The token endpoint refuses a delegated request for a scope the Admin console did not authorise:
    {"error": "unauthorized_client", "error_description": "Client is unauthorized to retrieve access tokens using
    this method, or client not authorized for any of the scopes requested."}. Source:
    https://developers.google.com/identity/protocols/oauth2/service-account#error-codes"""
    if google.is_google:
        ungranted = os.environ.get("THIDUA_CONFORMANCE_UNGRANTED_SCOPE",
                                   "https://www.googleapis.com/auth/gmail.settings.basic")
        target = google
    else:
        ungranted = GMAIL_READ
    scopes = (GMAIL_SEND, ungranted)
    if google.is_google:
        with pytest.raises(RefreshError, match="unauthorized_client"):
            target.credentials(scopes).refresh(_request())
        return
    allow = {fake_service_account().client_email: [GMAIL_SEND]}
    with configured(EmulatorConfig(delegation=allow)) as admin:
        admin.credentials((GMAIL_SEND,)).refresh(_request())
        with pytest.raises(RefreshError, match="unauthorized_client"):
            admin.credentials(scopes).refresh(_request())


def _request() -> object:
    from google.auth.transport.requests import Request

    return Request()


# ---------------------------------------------------------------------------------------------------- Drive


def test_drive_file_reaches_only_files_the_app_created(google: Target) -> None:
    """With drive.file an app sees "only the specific files you use with this app"; others answer 404 "File not
    found". Source: https://developers.google.com/workspace/drive/api/guides/api-specific-auth#drive-scopes"""
    drive = google.service("drive", "v3")
    if google.is_google:
        foreign = os.environ.get("THIDUA_CONFORMANCE_FOREIGN_FILE_ID")
        if not foreign:
            pytest.skip("set THIDUA_CONFORMANCE_FOREIGN_FILE_ID to a Doc of the user made outside the app")
    else:
        other_app = dataclasses.replace(fake_service_account(),
                                        client_email="other-app@elsewhere.iam.gserviceaccount.com")
        assert google.base_url is not None
        credentials = endpoints.service_account_credentials(other_app.info(google.base_url), (DRIVE_FULL,),
                                                            subject=google.user, base_url=google.base_url)
        foreign = endpoints.build_service("drive", "v3", credentials, google.base_url).files().create(
            body={"name": "Mẫu gõ tay", "mimeType": GOOGLE_DOC}).execute()["id"]
    own = google.keep(drive.files().create(body={"name": "Mẫu", "mimeType": GOOGLE_DOC}).execute()["id"])
    google.keep(drive.files().copy(fileId=own, body={"name": "Bản sao"}).execute()["id"])
    with pytest.raises(HttpError) as caught:
        drive.files().copy(fileId=foreign, body={"name": "Bản sao"}).execute()
    assert caught.value.resp.status == 404


def test_files_export_refuses_more_than_10_mb(google: Target) -> None:
    """"The exported content is limited to 10MB"; above it 403 exportSizeLimitExceeded "This file is too large to
    be exported." Sources: files.export reference, googleapis/google-api-dotnet-client#990."""
    client = google.gspread()
    book = client.create("Xuất lớn")
    google.keep(book.id)
    book.sheet1.resize(rows=240, cols=1)
    cell = "x" * 49_000  # under the 50,000-character cell limit
    for start in (1, 81, 161):
        book.values_update(f"A{start}", params={"valueInputOption": "RAW"},
                           body={"values": [[cell]] * 80})
    drive = google.service("drive", "v3")
    with pytest.raises(HttpError) as caught:
        drive.files().export(fileId=book.id, mimeType="text/csv").execute()
    assert caught.value.resp.status == 403 and _error_reason(caught.value) == "exportSizeLimitExceeded"


def test_drive_answers_a_parameter_of_another_method(google: Target) -> None:
    """Drive accepts includeItemsFromAllDrives (a files.list parameter) on files.get, as gspread sends it
    (gspread/http_client.py get_file_drive_metadata), while an unknown name is a 400."""
    drive = google.service("drive", "v3")
    file_id = google.keep(drive.files().create(body={"name": "x"}).execute()["id"])
    session = google.session()
    url = f"https://www.googleapis.com/drive/v3/files/{file_id}"
    ok = session.get(url, params={"supportsAllDrives": "true", "includeItemsFromAllDrives": "true", "fields": "id"})
    assert ok.status_code == 200 and ok.json() == {"id": file_id}


def test_drive_rate_limits_are_403_with_a_usage_limits_reason(google: Target) -> None:
    """"If you exceed a quota, you'll receive a 403: User rate limit exceeded"; the body carries reason
    userRateLimitExceeded, domain usageLimits, and no Retry-After. Sources:
    https://developers.google.com/workspace/drive/api/guides/limits, tidyverse/googledrive#380."""
    google.emulator_only("exceeding Drive's real quota would take 12,000 queries a minute")
    quotas = uniform_quotas(None).with_limits(drive_queries=Limit(per_user=2, per_project=None))
    with configured(EmulatorConfig(quotas=quotas)) as tight:
        session = tight.session()
        replies = [session.get("https://www.googleapis.com/drive/v3/files") for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 403]
    error = replies[2].json()["error"]["errors"][0]
    assert (error["reason"], error["domain"]) == ("userRateLimitExceeded", "usageLimits")
    assert "Retry-After" not in replies[2].headers


# ---------------------------------------------------------------------------------------------------- Docs


def test_a_table_ends_with_its_closing_unit(google: Target) -> None:
    """An empty 2×2 table at S spans S…S+12, cells' paragraphs at S+3, S+5, S+8, S+10 (the newline Google puts before
    a table makes S = index + 1). Source: https://developers.google.com/workspace/docs/api/how-tos/tables"""
    docs = google.service("docs", "v1")
    doc_id = google.keep(docs.documents().create(body={"title": "Bảng"}).execute()["documentId"])
    docs.documents().batchUpdate(documentId=doc_id, body={"requests": [
        {"insertTable": {"rows": 2, "columns": 2, "location": {"index": 1}}}]}).execute()
    content = docs.documents().get(documentId=doc_id).execute()["body"]["content"]
    table = next(e for e in content if "table" in e)
    start = table["startIndex"]
    assert start == 2 and table["endIndex"] == start + 12
    cells = [c["content"][0]["startIndex"] for row in table["table"]["tableRows"] for c in row["tableCells"]]
    assert cells == [start + 3, start + 5, start + 8, start + 10]


# ---------------------------------------------------------------------------------------------------- fields masks


def _refused_mask(call: object) -> dict[str, object]:
    """The error body of a call expected to fail for its `fields` mask."""
    import json

    with pytest.raises(HttpError) as caught:
        call.execute()  # type: ignore[attr-defined]
    assert caught.value.resp.status == 400, caught.value.content[:300]
    return dict(json.loads(caught.value.content.decode("utf-8"))["error"])


def test_a_fields_mask_naming_a_field_the_response_lacks_is_a_400(google: Target) -> None:
    """"If the fields query parameter has an error or is otherwise invalid, the server returns an HTTP 400 Bad
    Request status code ... "Invalid field selection canAddChildren"" (Drive: https://developers.google.com/
    workspace/drive/api/guides/fields-parameter; googleworkspace/java-samples#1547 for the body, reason
    invalidParameter). Sheets answers 400 INVALID_ARGUMENT "Request contains an invalid argument." with the
    violation "Error expanding 'fields' parameter. Cannot find matching fields for path 'sheets.sheetProperties'."
    (r-lib/gargle fixture sheets-spreadsheets-get-bad-field-mask_400; google/google-api-javascript-client#517).
    Valid nested masks (sub-selections, a/b, lists walked into their items, maps) pass."""
    sheets = google.service("sheets", "v4").spreadsheets()
    sid = google.keep(sheets.create(body={"properties": {"title": "Mặt nạ"}}).execute()["spreadsheetId"])
    error = _refused_mask(sheets.get(spreadsheetId=sid, fields="sheets.sheetProperties"))
    assert error["status"] == "INVALID_ARGUMENT"
    assert "Cannot find matching fields for path 'sheets.sheetProperties'" in str(error.get("details"))
    good = sheets.get(spreadsheetId=sid, fields="sheets(properties.title,data.rowData.values.effectiveValue)").execute()
    assert good["sheets"][0]["properties"] == {"title": "Sheet1"}

    drive = google.service("drive", "v3").files()
    doc = google.keep(drive.create(body={"name": "Mặt nạ", "mimeType": GOOGLE_DOC}).execute()["id"])
    for bad in (drive.get(fileId=doc, fields="id,nmae"), drive.list(fields="files(id,nmae),nextPageToken")):
        error = _refused_mask(bad)
        assert error["message"] == "Invalid field selection nmae"
        assert error["errors"][0]["reason"] == "invalidParameter"  # type: ignore[index]
    assert drive.get(fileId=doc, fields="id,name,exportLinks,appProperties").execute()["name"] == "Mặt nạ"
    listed = drive.list(q="name = 'Mặt nạ'", fields="files(id,name),nextPageToken").execute()
    assert {"id": doc, "name": "Mặt nạ"} in listed["files"]

    docs = google.service("docs", "v1").documents()
    error = _refused_mask(docs.get(documentId=doc, fields="title,bodyy"))
    assert error["status"] == "INVALID_ARGUMENT" and "'bodyy'" in str(error.get("details"))
    assert docs.get(documentId=doc, fields="title,body.content(startIndex)").execute()["title"] == "Mặt nạ"

    messages = google.service("gmail", "v1").users().messages()
    raw = base64.urlsafe_b64encode(_mail(google, "mặt nạ").as_bytes()).decode()
    sent = messages.send(userId="me", body={"raw": raw}, fields="id").execute()
    error = _refused_mask(messages.list(userId="me", fields="mesages(id),nextPageToken"))
    assert error["status"] == "INVALID_ARGUMENT"
    error = _refused_mask(messages.get(userId="me", id=sent["id"], fields="payload/headerz"))
    assert error["status"] == "INVALID_ARGUMENT" and "'payload.headerz'" in str(error.get("details"))
    got = messages.get(userId="me", id=sent["id"], fields="id,payload/headers").execute()
    assert set(got) == {"id", "payload"} and set(got["payload"]) == {"headers"}
    assert "messages" in messages.list(userId="me", fields="messages(id,threadId),nextPageToken").execute()


def test_a_bad_update_mask_fails_the_whole_batch_and_documented_masks_pass(google: Target) -> None:
    """Update masks use the syntax of read masks ("The syntax for update field masks is the same as read field
    masks", names "in camelCase or separated_by_underscores": Docs and Sheets "Use field masks" guides); "*" updates
    every field (Sheets batchUpdate guide, "Field masks"); "If any request is not valid then the entire request will
    fail and nothing will be applied" (spreadsheets.batchUpdate reference). A misspelled name is a 400
    INVALID_ARGUMENT and the request before it in the batch is not applied."""
    sheets = google.service("sheets", "v4").spreadsheets()
    sid = google.keep(sheets.create(body={"properties": {"title": "Mặt nạ cập nhật"}}).execute()["spreadsheetId"])
    rename = {"updateSpreadsheetProperties": {"properties": {"title": "Đổi tên"}, "fields": "title"}}
    bold = {"repeatCell": {"range": {"sheetId": 0, "endRowIndex": 1}, "fields": "userEnteredFormat.textFormat.bolt",
                           "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}}}}
    assert _refused_mask(sheets.batchUpdate(spreadsheetId=sid, body={"requests": [rename, bold]}))[
        "status"] == "INVALID_ARGUMENT"
    title = sheets.get(spreadsheetId=sid, fields="properties.title").execute()["properties"]["title"]
    assert title == "Mặt nạ cập nhật"
    bold["repeatCell"]["fields"] = "user_entered_format(text_format.bold)"
    sheets.batchUpdate(spreadsheetId=sid, body={"requests": [rename, bold, {"updateCells": {
        "start": {"sheetId": 0, "rowIndex": 1}, "fields": "*",
        "rows": [{"values": [{"userEnteredValue": {"stringValue": "6A"}}]}]}}]}).execute()

    docs = google.service("docs", "v1").documents()
    doc = google.keep(docs.create(body={"title": "Mặt nạ cập nhật"}).execute()["documentId"])
    insert = {"insertText": {"location": {"index": 1}, "text": "Tổng kết"}}
    style = {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 5}, "textStyle": {"bold": True},
                                 "fields": "bolt"}}
    assert _refused_mask(docs.batchUpdate(documentId=doc, body={"requests": [insert, style]}))[
        "status"] == "INVALID_ARGUMENT"
    assert docs.get(documentId=doc).execute()["body"]["content"][-1]["endIndex"] == 2  # nothing inserted
    style["updateTextStyle"]["fields"] = "bold,font_size"
    docs.batchUpdate(documentId=doc, body={"requests": [insert, style]}).execute()

    forms = google.service("forms", "v1").forms()
    form = google.keep(forms.create(body={"info": {"title": "Mặt nạ cập nhật"}}).execute()["formId"])
    info = {"updateFormInfo": {"info": {"description": "Mô tả"}, "updateMask": "description"}}
    settings = {"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"}, "updateMask": "emailCollection"}}
    assert _refused_mask(forms.batchUpdate(formId=form, body={"requests": [info, settings]}))[
        "status"] == "INVALID_ARGUMENT"
    assert "description" not in forms.get(formId=form).execute()["info"]
    settings["updateSettings"]["updateMask"] = "email_collection_type"
    forms.batchUpdate(formId=form, body={"requests": [info, settings]}).execute()


def test_product_scopes_are_the_ones_the_suite_uses() -> None:
    """The suite runs with the product's own scopes (drive.file, not drive), so it proves what the product meets."""
    assert DRIVE_FULL not in PRODUCT_SCOPES and "https://www.googleapis.com/auth/drive.file" in PRODUCT_SCOPES
