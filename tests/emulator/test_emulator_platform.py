"""Auth, scopes, quotas, faults, the request log, admin endpoints, snapshots and the CLI."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import google.auth.exceptions
import google.oauth2.credentials
import pytest
import requests
from googleapiclient.errors import HttpError

from connectors.google import endpoints
from connectors.google.quotas import DEFAULT_QUOTAS, Limit
from emulator.auth import RefreshGrant
from emulator.faults import FaultRule
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import FakeServiceAccount, WorkspaceClients, fake_service_account

READONLY = "https://www.googleapis.com/auth/spreadsheets.readonly"


@pytest.fixture
def fresh() -> Iterator[list[WorkspaceEmulator]]:
    """Emulators with their own config, stopped after the test."""
    started: list[WorkspaceEmulator] = []
    yield started
    for emulator in started:
        emulator.stop()


def start(fresh: list[WorkspaceEmulator], **config: object) -> WorkspaceClients:
    emulator = WorkspaceEmulator(EmulatorConfig(**config))  # type: ignore[arg-type]
    emulator.start()
    fresh.append(emulator)
    return WorkspaceClients(emulator)


def test_missing_or_foreign_token_is_401_with_googles_body(workspace: WorkspaceClients) -> None:
    missing = requests.get(f"{workspace.base_url}/v4/spreadsheets/abc", timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["status"] == "UNAUTHENTICATED"
    foreign = requests.get(
        f"{workspace.base_url}/v4/spreadsheets/abc", headers={"Authorization": "Bearer ya29.not-ours"}, timeout=10
    )
    assert foreign.status_code == 401 and "invalid authentication credentials" in foreign.json()["error"]["message"]


def test_under_scoped_token_gets_403_insufficient_scopes(workspace: WorkspaceClients) -> None:
    sheets = workspace.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    reader = workspace.service("sheets", "v4", scopes=[READONLY])
    assert reader.spreadsheets().get(spreadsheetId=sid).execute()["spreadsheetId"] == sid
    with pytest.raises(HttpError) as caught:
        reader.spreadsheets().values().update(
            spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["x"]]}
        ).execute()
    assert caught.value.resp.status == 403
    session = workspace.session(scopes=[READONLY])
    error = session.get("https://gmail.googleapis.com/gmail/v1/users/me/messages").json()["error"]
    assert error["message"] == "Request had insufficient authentication scopes."
    assert error["status"] == "PERMISSION_DENIED"
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


def test_delegated_subject_is_the_user_of_every_call(workspace: WorkspaceClients) -> None:
    workspace.service("docs", "v1", user="hieu.pho@truong-thcs.edu.vn").documents().create(
        body={"title": "Kế hoạch"}
    ).execute()
    entry = workspace.emulator.log.entries("docs.documents.create")[-1]
    assert entry.user == "hieu.pho@truong-thcs.edu.vn" and entry.status == 200


def test_strict_mode_verifies_signatures(fresh: list[WorkspaceEmulator]) -> None:
    account = fake_service_account()
    clients = start(fresh, trusted_certs={account.key_id: account.public_cert_pem})
    assert clients.service("docs", "v1").documents().create(body={"title": "Đã ký"}).execute()["title"] == "Đã ký"
    stranger = WorkspaceClients(
        clients.emulator,
        account=FakeServiceAccount(account.private_key_pem, account.public_cert_pem, key_id="other-key"),
    )
    with pytest.raises(google.auth.exceptions.RefreshError):
        stranger.service("docs", "v1").documents().create(body={"title": "x"}).execute()


def test_refresh_token_grant_uses_registered_scopes_and_subject(workspace: WorkspaceClients) -> None:
    workspace.emulator.grant_refresh_token(
        "1//refresh-emu",
        RefreshGrant(
            "client-1",
            "secret-1",
            (endpoints.SCOPES["sheets"], endpoints.SCOPES["drive"]),
            "giao.vien@truong-thcs.edu.vn",
        ),
    )
    credentials = google.oauth2.credentials.Credentials(
        None, refresh_token="1//refresh-emu", client_id="client-1", client_secret="secret-1",
        token_uri=endpoints.token_uri(workspace.base_url),
    )  # fmt: skip
    book = endpoints.gspread_client(credentials, workspace.base_url).create("Của giáo viên")
    assert book.title == "Của giáo viên"
    assert workspace.emulator.log.entries("drive.files.create")[-1].user == "giao.vien@truong-thcs.edu.vn"


def test_quota_per_user_gives_429_with_retry_after(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(sheets_read=Limit(per_user=3, per_project=100)))
    sheets = clients.service("sheets", "v4")
    sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
    session = clients.session()
    statuses = [
        session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/A1").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/A1")
    assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert refused.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert "Read requests per minute per user" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other_user = clients.session(user="nguoi.khac@truong-thcs.edu.vn")
    assert other_user.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/A1").status_code == 200


def test_quota_per_project_spans_users(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(docs_write=Limit(per_user=10, per_project=2)))
    for user in ("a@truong.edu.vn", "b@truong.edu.vn"):
        clients.service("docs", "v1", user=user).documents().create(body={"title": user}).execute()
    with pytest.raises(HttpError) as caught:
        clients.service("docs", "v1", user="c@truong.edu.vn").documents().create(body={"title": "c"}).execute()
    assert caught.value.resp.status == 429 and "per minute per project" in str(caught.value)


def test_gmail_units_quota_uses_userRateLimitExceeded(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(gmail_units=Limit(per_user=205, per_project=None)))
    message = EmailMessage()
    message["To"] = "a@truong.edu.vn"
    message["Subject"] = "Hạn nộp"
    message.set_content("Nhắc hạn")
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    session = clients.session()
    url = "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
    statuses = [session.post(url, json={"raw": raw}).status_code for _ in range(2)]
    listed = session.get("https://gmail.googleapis.com/gmail/v1/users/me/messages")
    refused = session.get("https://gmail.googleapis.com/gmail/v1/users/me/messages")
    assert statuses == [200, 200] and listed.status_code == 200  # 100 + 100 + 5 units
    assert refused.status_code == 429
    assert refused.json()["error"]["errors"][0]["reason"] == "userRateLimitExceeded"


def test_disabled_quotas_never_refuse(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(drive_queries=Limit(1, 1)), quotas_enabled=False)
    drive = clients.service("drive", "v3")
    for _ in range(3):
        drive.files().list().execute()


def test_configured_fault_rates_are_deterministic(fresh: list[WorkspaceEmulator]) -> None:
    rule = FaultRule(methods=["sheets.spreadsheets.values.batchGet"], error_rate=0.5, statuses=[429, 500, 503])
    runs = []
    for _ in range(2):
        clients = start(fresh, faults=[rule], fault_seed=7)
        sid = clients.service("sheets", "v4").spreadsheets().create(body={}).execute()["spreadsheetId"]
        session = clients.session()
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values:batchGet"
        runs.append([session.get(url, params={"ranges": "A1"}).status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert set(Counter(runs[0])) == {200, 429, 500, 503}
    assert clients.emulator.log.count("sheets.spreadsheets.values.batchGet", status=503) == runs[1].count(503)


def test_admin_faults_latency_and_dropped_connections(workspace: WorkspaceClients) -> None:
    drive = workspace.service("drive", "v3")
    admin = f"{workspace.base_url}/_emulator/faults"
    requests.post(
        admin, json={"seed": 1, "rules": [{"methods": ["drive.files.list"], "latency_ms": 300}]}, timeout=10
    ).raise_for_status()
    started = time.monotonic()
    drive.files().list().execute()
    assert time.monotonic() - started >= 0.3
    requests.post(
        admin, json={"rules": [{"methods": ["*"], "error_rate": 1.0, "statuses": [503]}]}, timeout=10
    ).raise_for_status()
    with pytest.raises(HttpError) as caught:
        drive.files().list().execute()
    assert caught.value.resp.status == 503
    requests.post(
        admin, json={"rules": [{"methods": ["drive.files.list"], "drop_rate": 1.0}]}, timeout=10
    ).raise_for_status()
    with pytest.raises(requests.exceptions.ConnectionError):
        workspace.session().get("https://www.googleapis.com/drive/v3/files")
    requests.delete(admin, timeout=10).raise_for_status()
    assert drive.files().list().execute()["files"] == []


def test_request_log_over_http_and_reset(workspace: WorkspaceClients) -> None:
    workspace.service("docs", "v1").documents().create(body={"title": "Nhật ký"}).execute()
    log = requests.get(f"{workspace.base_url}/_emulator/requests", timeout=10).json()["requests"]
    created = [e for e in log if e["method_id"] == "docs.documents.create"]
    assert created and created[0]["status"] == 200 and created[0]["path"] == "/v1/documents"
    requests.post(f"{workspace.base_url}/_emulator/reset", timeout=10).raise_for_status()
    assert workspace.service("drive", "v3").files().list().execute()["files"] == []


def test_snapshot_written_and_seeded(tmp_path: Path, fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh)
    book = clients.gspread().create("Lưu lại")
    book.sheet1.update([["Ngày", "Việc"], ["20/11", "Mít tinh"]], "A1")
    clients.emulator.save_snapshot(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "docs.json",
        "drive.json",
        "forms.json",
        "gmail.json",
        "sheets.json",
    ]
    seeded = start(fresh, seed_dir=tmp_path)
    assert seeded.gspread().open("Lưu lại").sheet1.get_all_values() == [["Ngày", "Việc"], ["20/11", "Mít tinh"]]


def test_cli_serves_until_interrupted_and_writes_snapshot(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "--port", str(port), "--snapshot", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the CLI did not start"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert (tmp_path / "drive.json").exists()


def test_gmail_daily_sending_limit(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(gmail_messages_per_day=Limit(1, None, 86_400)))
    message = EmailMessage()
    message["To"] = "a@truong.edu.vn"
    message.set_content("Một thư mỗi ngày")
    body = {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}
    gmail = clients.service("gmail", "v1")
    gmail.users().messages().send(userId="me", body=body).execute()
    with pytest.raises(HttpError) as caught:
        gmail.users().messages().send(userId="me", body=body).execute()
    assert caught.value.resp.status == 429 and "Daily user sending limit exceeded" in str(caught.value)


def test_cli_command_registers_with_typer() -> None:
    import typer
    from typer.testing import CliRunner

    from emulator.cli import emulator_command

    app = typer.Typer()
    app.command("emulator")(emulator_command)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["emulator", "--help"])
    assert result.exit_code == 0
    assert "--seed" in result.output and "--port" in result.output


def test_quota_user_parameter_picks_the_per_user_bucket(fresh: list[WorkspaceEmulator]) -> None:
    clients = start(fresh, quotas=DEFAULT_QUOTAS.with_limits(drive_queries=Limit(per_user=1, per_project=100)))
    session = clients.session()
    url = "https://www.googleapis.com/drive/v3/files"
    assert session.get(url, params={"quotaUser": "lop-6a"}).status_code == 200
    assert session.get(url, params={"quotaUser": "lop-6a"}).status_code == 403  # Drive: userRateLimitExceeded
    assert session.get(url, params={"quotaUser": "lop-6b"}).status_code == 200
