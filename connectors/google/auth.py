"""Google credentials for thidua: the narrowest scopes that work, read from a secret, never logged.

Two kinds are accepted, as JSON: a service account with domain-wide delegation, acting as the clerk's mailbox
(`google.user` in the plan), or an authorized user's OAuth credentials from an installed-app consent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials

from connectors.google import endpoints
from connectors.google.api import GoogleAuthError

ENV_VAR = "THIDUA_GOOGLE_CREDENTIALS"

# Why each scope, and why not a wider one: see README, "Google Workspace: scopes".
SCOPES: Mapping[str, str] = {
    # Read the response sheets; provisioning creates them (drive.file covers files the app created).
    "https://www.googleapis.com/auth/spreadsheets": "đọc bảng câu trả lời, tạo bảng khi khởi tạo",
    # Only files thidua created or was given: templates, report copies, folders — not the whole Drive.
    "https://www.googleapis.com/auth/drive.file": "sao chép mẫu, xuất PDF, thư mục báo cáo",
    "https://www.googleapis.com/auth/documents": "điền báo cáo vào Google Docs",
    "https://www.googleapis.com/auth/forms.body": "tạo biểu mẫu khi khởi tạo",
    "https://www.googleapis.com/auth/forms.responses.readonly": "đọc câu trả lời qua Forms API",
    "https://www.googleapis.com/auth/gmail.send": "gửi báo cáo",
    # messages.list with q= (finding a sent report by Message-ID) is refused under gmail.metadata.
    "https://www.googleapis.com/auth/gmail.readonly": "tìm thư đã gửi theo Message-ID để không gửi trùng",
}


def credential_info(secret: str | None = None) -> dict[str, Any]:
    """The credential JSON from `secret` (JSON text or a file path), else the environment variable."""
    raw = secret if secret is not None else os.environ.get(ENV_VAR)
    if not raw:
        raise GoogleAuthError(
            f"Chưa có thông tin xác thực Google: đặt biến môi trường {ENV_VAR} (nội dung JSON hoặc đường dẫn tệp "
            "khóa tài khoản dịch vụ), hoặc lưu vào Prefect Secret block và truyền tên block."
        )
    text = raw if raw.lstrip().startswith("{") else Path(raw).read_text(encoding="utf-8")
    try:
        info: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as error:
        raise GoogleAuthError(f"Thông tin xác thực Google không phải JSON hợp lệ (dòng {error.lineno}).") from None
    return info


def load_credentials(info: Mapping[str, Any], user: str, base_url: str | None = None,
                     scopes: Mapping[str, str] = SCOPES) -> Credentials:
    """Service-account credentials delegated to `user`, or a user's own; `base_url` points at the emulator."""
    kind = info.get("type")
    if kind == "service_account":
        return endpoints.service_account_credentials(info, list(scopes), subject=user, base_url=base_url)
    if kind == "authorized_user":
        data = dict(info)
        data["token_uri"] = endpoints.token_uri(base_url)
        own: Credentials = user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
            data, list(scopes))
        return own
    raise GoogleAuthError(
        f"Loại thông tin xác thực «{kind}» không được hỗ trợ: dùng khóa tài khoản dịch vụ (service_account) "
        "hoặc thông tin người dùng OAuth (authorized_user)."
    )


def prefect_secret(block_name: str) -> str:
    """The credential JSON kept in a Prefect Secret block, so it never sits in a file on a worker."""
    from prefect.blocks.system import Secret

    block = cast("Secret[Any]", Secret.load(block_name))
    value = block.get()
    return value if isinstance(value, str) else json.dumps(value)

