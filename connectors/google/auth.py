"""Google credentials for thidua: the narrowest scopes that work, read from a secret, never logged.

Two kinds are accepted, as JSON: a service account with domain-wide delegation, acting as the clerk's mailbox
(`google.user` in the plan), or an authorized user's OAuth credentials from an installed-app consent.

Reading and scrubbing the JSON needs no Google library (every flow run scrubs its messages); google-auth is
imported only when credentials are made, since it takes seconds to import.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from connectors.google.api import GoogleAuthError

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

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


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----.*?(?:-----END [A-Z ]+-----|\Z)", re.DOTALL)
_SECRET_FIELD = re.compile(
    r"""(["']?(?:private_key|private_key_id|client_secret|refresh_token|token|access_token)["']?\s*[:=]\s*)"""
    r"""(["'])(?:\\.|(?!\2).)*(?:\2|\Z)""",
    re.DOTALL,
)
# A path is short and on one line; anything else in the variable is content, and content is never echoed.
_MAX_PATH = 1024


def scrub_secrets(text: str) -> str:
    """`text` with every PEM block and every secret-bearing JSON field replaced, for messages, logs and alerts:
    an exception about a credential can quote it, and such a message travels to the console, the Prefect
    database and the clerk's mailbox."""
    text = _PEM_BLOCK.sub("[khóa bí mật đã ẩn]", text)
    return _SECRET_FIELD.sub(lambda m: f"{m.group(1)}\"[đã ẩn]\"", text)


def parse_credentials(raw: str) -> dict[str, Any]:
    """The credential JSON from what a clerk may put in the variable or the Secret block: the JSON itself, the
    JSON quoted as a .env file writes it, or the path of the key file. A bare PEM key is refused (the service
    account's email and token URI are missing). No error quotes `raw`, and none chains an exception that does.
    """
    text = raw.strip()
    if not text:
        raise GoogleAuthError(_MISSING)
    for _ in range(2):  # '"{\"type\": …}"' (a .env value) → '{"type": …}'
        unquoted = _unquote(text)
        if unquoted is None:
            break
        text = unquoted.strip()
    if "-----BEGIN" in text and not text.startswith("{"):
        raise GoogleAuthError(
            f"{ENV_VAR} chứa một khóa PEM trần, không phải tệp JSON của tài khoản dịch vụ: hãy dùng nguyên tệp JSON "
            "tải về từ Google Cloud (có type, client_email, private_key) hoặc đường dẫn tới tệp đó."
        )
    if not text.startswith("{"):
        text = _read_key_file(text)
    where = ""
    try:
        info = json.loads(text)
    except json.JSONDecodeError as error:  # raised below, outside this block: the error holds the whole text
        where = f"dòng {error.lineno}, cột {error.colno}"
    if where:
        raise GoogleAuthError(f"Thông tin xác thực Google không phải JSON hợp lệ ({where}).")
    if not isinstance(info, dict):
        raise GoogleAuthError("Thông tin xác thực Google phải là một đối tượng JSON ({…}).")
    return info


def _unquote(text: str) -> str | None:
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "\"'":
        return None
    if text[0] == '"':
        try:
            inner = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]
        return inner if isinstance(inner, str) else None
    return text[1:-1]


def _read_key_file(text: str) -> str:
    if len(text) > _MAX_PATH or "\n" in text or text[0] in "{[":
        raise GoogleAuthError(
            f"{ENV_VAR} không phải JSON cũng không phải đường dẫn tệp khóa: hãy đặt nguyên nội dung tệp JSON "
            "(bắt đầu bằng «{») hoặc đường dẫn tới tệp đó."
        )
    path = Path(text).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = "không có tệp này"
    except IsADirectoryError:
        problem = "đó là một thư mục"
    except PermissionError:
        problem = "không có quyền đọc"
    except UnicodeDecodeError:
        problem = "tệp không phải văn bản UTF-8"
    except OSError as error:
        problem = f"lỗi hệ thống {error.errno}"
    raise GoogleAuthError(  # the path is not quoted: a secret pasted without its braces would look like one
        f"Không đọc được tệp khóa Google mà {ENV_VAR} chỉ tới ({problem}); kiểm tra lại đường dẫn."
    )


_MISSING = (
    f"Chưa có thông tin xác thực Google: đặt biến môi trường {ENV_VAR} (nội dung JSON hoặc đường dẫn tệp "
    "khóa tài khoản dịch vụ), hoặc lưu vào Prefect Secret block và truyền tên block."
)


def credential_info(secret: str | None = None) -> dict[str, Any]:
    """The credential JSON from `secret` (a Secret block's value), else the environment variable."""
    raw = secret if secret is not None else os.environ.get(ENV_VAR)
    if not raw:
        raise GoogleAuthError(_MISSING)
    return parse_credentials(raw)


def load_credentials(info: Mapping[str, Any], user: str, base_url: str | None = None,
                     scopes: Mapping[str, str] = SCOPES) -> Credentials:
    """Service-account credentials delegated to `user`, or a user's own; `base_url` points at the emulator."""
    from google.oauth2 import credentials as user_credentials

    from connectors.google import endpoints

    kind = info.get("type")
    if kind == "service_account":
        return endpoints.service_account_credentials(info, list(scopes), subject=user, base_url=base_url)
    if kind == "authorized_user":
        data = dict(info)
        data["token_uri"] = endpoints.token_uri(base_url)
        own: Any = user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
            data, list(scopes))
        # from_authorized_user_info always sets Google's token URI, ignoring the one given: set it after.
        pointed: Credentials = own.with_token_uri(data["token_uri"])
        return pointed
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

