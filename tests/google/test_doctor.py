"""`thidua google doctor` against the emulator: a healthy Workspace passes, and each broken set-up state is named.

Some states need the stricter emulator (unpublished forms, the Admin console's delegation allow-list); on an
emulator without them those tests skip and say so, and pass once it has them.
"""

from __future__ import annotations

import base64
import email
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from googleapiclient.errors import HttpError

from connectors.google import endpoints
from connectors.google.api import GoogleApi
from connectors.google.auth import SCOPES, load_credentials
from connectors.google.doctor import Doctor, Finding, Level, Step, scope_string
from connectors.google.provision import Provisioner
from emulator.auth import RefreshGrant
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua.plan import GoogleSettings, Plan, parse_plan

REPO = Path(__file__).resolve().parents[2]
SEED_PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"


def for_user(plan: Plan, user: str) -> Plan:
    """The plan sending from the emulator's delegated mailbox, as a school's plan sends from its own."""
    return plan.model_copy(update={"google": GoogleSettings(user=user),
                                   "delivery": plan.delivery.model_copy(update={"sender": user})})


# (emulator URL, linked) → the provisioned plan and the emulator's state right after provisioning, as JSON.
_PROVISIONED: dict[tuple[str, bool], tuple[Plan, str]] = {}


def provisioned(workspace: WorkspaceClients, link: bool = True, info: dict[str, Any] | None = None) -> Plan:
    """The seed plan provisioned in the emulator and finished as a clerk would: forms linked to the plan's
    spreadsheet (by hand in the Forms UI; here the emulator's admin endpoint), sheets in vi_VN and the plan's zone.
    Provisioned with the credentials the doctor will use (`info`, else the service account): under drive.file an
    app reaches only the files it created itself. With the service account, provisioning runs once per emulator
    and the next tests start from a copy of the state it left (5 s of CPU each, most of it the templates' upload)."""
    if info is not None:
        return _provision(workspace, link, info)
    key = (workspace.base_url, link)
    if key in _PROVISIONED:
        plan, state = _PROVISIONED[key]
        workspace.emulator.workspace.load_json(json.loads(state))
        return plan
    plan = _provision(workspace, link, None)
    _PROVISIONED[key] = (plan, json.dumps(workspace.emulator.workspace.to_json()))
    return plan


def _provision(workspace: WorkspaceClients, link: bool, info: dict[str, Any] | None) -> Plan:
    plan = for_user(parse_plan(SEED_PLAN.read_text(encoding="utf-8")), workspace.user)
    if info is None:
        drive, forms, gspread_client = (workspace.service("drive", "v3"), workspace.service("forms", "v1"),
                                        workspace.gspread())
    else:
        credentials = load_credentials(info, workspace.user, workspace.base_url,
                                       dict.fromkeys(info.get("scopes", SCOPES), ""))
        drive = endpoints.build_service("drive", "v3", credentials, workspace.base_url)
        forms = endpoints.build_service("forms", "v1", credentials, workspace.base_url)
        gspread_client = endpoints.gspread_client(credentials, workspace.base_url)
    done = Provisioner(plan, drive, forms, gspread_client, GoogleApi(sleep=lambda s: None), REPO / "templates").run()
    sheets = workspace.service("sheets", "v4").spreadsheets()
    for spreadsheet_id in {s.spreadsheet_id for s in done.plan.sources}:
        sheets.batchUpdate(spreadsheetId=spreadsheet_id, body={"requests": [{"updateSpreadsheetProperties": {
            "properties": {"locale": "vi_VN", "timeZone": plan.timezone}, "fields": "locale,timeZone"}}]}).execute()
    if not link:
        return done.plan
    sources = []
    for source in done.plan.sources:
        if source.form_id:
            url = f"{workspace.base_url}/_emulator/forms/{source.form_id}/link"
            response = requests.post(url, json={"spreadsheetId": source.spreadsheet_id}, timeout=10)
            if response.status_code == 400:  # an emulator that links only into a tab named as the Forms UI's own
                renamed = f"{source.id} – {source.name}"
                tab = workspace.gspread().open_by_key(source.spreadsheet_id).worksheet(source.sheet)
                tab.update_title(renamed)
                source = source.model_copy(update={"sheet": renamed})
                response = requests.post(url, json={"spreadsheetId": source.spreadsheet_id}, timeout=10)
            response.raise_for_status()
        sources.append(source)
    return done.plan.model_copy(update={"sources": tuple(sources)})


def doctor(plan: Plan, info: dict[str, Any], base_url: str, **options: Any) -> list[Finding]:
    return Doctor(plan, info, "THIDUA_GOOGLE_CREDENTIALS", base_url, api=GoogleApi(sleep=lambda s: None),
                  **options).run()


def failures(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level is Level.FAIL]


def of(findings: list[Finding], step: Step) -> list[Finding]:
    return [f for f in findings if f.step is step]


def test_a_healthy_workspace_passes_every_check_and_mails_the_clerk_only(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator) -> None:
    plan = provisioned(workspace)
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url)
    assert [f for f in findings if f.level is not Level.OK] == []
    assert [f.subject for f in of(findings, Step.APIS)] == [
        "Google Sheets API", "Google Docs API", "Google Drive API", "Google Forms API", "Gmail API"]
    assert len(of(findings, Step.FOLDERS)) == len(plan.deadlines)
    sent = workspace.service("gmail", "v1").users().messages()
    listed = sent.list(userId="me", q="in:sent").execute().get("messages", [])
    assert len(listed) == 1
    raw = sent.get(userId="me", id=listed[0]["id"], format="raw").execute()["raw"]
    message = email.message_from_bytes(base64.urlsafe_b64decode(raw))
    assert message["To"].endswith(f"<{plan.clerk.email}>")
    assert message["Cc"] is None and message["Bcc"] is None
    # The probe files the folder check creates are deleted again.
    drive = workspace.service("drive", "v3").files()
    assert drive.list(q="name = '.thidua-doctor'", fields="files(id)").execute()["files"] == []


def test_a_form_not_linked_to_the_plans_sheet_is_named_with_the_way_to_link_it(
        workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace, link=False)
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    forms = of(findings, Step.FORMS)
    assert forms and all(f.level is Level.FAIL for f in forms)
    assert "chưa liên kết" in forms[0].detail
    assert "Liên kết với Trang tính" in forms[0].fix
    assert {f.step for f in failures(findings)} == {Step.FORMS}


def test_an_unpublished_form_is_named(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    f1 = next(s for s in plan.sources if s.id == "F1")
    forms = workspace.service("forms", "v1").forms()
    try:
        forms.setPublishSettings(formId=f1.form_id, body={
            "publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": False}},
            "updateMask": "publishState"}).execute()
    except HttpError as error:
        if int(error.resp.status) == 501:
            pytest.skip("this emulator cannot unpublish a form (setPublishSettings 501): passes once rebased onto "
                        "the emulator with publish settings")
        raise
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    [bad] = failures(findings)
    assert bad.step is Step.FORMS and bad.subject.startswith("F1")
    assert "chưa xuất bản" in bad.detail and "Xuất bản" in bad.fix


def test_a_form_not_accepting_responses_is_named(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    f2 = next(s for s in plan.sources if s.id == "F2")
    try:
        workspace.service("forms", "v1").forms().setPublishSettings(formId=f2.form_id, body={
            "publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": False}},
            "updateMask": "publishState"}).execute()
    except HttpError as error:
        if int(error.resp.status) == 501:
            pytest.skip("this emulator cannot close a form (setPublishSettings 501): passes once rebased onto the "
                        "emulator with publish settings")
        raise
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    [bad] = failures(findings)
    assert bad.subject.startswith("F2") and "KHÔNG nhận câu trả lời" in bad.detail


def test_a_sheet_in_another_locale_and_time_zone_is_named(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    roster = next(s for s in plan.sources if s.id == "roster")
    workspace.service("sheets", "v4").spreadsheets().batchUpdate(spreadsheetId=roster.spreadsheet_id, body={
        "requests": [{"updateSpreadsheetProperties": {"properties": {"locale": "en_US", "timeZone": "Etc/GMT"},
                                                      "fields": "locale,timeZone"}}]}).execute()
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    sheets = [f for f in of(findings, Step.SHEETS) if f.level is not Level.OK]
    assert {(f.level, f.detail.split(",")[0]) for f in sheets} == {
        (Level.FAIL, "Múi giờ của bảng tính là Etc/GMT"), (Level.WARN, "Ngôn ngữ của bảng tính là en_US")}
    assert all("Tệp → Cài đặt" in f.fix for f in sheets)
    assert all("roster" in f.subject for f in sheets)


def test_a_renamed_response_tab_is_named_with_the_tabs_there_are(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    f3 = next(s for s in plan.sources if s.id == "F3")
    workspace.gspread().open_by_key(f3.spreadsheet_id).worksheet(f3.sheet).update_title("Trang tính đổi tên")
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    [bad] = failures(findings)
    assert bad.step is Step.SHEETS and bad.subject.startswith("F3")
    assert f"«{f3.sheet}»" in bad.detail and "Trang tính đổi tên" in bad.detail and "sheet:" in bad.fix


def test_an_unreachable_template_and_a_deleted_folder_are_named(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    assert plan.google is not None
    drive = workspace.service("drive", "v3").files()
    drive.delete(fileId=plan.google.templates["review.docx:interim"]).execute()
    drive.update(fileId=plan.google.templates["registration.docx:registration"], body={"trashed": True}).execute()
    drive.delete(fileId=plan.google.deadline_folders["D8"]).execute()
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    bad = {f.subject.split(" ")[0]: f for f in failures(findings)}
    assert [(f.step, subject) for subject, f in bad.items()] == [
        (Step.TEMPLATES, "registration.docx:registration"), (Step.TEMPLATES, "review.docx:interim"),
        (Step.FOLDERS, "D8")]
    assert "Thùng rác" in bad["registration.docx:registration"].detail
    assert "404" in bad["review.docx:interim"].detail and "provision" in bad["review.docx:interim"].fix


def test_user_credentials_missing_a_scope_name_it_and_send_nothing(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator) -> None:
    granted = tuple(s for s in SCOPES if not s.endswith("gmail.send"))
    emulator.grant_refresh_token("1//doctor-test", RefreshGrant("client.apps.googleusercontent.com", "s3cret",
                                                                 granted, workspace.user))
    info = {"type": "authorized_user", "client_id": "client.apps.googleusercontent.com", "client_secret": "s3cret",
            "refresh_token": "1//doctor-test", "scopes": list(granted)}
    plan = provisioned(workspace, info=info)
    findings = doctor(plan, info, workspace.base_url)
    bad = failures(findings)
    assert [(f.step, f.subject) for f in bad] == [
        (Step.SCOPES, "https://www.googleapis.com/auth/gmail.send"), (Step.GMAIL, plan.delivery.sender)]
    assert "thidua google login" in bad[0].fix
    assert of(findings, Step.TEST_EMAIL)[0].level is Level.SKIP
    assert workspace.service("gmail", "v1").users().messages().list(userId="me").execute().get("messages") is None


def test_a_personal_gmail_account_is_refused_with_the_reason(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    plan = plan.model_copy(update={"google": GoogleSettings(user="co.giao.lan@gmail.com")})
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    first = findings[0]
    assert (first.step, first.level) == (Step.CREDENTIALS, Level.FAIL)
    assert "@gmail.com" in first.detail and "7 ngày" in first.detail


def test_an_unknown_credential_kind_stops_before_any_call(workspace: WorkspaceClients,
                                                          emulator: WorkspaceEmulator) -> None:
    plan = provisioned(workspace)
    emulator.log.clear()
    findings = doctor(plan, {"type": "external_account"}, workspace.base_url)
    assert findings[0].level is Level.FAIL and "external_account" in findings[0].detail
    assert {f.level for f in findings[1:]} == {Level.SKIP}
    assert emulator.log.count() == 0


# ---------------------------------------------------------------- an API not enabled in the Cloud project

def _service_disabled(title: str, service: str) -> dict[str, Any]:
    """Google's answer when the project has not enabled the API (ErrorInfo SERVICE_DISABLED, legacy
    accessNotConfigured), as reported in googleapis and gemini-cli issues."""
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project=123456789012"
    message = (f"{title} has not been used in project 123456789012 before or it is disabled. Enable it by "
               f"visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action "
               "to propagate to our systems and retry.")
    return {"error": {
        "code": 403, "message": message, "status": "PERMISSION_DENIED",
        "errors": [{"message": message, "domain": "usageLimits", "reason": "accessNotConfigured",
                    "extendedHelp": "https://console.developers.google.com"}],
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
                     "domain": "googleapis.com",
                     "metadata": {"service": service, "consumer": "projects/123456789012", "activationUrl": url,
                                  "serviceTitle": title, "containerInfo": "123456789012"}}]}}


@pytest.fixture
def forms_disabled(emulator: WorkspaceEmulator) -> Iterator[str]:
    """A loopback front for the emulator that answers every Forms API call as Google does for a project that has
    not enabled the Forms API, and passes everything else through."""
    target = emulator.base_url

    class Front(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/v1/forms"):
                payload = json.dumps(_service_disabled("Google Forms API", "forms.googleapis.com")).encode()
                status, headers = 403, {"Content-Type": "application/json; charset=UTF-8"}
            else:
                sent = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                reply = requests.request(self.command, target + self.path, data=body, headers=sent, timeout=60)
                payload, status = reply.content, reply.status_code
                headers = {"Content-Type": reply.headers.get("Content-Type", "application/json")}
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_api_not_enabled_is_named_with_its_activation_link(workspace: WorkspaceClients,
                                                              forms_disabled: str) -> None:
    plan = provisioned(workspace)
    findings = doctor(plan, workspace.account.info(forms_disabled), forms_disabled, send_test_email=False)
    bad = failures(findings)
    assert [(f.step, f.subject) for f in bad] == [(Step.APIS, "Google Forms API")]
    assert "SERVICE_DISABLED" in bad[0].detail
    assert "https://console.developers.google.com/apis/api/forms.googleapis.com/overview" in bad[0].fix
    assert [f.level for f in of(findings, Step.FORMS)] == [Level.SKIP]
    assert {f.level for f in of(findings, Step.SHEETS)} == {Level.OK}


# ---------------------------------------------------------------- domain-wide delegation (Admin console)

needs_delegation = pytest.mark.skipif(
    "delegation" not in EmulatorConfig.model_fields,
    reason="this emulator has no domain-wide delegation allow-list: passes once rebased onto the emulator with "
           "EmulatorConfig.delegation",
)


@pytest.fixture
def delegating_emulator(request: pytest.FixtureRequest) -> Iterator[WorkspaceEmulator]:
    config = EmulatorConfig(delegation=request.param)  # type: ignore[call-arg, unused-ignore]
    with WorkspaceEmulator(config) as running:
        yield running


@needs_delegation
@pytest.mark.parametrize("delegating_emulator", [{}], indirect=True)
def test_no_delegation_prints_the_client_id_and_the_scope_string(delegating_emulator: WorkspaceEmulator) -> None:
    clients = WorkspaceClients(delegating_emulator)
    plan = for_user(parse_plan(SEED_PLAN.read_text(encoding="utf-8")), clients.user)
    info = clients.account.info(clients.base_url)
    findings = doctor(plan, info, clients.base_url)
    refused = failures(findings)[0]
    assert refused.step is Step.CREDENTIALS and "unauthorized_client" in refused.detail
    assert info["client_id"] in refused.fix and "admin.google.com" in refused.fix
    assert refused.paste == scope_string() == ",".join(SCOPES)
    assert " " not in refused.paste


@needs_delegation
@pytest.mark.parametrize("delegating_emulator", [
    {"thidua-bot@thidua-emulator.iam.gserviceaccount.com":
         [s for s in SCOPES if not s.endswith("forms.body")]}], indirect=True)
def test_delegation_missing_one_scope_names_it(delegating_emulator: WorkspaceEmulator) -> None:
    clients = WorkspaceClients(delegating_emulator)
    plan = for_user(parse_plan(SEED_PLAN.read_text(encoding="utf-8")), clients.user)
    findings = doctor(plan, clients.account.info(clients.base_url), clients.base_url, send_test_email=False)
    scopes = [f for f in of(findings, Step.SCOPES) if f.level is Level.FAIL]
    assert [f.subject for f in scopes] == ["https://www.googleapis.com/auth/forms.body",
                                           "Chuỗi phạm vi cho Admin console"]
    assert scopes[-1].paste == ",".join(SCOPES)


# ---------------------------------------------------------------- the command

def _run_cli(plan: Plan, tmp_path: Path, env: dict[str, str], *options: str) -> Any:
    from typer.testing import CliRunner

    from thidua_cli.google_demo import write_plan
    from thidua_cli.main import app

    path = tmp_path / "plan.google.yaml"
    write_plan(plan, path)
    return CliRunner().invoke(app, ["google", "doctor", str(path), *options], env=env)


def test_the_command_exits_zero_on_a_healthy_workspace_and_one_naming_the_fix_otherwise(
        workspace: WorkspaceClients, tmp_path: Path) -> None:
    plan = provisioned(workspace)
    env = {"THIDUA_GOOGLE_CREDENTIALS": json.dumps(workspace.account.info(workspace.base_url)), "COLUMNS": "200"}
    healthy = _run_cli(plan, tmp_path, env, "--base-url", workspace.base_url, "--no-test-email")
    assert healthy.exit_code == 0, healthy.output
    assert "Cài đặt Google sẵn sàng" in healthy.output
    assert plan.google is not None
    workspace.service("drive", "v3").files().delete(fileId=plan.google.templates["review.docx:annual"]).execute()
    broken = _run_cli(plan, tmp_path, env, "--base-url", workspace.base_url, "--no-test-email")
    assert broken.exit_code == 1
    assert "1 mục cần sửa, 0 lưu ý" in broken.output


def test_the_command_without_credentials_says_where_to_put_them(workspace: WorkspaceClients, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THIDUA_GOOGLE_CREDENTIALS", raising=False)
    plan = provisioned(workspace)
    result = _run_cli(plan, tmp_path, {"THIDUA_GOOGLE_CREDENTIALS": "", "COLUMNS": "200"},
                      "--base-url", workspace.base_url)
    assert result.exit_code == 1 and "1 mục cần sửa" in result.output
    from connectors.google.doctor import diagnose

    [missing, *rest] = diagnose(plan, "", workspace.base_url)
    assert missing.level is Level.FAIL and "THIDUA_GOOGLE_CREDENTIALS" in missing.detail
    assert "thidua google login" in missing.fix and {f.level for f in rest} == {Level.SKIP}


@needs_delegation
@pytest.mark.parametrize("delegating_emulator", [{}], indirect=True)
def test_the_command_prints_the_scope_string_whole_on_its_own_line(delegating_emulator: WorkspaceEmulator,
                                                                   tmp_path: Path) -> None:
    clients = WorkspaceClients(delegating_emulator)
    plan = for_user(parse_plan(SEED_PLAN.read_text(encoding="utf-8")), clients.user)
    env = {"THIDUA_GOOGLE_CREDENTIALS": json.dumps(clients.account.info(clients.base_url)), "COLUMNS": "80"}
    result = _run_cli(plan, tmp_path, env, "--base-url", clients.base_url)
    assert result.exit_code == 1
    assert ",".join(SCOPES) in result.output.splitlines()


def test_an_unreachable_token_endpoint_is_a_finding_not_a_crash(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    findings = doctor(plan, workspace.account.info(closed), closed)
    token = next(f for f in findings if f.subject == "Mã truy cập")
    assert token.level is Level.FAIL and "kết nối" in token.detail
    assert {f.level for f in findings if f.step is not Step.CREDENTIALS} == {Level.SKIP}


def test_a_sender_that_is_not_the_mailbox_is_named(workspace: WorkspaceClients) -> None:
    plan = provisioned(workspace)
    delivery = plan.delivery.model_copy(update={"sender": "thiduakhenthuong@truong-thcs.edu.vn"})
    plan = plan.model_copy(update={"delivery": delivery})
    findings = doctor(plan, workspace.account.info(workspace.base_url), workspace.base_url, send_test_email=False)
    [gmail] = of(findings, Step.GMAIL)
    assert gmail.level is not Level.OK  # the emulator has no sendAs.list (501): a warning, not a guess
    assert "Gửi thư bằng địa chỉ" in gmail.fix and workspace.user in gmail.detail


def test_user_credentials_for_another_mailbox_are_named(workspace: WorkspaceClients,
                                                        emulator: WorkspaceEmulator) -> None:
    emulator.grant_refresh_token("1//other", RefreshGrant("client.apps.googleusercontent.com", "s3cret",
                                                           tuple(SCOPES), "giao.vien@truong-thcs.edu.vn"))
    info = {"type": "authorized_user", "client_id": "client.apps.googleusercontent.com", "client_secret": "s3cret",
            "refresh_token": "1//other"}
    plan = provisioned(workspace, info=info)
    findings = doctor(plan, info, workspace.base_url)
    [bad] = failures(findings)
    assert bad.step is Step.GMAIL and "giao.vien@truong-thcs.edu.vn" in bad.detail
    assert of(findings, Step.TEST_EMAIL)[0].level is Level.SKIP


def test_the_legacy_access_not_configured_body_alone_reads_as_a_disabled_api() -> None:
    import httplib2

    from connectors.google.doctor import classify

    body = {"error": {"code": 403, "message": "Access Not Configured. Drive API has not been used in project 42 "
                      "before or it is disabled.", "errors": [{"domain": "usageLimits",
                                                                "reason": "accessNotConfigured"}]}}
    error = HttpError(httplib2.Response({"status": 403}), json.dumps(body).encode())
    problem = classify(error)
    assert (problem.kind, problem.status, problem.activation_url) == ("disabled", 403, "")
    insufficient = {"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
                              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                           "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}
    assert classify(HttpError(httplib2.Response({"status": 403}), json.dumps(insufficient).encode())).kind == "scope"
