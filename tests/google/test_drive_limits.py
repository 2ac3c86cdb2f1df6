"""drive.file reaches only what the app created; files.export stops at 10 MB and the report says how to fix it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from googleapiclient.errors import HttpError

from connectors.google.api import ExportTooLarge, GoogleApi
from connectors.google.docs import GoogleDocsBuilder
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import ALL_SCOPES, WorkspaceClients
from tests.google.test_docs_builder import CONTEXT, TEMPLATE_TEXT, _plan_for, _template

DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
NARROW = [s for s in ALL_SCOPES if not s.endswith("/drive")] + [DRIVE_FILE]
GOOGLE_DOC = "application/vnd.google-apps.document"


def test_a_drive_file_token_cannot_copy_a_template_the_app_did_not_create(workspace: WorkspaceClients) -> None:
    # A Doc the clerk made by hand in the Drive UI (another app) and typed into the plan as the template.
    foreign = workspace.service("drive", "v3").files().create(
        body={"name": "Mẫu gõ tay", "mimeType": GOOGLE_DOC}).execute()["id"]
    workspace.emulator.workspace.drive.files[foreign].app = "drive-web-ui"
    session = workspace.session(scopes=NARROW)
    drive = workspace.service("drive", "v3", scopes=NARROW)
    own = drive.files().create(body={"name": "Mẫu của ứng dụng", "mimeType": GOOGLE_DOC}).execute()["id"]
    drive.files().copy(fileId=own, body={"name": "bản sao"}).execute()
    with pytest.raises(HttpError) as caught:
        drive.files().copy(fileId=foreign, body={"name": "bản sao"}).execute()
    assert caught.value.resp.status == 404 and f"File not found: {foreign}." in str(caught.value)
    listed = {f["name"] for f in drive.files().list().execute()["files"]}
    assert listed == {"Mẫu của ứng dụng", "bản sao"}
    assert session.get(f"https://www.googleapis.com/drive/v3/files/{foreign}").status_code == 404


def test_a_drive_query_parameter_of_another_method_is_accepted_as_drive_does(workspace: WorkspaceClients) -> None:
    session = workspace.session()
    created = workspace.service("drive", "v3").files().create(body={"name": "x"}).execute()["id"]
    # gspread's get_file_drive_metadata sends includeItemsFromAllDrives (a files.list parameter) to files.get.
    reply = session.get(f"https://www.googleapis.com/drive/v3/files/{created}",
                        params={"supportsAllDrives": "true", "includeItemsFromAllDrives": "true", "fields": "id"})
    assert reply.status_code == 200 and reply.json() == {"id": created}
    unknown = session.get(f"https://www.googleapis.com/drive/v3/files/{created}", params={"colour": "red"})
    assert unknown.status_code == 400


@pytest.fixture(scope="module")
def small_exports() -> Iterator[WorkspaceEmulator]:
    with WorkspaceEmulator(EmulatorConfig(drive_export_limit_bytes=20_000)) as running:
        yield running


def test_an_export_over_the_limit_fails_naming_the_report_and_the_fix(small_exports: WorkspaceEmulator,
                                                                       tmp_path: Path) -> None:
    small_exports.reset()
    workspace = WorkspaceClients(small_exports)
    plan = _plan_for(_template(workspace, TEMPLATE_TEXT))
    builder = GoogleDocsBuilder(plan, workspace.service("drive", "v3"), workspace.service("docs", "v1"),
                                GoogleApi(sleep=lambda s: None), tmp_path)
    with pytest.raises(ExportTooLarge) as caught:
        builder.build("registration.docx", CONTEXT, "D1 – Đăng ký")
    assert str(caught.value).startswith("Báo cáo «D1 – Đăng ký» (PDF): Google Drive không xuất được tài liệu")
    assert "phụ lục Excel" in str(caught.value)
