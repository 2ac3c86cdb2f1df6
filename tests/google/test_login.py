"""`thidua google login`, offline: the real installed-app flow and its loopback redirect server, a loopback stand-in
for Google's consent page and code exchange, and the emulator's /token for everything after (as the flows use it).
"""

from __future__ import annotations

import json
import stat
import threading
import urllib.parse
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from connectors.google import endpoints
from connectors.google.auth import SCOPES, credential_info, load_credentials
from emulator.auth import RefreshGrant
from emulator.server import WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua_cli.main import app

CLIENT_ID = "123-thidua.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-not-a-real-secret"
REFRESH_TOKEN = "1//refresh-token-from-consent"


@dataclass
class ConsentServer:
    """Google's consent page (it approves at once, as the user clicking "Allow") and the authorization-code
    exchange of its token endpoint; what it saw, for the assertions."""

    base_url: str = ""
    authorize_queries: list[dict[str, str]] = field(default_factory=list)
    exchanges: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def consent_server() -> Iterator[ConsentServer]:
    seen = ConsentServer()
    codes: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            seen.authorize_queries.append(query)
            codes["4/code"] = query["scope"]
            target = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"state": query["state"], "code": "4/code", "scope": query["scope"]})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = dict(urllib.parse.parse_qsl(body))
            seen.exchanges.append(form)
            ok = form.get("grant_type") == "authorization_code" and form.get("code") in codes
            payload = json.dumps({"access_token": "ya29.consent", "expires_in": 3599, "token_type": "Bearer",
                                  "refresh_token": REFRESH_TOKEN, "scope": codes.get(form.get("code", ""), "")}
                                 if ok else {"error": "invalid_grant"}).encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield seen
    server.shutdown()
    server.server_close()


class ClickingBrowser(webbrowser.BaseBrowser):
    """A browser that follows the consent URL (and its redirect to the loopback server) in the background."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        threading.Thread(target=lambda: requests.get(url, timeout=30), daemon=True).start()
        return True


@pytest.fixture
def client_secrets(tmp_path: Path, consent_server: ConsentServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Google's endpoints are https; the stand-in is plain http on loopback, which oauthlib refuses unless told.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    webbrowser.register("thidua-test", None, ClickingBrowser("thidua-test"), preferred=True)
    monkeypatch.setenv("BROWSER", "thidua-test")
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps({"installed": {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": ["http://localhost"],
        "auth_uri": consent_server.base_url + "/o/oauth2/auth", "token_uri": consent_server.base_url + "/token"}}))
    return path


def grant(emulator: WorkspaceEmulator, user: str) -> None:
    """Google's side of the refresh token the consent produced: which client, which scopes, whose mailbox."""
    emulator.grant_refresh_token(REFRESH_TOKEN, RefreshGrant(CLIENT_ID, CLIENT_SECRET, tuple(SCOPES), user))


def test_login_stores_authorized_user_credentials_readable_by_the_owner_only(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator, client_secrets: Path, consent_server: ConsentServer,
        tmp_path: Path) -> None:
    grant(emulator, workspace.user)
    out = tmp_path / "keys" / "google.json"
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(client_secrets), "--out", str(out),
                                      "--user", workspace.user, "--base-url", workspace.base_url])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # Offline access and a fresh consent were asked for, with exactly thidua's scopes, through the loopback server.
    [asked] = consent_server.authorize_queries
    assert (asked["access_type"], asked["prompt"]) == ("offline", "consent")
    assert asked["scope"].split() == list(SCOPES)
    assert asked["redirect_uri"].startswith("http://localhost:")
    # The stored file is what the flows read (THIDUA_GOOGLE_CREDENTIALS = its path) and it opens the mailbox.
    info = credential_info(str(out))
    assert info["type"] == "authorized_user" and "token" not in info
    credentials = load_credentials(info, workspace.user, workspace.base_url)
    gmail = endpoints.build_service("gmail", "v1", credentials, workspace.base_url)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == workspace.user
    # Nothing secret reached the console.
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "ya29.consent"):
        assert secret not in result.output
    assert str(out.resolve()) in result.output.replace("\n", "")


def test_login_tightens_an_existing_file_to_mode_600(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator, client_secrets: Path, tmp_path: Path) -> None:
    grant(emulator, workspace.user)
    out = tmp_path / "google.json"
    out.write_text("{}")
    out.chmod(0o644)
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(client_secrets), "--out", str(out),
                                      "--base-url", workspace.base_url])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["refresh_token"] == REFRESH_TOKEN


def test_login_as_another_account_than_the_plans_stores_nothing(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator, client_secrets: Path, tmp_path: Path) -> None:
    grant(emulator, "giao.vien@truong-thcs.edu.vn")
    out = tmp_path / "google.json"
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(client_secrets), "--out", str(out),
                                      "--user", workspace.user, "--base-url", workspace.base_url])
    assert result.exit_code == 1
    assert "giao.vien@truong-thcs.edu.vn" in result.output and not out.exists()


def test_login_with_a_personal_gmail_account_stores_nothing_and_says_why(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator, client_secrets: Path, tmp_path: Path) -> None:
    grant(emulator, "co.giao@gmail.com")
    out = tmp_path / "google.json"
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(client_secrets), "--out", str(out),
                                      "--base-url", workspace.base_url])
    assert result.exit_code == 1
    assert "Gmail cá nhân" in result.output and "7 ngày" in result.output and not out.exists()


def test_a_web_client_file_is_refused_naming_the_desktop_type(tmp_path: Path) -> None:
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps({"web": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}))
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(path), "--out",
                                      str(tmp_path / "google.json"), "--no-browser"])
    assert result.exit_code == 1
    assert "Desktop app" in result.output and CLIENT_SECRET not in result.output


def test_login_into_a_secret_block_is_where_the_doctor_and_the_flows_read_it(
        workspace: WorkspaceClients, emulator: WorkspaceEmulator, client_secrets: Path, prefect_api: Any) -> None:
    from connectors.google.auth import prefect_secret
    from connectors.google.doctor import Level, Step, diagnose
    from thidua.plan import GoogleSettings, parse_plan

    grant(emulator, workspace.user)
    result = CliRunner().invoke(app, ["google", "login", "--client-secrets", str(client_secrets), "--secret-block",
                                      "thidua-google-login-test", "--base-url", workspace.base_url])
    assert result.exit_code == 0, result.output
    assert REFRESH_TOKEN not in result.output and CLIENT_SECRET not in result.output
    assert credential_info(prefect_secret("thidua-google-login-test"))["refresh_token"] == REFRESH_TOKEN
    plan = parse_plan((Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024-google" /
                       "plan.yaml").read_text(encoding="utf-8"))
    plan = plan.model_copy(update={"google": GoogleSettings(user=workspace.user),
                                   "delivery": plan.delivery.model_copy(update={"sender": workspace.user})})
    findings = diagnose(plan, "thidua-google-login-test", workspace.base_url, send_test_email=False)
    first = findings[0]
    assert (first.step, first.level) == (Step.CREDENTIALS, Level.OK)
    assert "thidua-google-login-test" in first.subject and "authorized_user" in first.detail
    assert [f for f in findings if f.step in (Step.APIS, Step.SCOPES, Step.GMAIL) and f.level is not Level.OK] == []
