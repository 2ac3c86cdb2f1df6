"""The one layer every Google call goes through: throttle, retry with backoff and jitter, name the scope.

Both client libraries end up here — googleapiclient requests (`HttpRequest`) and gspread calls (plain
callables raising `gspread.exceptions.APIError`) — so a 429 storm, a 503 or an under-scoped token is handled
the same way everywhere. Retry-After is honoured; a call that is not idempotent is never retried blindly.

The client libraries are imported where a call is made or an error classified, not at the top: they take seconds
to import, and every CLI and flow-run process imports this module (for its errors and `Charges`), Google or not.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.google.quotas import DEFAULT_QUOTAS, WorkspaceQuotas

if TYPE_CHECKING:
    import gspread
    from googleapiclient.errors import HttpError
    from googleapiclient.http import HttpRequest

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT_S = 60.0  # one HTTP exchange with Google, PDF exports included


class GoogleApiError(Exception):
    """A Google call failed for good; the message is for the clerk, in Vietnamese."""


class GoogleAuthError(GoogleApiError):
    """Missing, expired or under-scoped credentials: names what to grant."""


class ExportTooLarge(GoogleApiError):
    """Drive refused files.export: the exported file would exceed its 10 MB limit (403 exportSizeLimitExceeded)."""


class QuotaWaitFailed(GoogleApiError):
    """The wait for quota before a call failed (e.g. the Prefect server holding the limits did not answer): the
    call itself was never made."""


@dataclass(frozen=True)
class RetryPolicy:
    """Google's truncated exponential backoff: wait min(base·2ⁿ + jitter, cap) before retry n+1.

    The defaults follow the Drive and Sheets usage-limits guides (1, 2, 4, … seconds plus up to a second of jitter,
    capped at 64 s) and, over 10 attempts, wait about 4 minutes in all: past a one-minute quota window, which the
    guides' per-minute limits need. Tests shrink `base_seconds`/`cap_seconds` (or plug a no-op `sleep`)."""

    attempts: int = 10
    base_seconds: float = 1.0
    cap_seconds: float = 64.0
    jitter_seconds: float = 1.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """The backoff for retry `attempt` (0-based), never sooner than the server's Retry-After."""
        backoff = min(self.cap_seconds, self.base_seconds * 2**attempt + rng.uniform(0, self.jitter_seconds))
        return float(max(backoff, retry_after or 0.0))

    def total_wait(self) -> float:
        """The least time all retries wait (no jitter, no Retry-After): what must outlast a quota window."""
        return float(sum(min(self.cap_seconds, self.base_seconds * 2.0**n) for n in range(self.attempts - 1)))


RATE_LIMIT_REASONS = ("userRateLimitExceeded", "rateLimitExceeded")


def rate_limited(status: int, body: str) -> bool:
    """429, or Drive's (and Gmail's) 403 with a usageLimits rate reason: the call was refused, not run."""
    if status == 429:
        return True
    if status != 403:
        return False
    try:
        errors = json.loads(body).get("error", {}).get("errors", [])
    except (ValueError, AttributeError):
        return False
    return any(isinstance(e, dict) and e.get("reason") in RATE_LIMIT_REASONS for e in errors)


Charges = list[tuple[str, int]]


@dataclass
class GoogleApi:
    """Executes calls; `throttle(charges)` runs before each attempt with the quota buckets and units the call
    draws from (connectors/google/quotas.py, the one source of those numbers) — the flows plug Prefect rate
    limits in there."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    throttle: Callable[[Charges], None] = lambda charges: None
    quotas: WorkspaceQuotas = DEFAULT_QUOTAS
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    scopes: tuple[str, ...] = ()  # the scopes the credentials ask for, named when delegation refuses them

    def execute(self, request: HttpRequest, *, idempotent: bool = True) -> Any:
        """A googleapiclient request, with our retries instead of the library's (which ignore Retry-After)."""
        return self.call(lambda: request.execute(num_retries=0), request.methodId, request.method,
                         idempotent=idempotent)

    def call(self, function: Callable[[], Any], method: str, http_method: str = "GET", *,
             idempotent: bool = True) -> Any:
        """`method` is the discovery id (e.g. sheets.spreadsheets.values.batchGet): it names the quota and scope."""
        import gspread
        import httplib2
        import requests
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        charges = self.quotas.charges(method, http_method)
        for attempt in range(self.policy.attempts):
            try:
                self.throttle(charges)
            except Exception as error:  # whatever the plugged-in throttle raises, the call did not go out
                raise QuotaWaitFailed(
                    f"Không chờ được hạn mức Google cho {method} ({type(error).__name__}: {error}); "
                    "lệnh gọi chưa được gửi đi. Hãy kiểm tra máy chủ Prefect, rồi chạy lại."
                ) from error
            self.calls[method] += 1
            try:
                return function()
            except RefreshError as error:
                if "unauthorized_client" in str(error):
                    raise GoogleAuthError(
                        "Google từ chối cấp mã truy cập (unauthorized_client): tài khoản dịch vụ chưa được ủy quyền "
                        "toàn miền cho đủ các phạm vi đã xin. Quản trị viên Google Workspace vào Admin console → Bảo "
                        "mật → Kiểm soát truy cập và dữ liệu → Kiểm soát API → Ủy quyền trên toàn miền, thêm mã ứng "
                        "dụng khách (client ID) của tài khoản dịch vụ với đúng các phạm vi: "
                        + (", ".join(self.scopes) or "các phạm vi trong README (mục Google Workspace: scopes)") + "."
                    ) from error
                raise GoogleAuthError(
                    f"Không lấy được mã truy cập Google ({error}). Kiểm tra khóa tài khoản dịch vụ, ủy quyền toàn "
                    "miền (domain-wide delegation) cho người dùng được ủy quyền, và các phạm vi (scope) đã cấp."
                ) from error
            except (HttpError, gspread.exceptions.APIError) as error:
                status, retry_after, body = _describe(error)
                if status == 403 and "insufficient" in body.lower():
                    raise GoogleAuthError(
                        f"Mã truy cập Google thiếu phạm vi (scope) cho {method}. Cần cấp: "
                        f"{', '.join(scopes_for(method)) or 'xem tài liệu của phương thức'}."
                    ) from error
                if status == 401:
                    raise GoogleAuthError(f"Google từ chối mã truy cập (401) khi gọi {method}.") from error
                if status == 403 and "exportSizeLimitExceeded" in body:
                    raise ExportTooLarge(
                        "Google Drive không xuất được tài liệu: bản xuất vượt giới hạn 10 MB của files.export. Hãy "
                        "làm báo cáo nhẹ hơn (bớt ảnh, chuyển các bảng danh sách dài sang phụ lục Excel gửi kèm) "
                        "rồi chạy lại."
                    ) from error
                retryable = rate_limited(status, body) or (idempotent and status in RETRY_STATUSES)
                if not retryable or attempt == self.policy.attempts - 1:
                    raise
                self.retries[method] += 1
                self.sleep(self.policy.delay(attempt, retry_after, self.rng))
            except (TimeoutError, ConnectionError, httplib2.HttpLib2Error, requests.ConnectionError) as error:
                # A broken pipe means the server had closed the connection (an idle keep-alive, typically after a
                # long quota wait) before the request was written: nothing reached it, so even a send may retry.
                never_sent = isinstance(error, BrokenPipeError)
                if not (idempotent or never_sent) or attempt == self.policy.attempts - 1:
                    raise
                self.retries[method] += 1
                self.sleep(self.policy.delay(attempt, None, self.rng))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _describe(error: HttpError | gspread.exceptions.APIError) -> tuple[int, float | None, str]:
    import requests
    from googleapiclient.errors import HttpError

    if isinstance(error, HttpError):
        status, headers = int(error.resp.status), dict(error.resp)
        body = error.content.decode("utf-8", "replace") if isinstance(error.content, bytes) else str(error.content)
    else:
        response: requests.Response = error.response
        status, headers, body = response.status_code, dict(response.headers), response.text
    retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return status, seconds, body


def scopes_for(method_id: str) -> list[str]:
    """The scopes Google accepts for a method, from the discovery document google-api-python-client ships."""
    from googleapiclient.discovery_cache import get_static_doc

    api = method_id.split(".", 1)[0]
    versions = {"sheets": "v4", "docs": "v1", "drive": "v3", "gmail": "v1", "forms": "v1"}
    if api not in versions:
        return []
    document = json.loads(get_static_doc(api, versions[api]) or "{}")

    def walk(resources: dict[str, Any]) -> list[str] | None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                if method.get("id") == method_id:
                    return list(method.get("scopes", []))
            found = walk(resource.get("resources", {}))
            if found is not None:
                return found
        return None

    return walk(document.get("resources", {})) or []
