"""Sheets v4 through gspread's own high-level calls and through googleapiclient."""

from __future__ import annotations

import gspread
import pytest
from googleapiclient.errors import HttpError

from emulator.testing import WorkspaceClients

HEADER = ["Họ và tên", "Lớp", "Điểm thi đua", "Ghi chú"]
ROWS = [
    ["Nguyễn Thị Hoa", "6A", 9.5, "Học sinh giỏi"],
    ["Trần Văn Đức", "7B", 8, "Tiến bộ vượt bậc"],
]


def test_gspread_create_open_append_and_get_all_records_round_trip(workspace: WorkspaceClients) -> None:
    client = workspace.gspread()
    created = client.create("Thi đua học kỳ I")
    book = client.open_by_key(created.id)
    sheet = book.sheet1
    sheet.update([HEADER], "A1")
    sheet.append_rows(ROWS, value_input_option="USER_ENTERED")

    assert sheet.get_all_records() == [
        {"Họ và tên": "Nguyễn Thị Hoa", "Lớp": "6A", "Điểm thi đua": 9.5, "Ghi chú": "Học sinh giỏi"},
        {"Họ và tên": "Trần Văn Đức", "Lớp": "7B", "Điểm thi đua": 8, "Ghi chú": "Tiến bộ vượt bậc"},
    ]
    assert client.open("Thi đua học kỳ I").id == created.id


def test_gspread_add_worksheet_update_cell_and_batch_update(workspace: WorkspaceClients) -> None:
    client = workspace.gspread()
    book = client.create("Tổng hợp")
    tab = book.add_worksheet("Tổ Toán – Tin", rows=20, cols=5)
    tab.update_cell(1, 1, "Giáo viên")
    tab.update_cell(2, 1, "Lê Thị Ánh")
    tab.batch_update(
        [{"range": "B1:C1", "values": [["Số tiết", "Tổng"]]}, {"range": "B2:C2", "values": [["12", "=B2*2"]]}],
        value_input_option="USER_ENTERED",
    )

    assert tab.get_all_values() == [["Giáo viên", "Số tiết", "Tổng"], ["Lê Thị Ánh", "12", "24"]]
    assert [w.title for w in client.open_by_key(book.id).worksheets()] == ["Sheet1", "Tổ Toán – Tin"]
    assert tab.acell("C2", value_render_option="FORMULA").value == "=B2*2"


def test_gspread_delete_worksheet_and_resize(workspace: WorkspaceClients) -> None:
    client = workspace.gspread()
    book = client.create("Xoá thử")
    extra = book.add_worksheet("Tạm", rows=5, cols=3)
    extra.resize(rows=50, cols=4)
    assert (client.open_by_key(book.id).worksheet("Tạm").row_count) == 50
    book.del_worksheet(extra)
    with pytest.raises(gspread.exceptions.WorksheetNotFound):
        client.open_by_key(book.id).worksheet("Tạm")


def test_user_entered_makes_formulas_and_numbers_raw_keeps_strings(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={"properties": {"title": "Nhập liệu"}}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid, range="A1:C1", valueInputOption="USER_ENTERED", body={"values": [["=1+1", "42", "TRUE"]]}
    ).execute()
    values.update(
        spreadsheetId=sid, range="A2:C2", valueInputOption="RAW", body={"values": [["=1+1", "42", "TRUE"]]}
    ).execute()

    formatted = values.get(spreadsheetId=sid, range="A1:C2").execute()["values"]
    unformatted = values.get(spreadsheetId=sid, range="A1:C2", valueRenderOption="UNFORMATTED_VALUE").execute()[
        "values"
    ]
    formulas = values.get(spreadsheetId=sid, range="A1:C2", valueRenderOption="FORMULA").execute()["values"]

    assert formatted == [["2", "42", "TRUE"], ["=1+1", "42", "TRUE"]]
    assert unformatted == [[2, 42, True], ["=1+1", "42", "TRUE"]]
    assert formulas == [["=1+1", 42, True], ["=1+1", "42", "TRUE"]]


def test_values_family_with_quoted_vietnamese_sheet_and_whole_columns(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = (
        sheets.spreadsheets()
        .create(body={"properties": {"title": "Khen thưởng"}, "sheets": [{"properties": {"title": "Danh sách khen"}}]})
        .execute()["spreadsheetId"]
    )
    values = sheets.spreadsheets().values()
    appended = values.append(
        spreadsheetId=sid,
        range="'Danh sách khen'!A:C",
        valueInputOption="RAW",
        body={"values": [HEADER[:3], ROWS[0][:3]]},
    ).execute()
    assert appended["updates"]["updatedRange"] == "'Danh sách khen'!A1:C2"
    again = values.append(
        spreadsheetId=sid,
        range="'Danh sách khen'!A:C",
        valueInputOption="RAW",
        insertDataOption="INSERT_ROWS",
        body={"values": [ROWS[1][:3]]},
    ).execute()
    assert again["tableRange"] == "'Danh sách khen'!A1:C2"
    assert again["updates"]["updatedRange"] == "'Danh sách khen'!A3:C3"

    columns = values.get(spreadsheetId=sid, range="'Danh sách khen'!A:B", majorDimension="COLUMNS").execute()
    assert columns["range"] == "'Danh sách khen'!A1:B1001"
    assert columns["values"] == [["Họ và tên", "Nguyễn Thị Hoa", "Trần Văn Đức"], ["Lớp", "6A", "7B"]]

    batch = values.batchGet(spreadsheetId=sid, ranges=["'Danh sách khen'!A1", "'Danh sách khen'!C2:C3"]).execute()
    assert [vr.get("values") for vr in batch["valueRanges"]] == [[["Họ và tên"]], [["9.5"], ["8"]]]

    updated = values.batchUpdate(
        spreadsheetId=sid,
        body={
            "valueInputOption": "USER_ENTERED",
            "data": [{"range": "'Danh sách khen'!D1:D2", "values": [["Tổng"], ["=C2+C3"]]}],
        },
    ).execute()
    assert updated["totalUpdatedCells"] == 2
    assert values.get(spreadsheetId=sid, range="'Danh sách khen'!D2").execute()["values"] == [["17.5"]]

    cleared = values.clear(spreadsheetId=sid, range="'Danh sách khen'!A2:D3", body={}).execute()
    assert cleared["clearedRange"] == "'Danh sách khen'!A2:D3"
    assert values.get(spreadsheetId=sid, range="'Danh sách khen'").execute()["values"] == [
        ["Họ và tên", "Lớp", "Điểm thi đua", "Tổng"]
    ]


def test_spreadsheet_get_with_grid_data_and_formatting_requests_are_stored(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={"properties": {"title": "Định dạng"}}).execute()["spreadsheetId"]
    reply = (
        sheets.spreadsheets()
        .batchUpdate(
            spreadsheetId=sid,
            body={
                "requests": [
                    {
                        "addSheet": {
                            "properties": {"title": "Tháng 9", "gridProperties": {"rowCount": 10, "columnCount": 4}}
                        }
                    },
                    {
                        "repeatCell": {
                            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                            "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                            "fields": "userEnteredFormat.textFormat.bold",
                        }
                    },
                    {
                        "updateCells": {
                            "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                            "rows": [{"values": [{"userEnteredValue": {"stringValue": "Tiêu đề"}}]}],
                            "fields": "userEnteredValue",
                        }
                    },
                ]
            },
        )
        .execute()
    )
    assert reply["replies"][0]["addSheet"]["properties"]["title"] == "Tháng 9"
    assert reply["replies"][1:] == [{}, {}]
    book = sheets.spreadsheets().get(spreadsheetId=sid, ranges=["Sheet1!A1"], includeGridData=True).execute()
    cell = book["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["formattedValue"] == "Tiêu đề"
    assert cell["userEnteredFormat"] == {"textFormat": {"bold": True}}
    assert [s["properties"]["title"] for s in sheets.spreadsheets().get(spreadsheetId=sid).execute()["sheets"]] == [
        "Sheet1",
        "Tháng 9",
    ]


def test_unsupported_batch_update_request_kind_is_501_naming_it(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    with pytest.raises(HttpError) as caught:
        sheets.spreadsheets().batchUpdate(
            spreadsheetId=sid, body={"requests": [{"randomizeRange": {"range": {"sheetId": 0}}}]}
        ).execute()
    assert caught.value.resp.status == 501
    assert "randomizeRange" in caught.value.error_details or "randomizeRange" in str(caught.value)


def test_unknown_field_and_wrong_type_are_google_400s(workspace: WorkspaceClients) -> None:
    session = workspace.session()
    sid = workspace.service("sheets", "v4").spreadsheets().create(body={}).execute()["spreadsheetId"]
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{sid}:batchUpdate"
    unknown = session.post(url, json={"requests": [{"addSheet": {}, "foo": 1}]})
    assert unknown.status_code == 400
    error = unknown.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert (
        error["message"] == "Invalid JSON payload received. Unknown name \"foo\" at 'requests[0]': Cannot find field."
    )
    assert error["details"][0]["fieldViolations"][0]["field"] == "requests[0]"
    wrong = session.post(url, json={"requests": [{"addSheet": {"properties": {"index": "abc"}}}]})
    assert wrong.status_code == 400
    assert (
        wrong.json()["error"]["message"]
        == "Invalid value at 'requests[0].addSheet.properties.index' (TYPE_INT32), \"abc\""
    )


def test_unimplemented_method_answers_501_naming_it(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    with pytest.raises(HttpError) as caught:
        sheets.spreadsheets().getByDataFilter(spreadsheetId=sid, body={}).execute()
    assert caught.value.resp.status == 501
    assert "sheets.spreadsheets.getByDataFilter" in str(caught.value)


def test_writing_outside_the_grid_is_rejected_like_google(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    with pytest.raises(HttpError) as caught:
        sheets.spreadsheets().values().update(
            spreadsheetId=sid, range="Sheet1!A1001", valueInputOption="RAW", body={"values": [["x"]]}
        ).execute()
    assert caught.value.resp.status == 400
    assert "exceeds grid limits" in str(caught.value)


def test_gspread_formatting_rows_and_sharing_calls(workspace: WorkspaceClients) -> None:
    client = workspace.gspread()
    book = client.create("Bảng tổng hợp")
    sheet = book.sheet1
    sheet.update([["Tên", "Điểm"], ["An", "9"], ["Bình", "8"], ["Chi", "7"]], "A1")
    sheet.format("A1:B1", {"textFormat": {"bold": True}, "backgroundColor": {"red": 0.9}})
    sheet.freeze(rows=1)
    sheet.update_title("Học kỳ I")
    sheet.insert_row(["Dũng", "10"], index=2)
    sheet.delete_rows(4)
    sheet.batch_clear(["B4"])
    book.share("to.truong@truong-thcs.edu.vn", perm_type="user", role="writer", notify=False)

    reopened = client.open_by_key(book.id).worksheet("Học kỳ I")
    assert reopened.get_all_values() == [["Tên", "Điểm"], ["Dũng", "10"], ["An", "9"], ["Chi", ""]]
    assert reopened.frozen_row_count == 1
    grid = (
        workspace.service("sheets", "v4")
        .spreadsheets()
        .get(spreadsheetId=book.id, ranges=["'Học kỳ I'!A1"], includeGridData=True)
        .execute()
    )
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredFormat"] == {"textFormat": {"bold": True}, "backgroundColor": {"red": 0.9}}
    assert [p["emailAddress"] for p in book.list_permissions()] == ["to.truong@truong-thcs.edu.vn"]


def test_concurrent_appends_from_threads_lose_no_rows(workspace: WorkspaceClients) -> None:
    import threading

    sid = workspace.service("sheets", "v4").spreadsheets().create(body={}).execute()["spreadsheetId"]

    def writer(n: int) -> None:
        values = workspace.service("sheets", "v4").spreadsheets().values()
        for i in range(10):
            values.append(
                spreadsheetId=sid, range="A:B", valueInputOption="RAW", body={"values": [[f"t{n}", i]]}
            ).execute()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = (
        workspace.service("sheets", "v4")
        .spreadsheets()
        .values()
        .get(spreadsheetId=sid, range="A:B")
        .execute()["values"]
    )
    assert sorted(map(tuple, rows)) == sorted((f"t{n}", str(i)) for n in range(4) for i in range(10))


def test_gspread_copy_and_delete_spreadsheet(workspace: WorkspaceClients) -> None:
    client = workspace.gspread()
    book = client.create("Mẫu tổng hợp")
    book.sheet1.update([["Tổ", "Số GV"], ["Toán", "12"]], "A1")
    copied = client.copy(book.id, title="Tổng hợp 2025")
    assert copied.sheet1.get_all_values() == [["Tổ", "Số GV"], ["Toán", "12"]]
    client.del_spreadsheet(book.id)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key(book.id)
    assert [s.title for s in client.openall()] == ["Tổng hợp 2025"]


def test_values_batch_clear_through_googleapiclient(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid, range="A1:B2", valueInputOption="RAW", body={"values": [["a", "b"], ["c", "d"]]}
    ).execute()
    cleared = values.batchClear(spreadsheetId=sid, body={"ranges": ["A1", "B2"]}).execute()
    assert cleared == {"spreadsheetId": sid, "clearedRanges": ["Sheet1!A1", "Sheet1!B2"]}
    assert values.get(spreadsheetId=sid, range="A1:B2").execute()["values"] == [["", "b"], ["c"]]


def test_vietnamese_locale_reads_and_shows_decimal_commas(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = (
        sheets.spreadsheets()
        .create(body={"properties": {"title": "Điểm", "locale": "vi_VN"}})
        .execute()["spreadsheetId"]
    )
    values = sheets.spreadsheets().values()
    values.update(
        spreadsheetId=sid,
        range="A1:D1",
        valueInputOption="USER_ENTERED",
        body={"values": [["9,5", "1.234,5", "=1/4", "9.5"]]},
    ).execute()
    assert values.get(spreadsheetId=sid, range="A1:D1").execute()["values"] == [["9,5", "1.234,5", "0,25", "9.5"]]
    unformatted = values.get(spreadsheetId=sid, range="A1:D1", valueRenderOption="UNFORMATTED_VALUE").execute()
    assert unformatted["values"] == [[9.5, 1234.5, 0.25, "9.5"]]
