"""Drive v3: files create/get/list/copy/update/delete/export, uploads, permissions, q filters and paging."""

from __future__ import annotations

import io

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from emulator.testing import WorkspaceClients

FOLDER = "application/vnd.google-apps.folder"
SHEET = "application/vnd.google-apps.spreadsheet"
DOC = "application/vnd.google-apps.document"
FORM = "application/vnd.google-apps.form"


def test_creating_google_types_through_drive_creates_the_objects(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    sheet = drive.files().create(body={"name": "Bảng điểm", "mimeType": SHEET}).execute()
    doc = drive.files().create(body={"name": "Biên bản họp", "mimeType": DOC}).execute()
    form = drive.files().create(body={"name": "Phiếu đăng ký", "mimeType": FORM}).execute()

    assert sheet["kind"] == "drive#file" and set(sheet) == {"kind", "id", "name", "mimeType"}
    book = workspace.service("sheets", "v4").spreadsheets().get(spreadsheetId=sheet["id"]).execute()
    assert book["properties"]["title"] == "Bảng điểm"
    assert workspace.service("docs", "v1").documents().get(documentId=doc["id"]).execute()["title"] == "Biên bản họp"
    assert (
        workspace.service("forms", "v1").forms().get(formId=form["id"]).execute()["info"]["documentTitle"]
        == "Phiếu đăng ký"
    )


def test_list_with_q_filters_fields_and_paging(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    folder = drive.files().create(body={"name": "Hồ sơ thi đua 2025", "mimeType": FOLDER}).execute()["id"]
    for i in range(5):
        drive.files().create(body={"name": f"Báo cáo tổ {i}", "mimeType": DOC, "parents": [folder]}).execute()
    drive.files().create(body={"name": "Báo cáo chung", "mimeType": SHEET}).execute()

    q = f"'{folder}' in parents and mimeType = '{DOC}' and name contains 'Báo' and trashed = false"
    first = drive.files().list(q=q, pageSize=3, fields="nextPageToken, files(id, name, parents)").execute()
    second = drive.files().list(q=q, pageSize=3, pageToken=first["nextPageToken"], fields="files(name)").execute()
    names = [f["name"] for f in first["files"]] + [f["name"] for f in second["files"]]
    assert names == [f"Báo cáo tổ {i}" for i in range(5)]
    assert first["files"][0]["parents"] == [folder]
    assert "nextPageToken" not in second
    exact = drive.files().list(q="name = 'Báo cáo chung' or name = 'không có'").execute()["files"]
    assert [f["mimeType"] for f in exact] == [SHEET]
    assert (
        drive.files().list(q="name contains 'áo'").execute()["files"] == []
    )  # name contains matches word prefixes only


def test_multipart_upload_get_media_update_copy_and_delete(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    content = "Danh sách đề nghị khen thưởng\n".encode()
    media = MediaIoBaseUpload(io.BytesIO(content), mimetype="text/plain")
    created = (
        drive.files().create(body={"name": "de-nghi.txt"}, media_body=media, fields="id,name,size,mimeType").execute()
    )
    assert created["size"] == str(len(content)) and created["mimeType"] == "text/plain"
    assert drive.files().get_media(fileId=created["id"]).execute() == content

    folder = drive.files().create(body={"name": "Lưu trữ", "mimeType": FOLDER}).execute()["id"]
    moved = (
        drive.files()
        .update(
            fileId=created["id"],
            body={"name": "đề-nghị.txt"},
            addParents=folder,
            removeParents="root",
            fields="name,parents",
        )
        .execute()
    )
    assert moved == {"name": "đề-nghị.txt", "parents": [folder]}

    copied = drive.files().copy(fileId=created["id"], body={"name": "bản sao.txt"}).execute()
    assert drive.files().get_media(fileId=copied["id"]).execute() == content
    drive.files().delete(fileId=created["id"]).execute()
    with pytest.raises(HttpError) as caught:
        drive.files().get(fileId=created["id"]).execute()
    assert caught.value.resp.status == 404


def test_copying_a_doc_through_drive_copies_its_content(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    drive = workspace.service("drive", "v3")
    template = docs.documents().create(body={"title": "Mẫu giấy khen"}).execute()["documentId"]
    docs.documents().batchUpdate(
        documentId=template, body={"requests": [{"insertText": {"location": {"index": 1}, "text": "Khen {{ten}}"}}]}
    ).execute()
    copy = drive.files().copy(fileId=template, body={"name": "Giấy khen - Hoa"}).execute()
    docs.documents().batchUpdate(
        documentId=copy["id"],
        body={"requests": [{"replaceAllText": {"containsText": {"text": "{{ten}}"}, "replaceText": "Hoa"}}]},
    ).execute()
    copied = docs.documents().get(documentId=copy["id"]).execute()
    original = docs.documents().get(documentId=template).execute()
    assert copied["title"] == "Giấy khen - Hoa"
    assert copied["body"]["content"][1]["paragraph"]["elements"][0]["textRun"]["content"] == "Khen Hoa\n"
    assert original["body"]["content"][1]["paragraph"]["elements"][0]["textRun"]["content"] == "Khen {{ten}}\n"


def test_sheet_exports_as_csv_and_csv_imports_as_sheet(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    csv_bytes = "Tên,Điểm\r\nAn,9\r\nBình,=1+1\r\n".encode()
    media = MediaIoBaseUpload(io.BytesIO(csv_bytes), mimetype="text/csv")
    created = drive.files().create(body={"name": "Nhập CSV", "mimeType": SHEET}, media_body=media).execute()
    values = (
        workspace.service("sheets", "v4")
        .spreadsheets()
        .values()
        .get(spreadsheetId=created["id"], range="A1:B3")
        .execute()
    )
    assert values["values"] == [["Tên", "Điểm"], ["An", "9"], ["Bình", "2"]]
    exported = drive.files().export(fileId=created["id"], mimeType="text/csv").execute()
    assert exported == "Tên,Điểm\r\nAn,9\r\nBình,2\r\n".encode()


def test_permissions_create_and_validation(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    file_id = drive.files().create(body={"name": "Chia sẻ", "mimeType": DOC}).execute()["id"]
    permission = (
        drive.permissions()
        .create(
            fileId=file_id,
            body={"role": "writer", "type": "user", "emailAddress": "to.truong@truong.edu.vn"},
            sendNotificationEmail=False,
        )
        .execute()
    )
    assert permission["role"] == "writer" and permission["type"] == "user" and permission["kind"] == "drive#permission"
    listed = drive.permissions().list(fileId=file_id, fields="permissions(emailAddress,role)").execute()
    assert listed["permissions"] == [{"emailAddress": "to.truong@truong.edu.vn", "role": "writer"}]
    with pytest.raises(HttpError) as caught:
        drive.permissions().create(fileId=file_id, body={"role": "boss", "type": "user"}).execute()
    assert caught.value.resp.status == 400


def test_malformed_drive_requests_are_400(workspace: WorkspaceClients) -> None:
    session = workspace.session()
    unknown = session.post("https://www.googleapis.com/drive/v3/files", json={"name": "x", "colour": "red"})
    assert unknown.status_code == 400
    assert (
        unknown.json()["error"]["message"] == 'Invalid JSON payload received. Unknown name "colour": Cannot find field.'
    )
    wrong = session.post("https://www.googleapis.com/drive/v3/files", json={"name": ["x"]})
    assert wrong.status_code == 400 and "(TYPE_STRING)" in wrong.json()["error"]["message"]
    bad_query = session.get("https://www.googleapis.com/drive/v3/files", params={"pageSize": "many"})
    assert bad_query.status_code == 400
    unknown_param = session.get("https://www.googleapis.com/drive/v3/files", params={"colour": "red"})
    assert (
        unknown_param.status_code == 400 and "Cannot bind query parameter" in unknown_param.json()["error"]["message"]
    )
    bad_q = session.get("https://www.googleapis.com/drive/v3/files", params={"q": "name = "})
    assert bad_q.status_code == 400


def test_media_update_through_the_upload_path(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    created = (
        drive.files()
        .create(body={"name": "ghi-chu.txt"}, media_body=MediaIoBaseUpload(io.BytesIO(b"v1"), mimetype="text/plain"))
        .execute()
    )
    drive.files().update(
        fileId=created["id"], media_body=MediaIoBaseUpload(io.BytesIO("bản 2".encode()), mimetype="text/plain")
    ).execute()
    assert drive.files().get_media(fileId=created["id"]).execute() == "bản 2".encode()
    assert workspace.emulator.log.entries("drive.files.update")[-1].path == f"/upload/drive/v3/files/{created['id']}"


def test_about_and_comments_need_fields_like_google(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    assert drive.about().get(fields="user(emailAddress)").execute() == {"user": {"emailAddress": workspace.user}}
    with pytest.raises(HttpError) as caught:
        drive.about().get().execute()
    assert caught.value.resp.status == 400 and "'fields' parameter is required" in str(caught.value)
    doc = drive.files().create(body={"name": "Có bình luận?", "mimeType": DOC}).execute()["id"]
    assert drive.comments().list(fileId=doc, fields="comments(content)").execute() == {"comments": []}
