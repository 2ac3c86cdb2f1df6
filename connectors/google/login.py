"""`thidua google login`: a Workspace user's consent, kept as the `authorized_user` JSON the flows read.

The installed-app flow (google-auth-oauthlib) opens the consent page and catches the answer on a loopback
redirect server. With the OAuth consent screen set to "Internal" (only the school's Workspace domain), Google
asks for no app verification and the refresh token does not expire after 7 days as it does for an "External"
app in testing. The JSON holds the refresh token and the client secret: it goes to a Prefect Secret block or a
file only its owner can read (mode 600), and is never printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow

from connectors.google import endpoints
from connectors.google.api import GoogleAuthError
from connectors.google.auth import SCOPES, load_credentials

SUCCESS_PAGE = "Đã đăng nhập xong. Hãy đóng thẻ này và quay lại cửa sổ dòng lệnh."
PROMPT = "Mở đường dẫn sau trong trình duyệt (đăng nhập bằng tài khoản Google Workspace của trường):\n{url}\n"


def client_config(path: Path) -> dict[str, Any]:
    """The OAuth client JSON downloaded from the Cloud console (application type "Desktop app")."""
    try:
        config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise GoogleAuthError(f"Không đọc được tệp OAuth client «{path.name}» ({type(error).__name__}).") from None
    if "installed" not in config:
        kind = next(iter(config), "không rõ")
        raise GoogleAuthError(
            f"Tệp «{path.name}» là OAuth client loại «{kind}»; cần loại «Ứng dụng dành cho máy tính» (Desktop app): "
            "Google Cloud → API và dịch vụ → Thông tin xác thực → Tạo thông tin xác thực → Mã ứng dụng khách OAuth."
        )
    return config


def consent(config: Mapping[str, Any], scopes: Iterable[str] = SCOPES, *, port: int = 0, open_browser: bool = True,
            browser: str | None = None, timeout_seconds: int | None = 600) -> Credentials:
    """Runs the consent in the browser and returns the user's credentials (with a refresh token)."""
    flow = InstalledAppFlow.from_client_config(dict(config), scopes=list(scopes))
    credentials: Credentials = flow.run_local_server(
        host="localhost", bind_addr="127.0.0.1", port=port, open_browser=open_browser, browser=browser,
        authorization_prompt_message=PROMPT, success_message=SUCCESS_PAGE, timeout_seconds=timeout_seconds,
        # offline + consent: Google returns a refresh token even to a user who consented before.
        access_type="offline", prompt="consent",
    )
    if not credentials.refresh_token:
        raise GoogleAuthError(
            "Google không trả về refresh token: chạy lại lệnh và bấm «Cho phép» trên màn hình đồng ý.")
    return credentials


def authorized_user(credentials: Credentials) -> dict[str, Any]:
    """The long-lived part only (no access token): what `connectors.google.auth.load_credentials` reads."""
    return {
        "type": "authorized_user",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
        "token_uri": credentials.token_uri,
        "scopes": list(credentials.scopes or SCOPES),
    }


def mailbox(info: Mapping[str, Any], base_url: str | None = None) -> str:
    """Whose mailbox the stored credentials open: read back through the same path the flows take."""
    credentials = load_credentials(info, "", base_url)
    gmail = endpoints.build_service("gmail", "v1", credentials, base_url)
    return str(gmail.users().getProfile(userId="me").execute()["emailAddress"])


def save_file(info: Mapping[str, Any], path: Path) -> Path:
    """Writes the JSON readable by its owner only (0600), also when replacing a file that was wider open."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, json.dumps(dict(info), ensure_ascii=False, indent=2).encode("utf-8"))
    finally:
        os.close(descriptor)
    return path


def save_secret_block(info: Mapping[str, Any], name: str) -> None:
    """Stores the JSON in a Prefect Secret block (encrypted in Prefect's database), where deployments read it."""
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    Secret(value=SecretStr(json.dumps(dict(info)))).save(name, overwrite=True)
