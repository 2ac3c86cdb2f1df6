"""The Sheets reader against response sheets Google writes: date-time values in any locale and zone, and a tab
the clerk linked by hand in the Forms UI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from connectors.google.api import GoogleApi
from connectors.google.sheets import SheetsSource, SheetTabMissing, grid_values
from emulator.testing import WorkspaceClients
from thidua.plan import Plan, Source, parse_plan
from thidua.rows import Table

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"
NO_WAIT = GoogleApi(sleep=lambda seconds: None)
PUBLISHED = {"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def _f4_form(workspace: WorkspaceClients, source: Source) -> tuple[str, dict[str, str]]:
    """A published form with F4's questions (email collected by Google, as provisioning makes it)."""
    forms = workspace.service("forms", "v1")
    form_id = forms.forms().create(body={"info": {"title": source.name}}).execute()["formId"]
    questions = [h for f, h in source.columns.items() if f not in ("timestamp", "email")]
    requests_ = [{"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"},
                                     "updateMask": "emailCollectionType"}}]
    requests_ += [{"createItem": {"location": {"index": i}, "item": {"title": q, "questionItem": {
        "question": {"textQuestion": {}}}}}} for i, q in enumerate(questions)]
    forms.forms().batchUpdate(formId=form_id, body={"requests": requests_}).execute()
    forms.forms().setPublishSettings(formId=form_id, body=PUBLISHED).execute()
    answers = {q: f"giá trị {i}" for i, q in enumerate(questions)}
    answers[source.columns["quarter"]] = "Quý I"
    answers[source.columns["team"]] = "Toán"
    return form_id, answers


def _submit(workspace: WorkspaceClients, form_id: str, answers: dict[str, str], when: str) -> None:
    reply = requests.post(f"{workspace.base_url}/_emulator/forms/{form_id}/responses", timeout=10,
                          json={"answers": answers, "respondentEmail": "tt.toan@x.vn", "createTime": when})
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(("language", "locale", "zone"), [
    ("en", "en_US", "Etc/GMT"),  # a spreadsheet made through the API keeps Google's defaults
    ("vi", "vi_VN", "Asia/Ho_Chi_Minh"),
    ("en", "en_US", "America/New_York"),
])
def test_timestamps_read_right_in_any_locale_and_zone(workspace: WorkspaceClients, plan: Plan, language: str,
                                                      locale: str, zone: str) -> None:
    f4 = next(s for s in plan.sources if s.id == "F4")
    form_id, answers = _f4_form(workspace, f4)
    gc = workspace.gspread()
    book = gc.create("Câu trả lời")
    if (locale, zone) != ("en_US", "Etc/GMT"):
        book.update_locale(locale)
        book.update_timezone(zone)
    linked = requests.post(f"{workspace.base_url}/_emulator/forms/{form_id}/link", timeout=10,
                           json={"spreadsheetId": book.id, "language": language}).json()
    # 13 March 2024, 08:05:09 in Hồ Chí Minh City: a day above 12, so a d/m and m/d mix-up cannot pass.
    _submit(workspace, form_id, answers, "2024-03-13T01:05:09Z")
    source = f4.model_copy(update={"spreadsheet_id": book.id, "sheet": linked["sheet"]})
    if language == "en":  # the English UI names the first columns in English; the plan says what they are
        source = source.model_copy(update={"columns": {**f4.columns, "timestamp": "Timestamp",
                                                       "email": "Email Address"}})
    table = SheetsSource(gc, NO_WAIT, ZoneInfo("Asia/Ho_Chi_Minh")).read(source)
    assert table.rows[0].values[source.columns["timestamp"]] == "13/3/2024 8:05:09"
    assert table.rows[0].values[source.columns["email"]] == "tt.toan@x.vn"
    shown = gc.open_by_key(book.id).worksheet(linked["sheet"]).get_all_values()[1][0]
    expected = dt.datetime(2024, 3, 13, 1, 5, 9, tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
    day_first = locale == "vi_VN"
    parts = (expected.day, expected.month) if day_first else (expected.month, expected.day)
    assert shown == f"{parts[0]}/{parts[1]}/{expected.year} {expected.hour}:{expected:%M:%S}"


def test_an_empty_provisioned_tab_gives_way_to_the_tab_linked_by_hand(workspace: WorkspaceClients,
                                                                      plan: Plan) -> None:
    f4 = next(s for s in plan.sources if s.id == "F4")
    f1 = next(s for s in plan.sources if s.id == "F1")
    form_id, answers = _f4_form(workspace, f4)
    gc = workspace.gspread()
    book = gc.create("Câu trả lời năm học")
    book.sheet1.update_title("F4 – gương điển hình")
    book.sheet1.update([list(f4.columns.values())], "A1", raw=True)  # provisioned: header only
    other = book.add_worksheet("F1 – đăng ký", rows=10, cols=10)
    other.update([list(f1.columns.values())], "A1", raw=True)
    requests.post(f"{workspace.base_url}/_emulator/forms/{form_id}/link", timeout=10,
                  json={"spreadsheetId": book.id})
    _submit(workspace, form_id, answers, "2024-03-13T01:05:09Z")
    source = f4.model_copy(update={"spreadsheet_id": book.id, "sheet": "F4 – gương điển hình"})
    reader = SheetsSource(gc, NO_WAIT, ZoneInfo("Asia/Ho_Chi_Minh"))
    table = reader.read(source)
    assert table.sheet == "Câu trả lời biểu mẫu 1"
    assert len(table.rows) == 1 and table.rows[0].values["Dấu thời gian"] == "13/3/2024 8:05:09"
    assert reader.notices == [
        "Nguồn F4 «" + f4.name + "»: trang «F4 – gương điển hình» chưa có câu trả lời; đã đọc trang «Câu trả lời "
        "biểu mẫu 1» vì hàng tiêu đề của nó khớp với các câu hỏi của biểu mẫu (biểu mẫu được liên kết với bảng "
        "tính bằng tay). Hãy ghi `sheet: Câu trả lời biểu mẫu 1` cho nguồn này trong kế hoạch."
    ]


def test_the_forms_api_reader_gives_googles_collected_email_as_the_email_column(workspace: WorkspaceClients,
                                                                                 plan: Plan) -> None:
    from connectors.google.sheets import FormsSource

    f4 = next(s for s in plan.sources if s.id == "F4")
    form_id, answers = _f4_form(workspace, f4)
    _submit(workspace, form_id, answers, "2024-03-13T01:05:09Z")
    table = FormsSource(workspace.service("forms", "v1"), NO_WAIT, ZoneInfo("Asia/Ho_Chi_Minh")).read(
        f4.model_copy(update={"form_id": form_id}))
    assert table.headers[:2] == ("Dấu thời gian", "Địa chỉ email")
    assert table.rows[0].values["Địa chỉ email"] == "tt.toan@x.vn"
    assert table.rows[0].values["Dấu thời gian"] == "13/3/2024 8:05:09"


def _calls(workspace: WorkspaceClients) -> list[str]:
    return [e.method_id for e in workspace.emulator.log.entries() if e.path != "/token"]


def _book(workspace: WorkspaceClients, tabs: dict[str, list[list[object]]], zone: str | None = None) -> str:
    """A spreadsheet with these tabs, written RAW (numbers stay numbers, booleans booleans)."""
    gc = workspace.gspread()
    book = gc.create("Câu trả lời")
    if zone:
        book.update_timezone(zone)
    for i, (title, grid) in enumerate(tabs.items()):
        sheet = book.sheet1 if i == 0 else book.add_worksheet(title, rows=50, cols=20)
        if i == 0:
            sheet.update_title(title)
        sheet.update(grid, "A1", raw=True)  # type: ignore[arg-type]
    return str(book.id)


def test_a_report_read_makes_one_sheets_call_per_spreadsheet(workspace: WorkspaceClients, plan: Plan) -> None:
    f1, f2, f4 = (next(s for s in plan.sources if s.id == i) for i in ("F1", "F2", "F4"))
    answer = {"F1": ["13/3/2024 8:05:09", "lan@x.vn", "Nguyễn Thị Lan", "Toán", "", "LĐTT", "", "Sáng kiến A"],
              "F2": ["1/3/2024 8:00:00", "tt@x.vn", "Toán", "10", "TTLĐXS", "Dạy tốt"],
              "F4": ["2/3/2024 9:00:00", "tt@x.vn", "Quý I", "Toán", "Nguyễn Văn A", "Giỏi"]}
    first = _book(workspace, {"F1": [list(f1.columns.values()), answer["F1"]],
                              "F2": [list(f2.columns.values()), answer["F2"]]})
    second = _book(workspace, {"F4": [list(f4.columns.values()), answer["F4"]]})
    sources = [f1.model_copy(update={"spreadsheet_id": first, "sheet": "F1"}),
               f2.model_copy(update={"spreadsheet_id": first, "sheet": "F2"}),
               f4.model_copy(update={"spreadsheet_id": second, "sheet": "F4"})]
    workspace.emulator.log.clear()
    tables = SheetsSource(workspace.gspread(), NO_WAIT).read_many(sources)
    assert _calls(workspace) == ["sheets.spreadsheets.get", "sheets.spreadsheets.get"]  # no values.batchGet
    for source in sources:
        assert list(tables[source.id].rows[0].values.values()) == answer[source.id]


def test_grid_data_reads_as_the_values_batch_get_did(workspace: WorkspaceClients, plan: Plan) -> None:
    """The one spreadsheets.get gives the same Table as values.batchGet (UNFORMATTED_VALUE, SERIAL_NUMBER) gave:
    numbers without separators, a date-time serial in the spreadsheet's own zone, booleans, an error's text, empty
    cells and rows inside kept, trailing ones (even formatted) dropped."""
    f1 = next(s for s in plan.sources if s.id == "F1")
    header = [*f1.columns.values(), "Điểm", "Đạt", "Lỗi"]
    grid: list[list[object]] = [header,
                                ["", "lan@x.vn", "Nguyễn Thị Lan", "", "", "LĐTT", "", "", 10, True, ""],
                                [],
                                ["", "hoa@x.vn", "Trần Hoa", "Văn", "Tổ trưởng", "CSTĐ", "", "", 9.5, False, "",
                                 "", ""]]
    sid = _book(workspace, {"F1": grid}, zone="America/New_York")
    sheets = workspace.service("sheets", "v4")
    moment = dt.datetime(2024, 3, 13, 8, 5, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    wall = moment.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    serial = (wall - dt.datetime(1899, 12, 30)).total_seconds() / 86_400
    date_cell = {"userEnteredValue": {"numberValue": serial},
                 "userEnteredFormat": {"numberFormat": {"type": "DATE_TIME"}}}
    sheets.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0}, "rows": [{"values": [date_cell]}],
                         "fields": "userEnteredValue,userEnteredFormat"}},
        {"repeatCell": {"range": {"sheetId": 0, "startRowIndex": 6, "endRowIndex": 7, "startColumnIndex": 0,
                                  "endColumnIndex": 3},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat"}},
    ]}).execute()
    sheets.spreadsheets().values().update(spreadsheetId=sid, range="F1!K2", valueInputOption="USER_ENTERED",
                                          body={"values": [["=1/0"]]}).execute()
    source = f1.model_copy(update={"spreadsheet_id": sid, "sheet": "F1"})
    reader = SheetsSource(workspace.gspread(), NO_WAIT, ZoneInfo("Asia/Ho_Chi_Minh"))
    workspace.emulator.log.clear()
    table = reader.read(source)
    assert _calls(workspace) == ["sheets.spreadsheets.get"]
    before = sheets.spreadsheets().values().batchGet(
        spreadsheetId=sid, ranges=["'F1'"], valueRenderOption="UNFORMATTED_VALUE",
        dateTimeRenderOption="SERIAL_NUMBER", majorDimension="ROWS").execute()["valueRanges"][0]["values"]
    assert table == Table.from_cells("F1", "F1", reader._cells(source, before, ZoneInfo("America/New_York")))
    first, blank, second = table.rows
    assert first.values["Dấu thời gian"] == "13/3/2024 8:05:09"
    assert (first.values["Điểm"], first.values["Đạt"], first.values["Lỗi"]) == ("10", "TRUE", "#DIV/0!")
    assert first.values["Tổ"] == ""
    assert blank.is_blank() and blank.row_number == 3
    assert (second.values["Điểm"], second.values["Đạt"], second.values["Dấu thời gian"]) == ("9.5", "FALSE", "")
    assert second.row_number == 4


def test_grid_data_as_google_may_shape_it() -> None:
    """Google's GridData may carry "{}" for empty cells and rows anywhere, trailing ones included."""
    number, text = {"effectiveValue": {"numberValue": 45364.5}}, {"effectiveValue": {"stringValue": "Toán"}}
    data = [{"rowData": [{"values": [text, {}, number, {}, {}]}, {}, {"values": [{}, {}]},
                         {"values": [{"effectiveValue": {"boolValue": False}},
                                     {"effectiveValue": {"errorValue": {"type": "N_A", "message": "x"}}}]},
                         {"values": [{}]}, {}]}]
    assert grid_values(data) == [["Toán", "", 45364.5], [], [], [False, "#N/A"]]
    assert grid_values([]) == [] and grid_values([{}]) == []


def test_a_missing_tab_is_named_with_the_tabs_there_are(workspace: WorkspaceClients, plan: Plan) -> None:
    f1, f2 = (next(s for s in plan.sources if s.id == i) for i in ("F1", "F2"))
    sid = _book(workspace, {"F1": [list(f1.columns.values())], "Ghi chú": [["Ghi chú"]]})
    sources = [f1.model_copy(update={"spreadsheet_id": sid, "sheet": "F1"}),
               f2.model_copy(update={"spreadsheet_id": sid, "sheet": "F2 – giao ước"})]
    workspace.emulator.log.clear()
    with pytest.raises(SheetTabMissing) as caught:
        SheetsSource(workspace.gspread(), NO_WAIT).read_many(sources)
    assert str(caught.value) == (
        f"Nguồn F2 «{f2.name}»: bảng tính không có trang «F2 – giao ước» (các trang có: F1, Ghi chú); hãy sửa "
        "`sheet:` của nguồn này trong kế hoạch.")
    # the range Google cannot parse, the titles, then F1 with the header rows of the other tabs
    assert _calls(workspace) == ["sheets.spreadsheets.get"] * 3
    assert next(e.status for e in workspace.emulator.log.entries() if e.path != "/token") == 400
