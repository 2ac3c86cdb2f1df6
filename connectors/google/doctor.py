"""`thidua google doctor`: every Google set-up step a school's first deadline depends on, checked in order.

Each check returns typed findings (what was checked, how it stands, what is wrong, how to fix it, in Vietnamese),
so the CLI only prints them and tests read them. The checks call the same APIs the flows call, with the same
credentials and scopes, against Google or the emulator (`base_url`); nothing here changes the school's files
except the doctor's own probe file in each deadline folder (created, then deleted) and the one test email to the
clerk at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request
from googleapiclient.errors import HttpError

from connectors.google import endpoints
from connectors.google.api import GoogleApi, GoogleApiError, GoogleAuthError, RetryPolicy
from connectors.google.auth import ENV_VAR, SCOPES, credential_info, load_credentials, prefect_secret
from connectors.google.docs import template_key
from thidua.plan import Plan, SourceKind

CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
EXPECTED_LOCALE = "vi_VN"
PROBE_ID = "thidua-doctor-probe"  # an id no file has: a 404 for it proves the API answered
FOLDER_MIME = "application/vnd.google-apps.folder"
DOC_MIME = "application/vnd.google-apps.document"


def scope_string(scopes: Iterable[str] = SCOPES) -> str:
    """The exact text the Admin console's "OAuth scopes (comma-delimited)" box takes for domain-wide delegation."""
    return ",".join(scopes)


class Level(StrEnum):
    """How bad a finding is, from fine to blocking, so the clerk knows what to fix first."""

    OK = "ok"
    WARN = "warn"  # works, but something will surprise the clerk
    FAIL = "fail"  # the first deadline will not go out until this is fixed
    SKIP = "skip"  # could not be checked because an earlier step failed


class Step(StrEnum):
    """The checks the doctor runs, in order, each named in its findings."""

    CREDENTIALS = "credentials"
    APIS = "apis"
    SCOPES = "scopes"
    GMAIL = "gmail"
    FORMS = "forms"
    SHEETS = "sheets"
    TEMPLATES = "templates"
    FOLDERS = "folders"
    TEST_EMAIL = "test_email"


STEP_TITLES: Mapping[Step, str] = {
    Step.CREDENTIALS: "Thông tin xác thực",
    Step.APIS: "API đã bật",
    Step.SCOPES: "Phạm vi (scope) được cấp",
    Step.GMAIL: "Gửi thư qua Gmail",
    Step.FORMS: "Biểu mẫu",
    Step.SHEETS: "Bảng tính câu trả lời",
    Step.TEMPLATES: "Mẫu báo cáo",
    Step.FOLDERS: "Thư mục báo cáo",
    Step.TEST_EMAIL: "Thư kiểm tra",
}


@dataclass(frozen=True)
class Finding:
    """One checked thing. `paste` is text the clerk copies exactly (the scope string), printed outside any table."""

    step: Step
    subject: str
    level: Level
    detail: str
    fix: str = ""
    paste: str = ""


@dataclass(frozen=True)
class ApiSpec:
    """A Google API the product needs, with the names the console and Google's errors use for it."""

    key: str
    title: str
    service: str  # the host Google names in SERVICE_DISABLED errors
    version: str


APIS: tuple[ApiSpec, ...] = (
    ApiSpec("sheets", "Google Sheets API", "sheets.googleapis.com", "v4"),
    ApiSpec("docs", "Google Docs API", "docs.googleapis.com", "v1"),
    ApiSpec("drive", "Google Drive API", "drive.googleapis.com", "v3"),
    ApiSpec("forms", "Google Forms API", "forms.googleapis.com", "v1"),
    ApiSpec("gmail", "Gmail API", "gmail.googleapis.com", "v1"),
)


@dataclass(frozen=True)
class GoogleProblem:
    """An API error, classified: what the doctor says depends on which of these it is."""

    kind: str  # disabled | scope | not_found | denied | auth | other
    status: int
    message: str
    activation_url: str = ""


def classify(error: Exception) -> GoogleProblem:
    """Google's error body, read the way a person would: a disabled API says SERVICE_DISABLED (ErrorInfo) and
    accessNotConfigured (legacy reason); a missing scope says ACCESS_TOKEN_SCOPE_INSUFFICIENT."""
    if isinstance(error, GoogleAuthError):
        scope = "phạm vi" in str(error)
        return GoogleProblem("scope" if scope else "auth", 403 if scope else 401, str(error))
    if not isinstance(error, HttpError):
        return GoogleProblem("other", 0, f"{type(error).__name__}: {error}")
    status = int(error.resp.status)
    raw = error.content.decode("utf-8", "replace") if isinstance(error.content, bytes) else str(error.content)
    try:
        body = json.loads(raw).get("error", {})
    except (ValueError, AttributeError):
        body = {}
    message = str(body.get("message", raw))[:500] if isinstance(body, dict) else raw[:500]
    details = body.get("details", []) if isinstance(body, dict) else []
    reasons = {str(d.get("reason", "")) for d in details if isinstance(d, dict)}
    reasons |= {str(e.get("reason", "")) for e in (body.get("errors", []) if isinstance(body, dict) else [])
                if isinstance(e, dict)}
    if status == 403 and ({"SERVICE_DISABLED", "accessNotConfigured"} & reasons
                          or "has not been used in project" in message):
        url = next((str(d.get("metadata", {}).get("activationUrl", "")) for d in details
                    if isinstance(d, dict) and d.get("reason") == "SERVICE_DISABLED"), "")
        return GoogleProblem("disabled", status, message, url)
    if status == 403 and ("ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons or "insufficient" in message.lower()):
        return GoogleProblem("scope", status, message)
    if status == 404:
        return GoogleProblem("not_found", status, message)
    if status == 401:
        return GoogleProblem("auth", status, message)
    if status == 403:
        return GoogleProblem("denied", status, message)
    return GoogleProblem("other", status, message)


@dataclass(frozen=True)
class TokenOutcome:
    """Which of the needed scopes a token could be had for, and why the others could not."""

    granted: tuple[str, ...]
    missing: tuple[str, ...]
    error: str = ""  # the OAuth error code of the refusal (unauthorized_client, invalid_grant, invalid_scope)
    description: str = ""


def _oauth_error(error: RefreshError) -> tuple[str, str]:
    data = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
    code = str(data.get("error", "")) or str(error).split(":", 1)[0]
    return code, str(data.get("error_description", "")) or str(error)


@dataclass
class Doctor:
    """Runs the checks for one plan with one credential. `send_test_email=False` stops before the last step."""

    plan: Plan
    info: Mapping[str, Any]
    where: str  # where the credential was found, for the first finding ("biến môi trường …", "Secret block …")
    base_url: str | None = None
    send_test_email: bool = True
    api: GoogleApi = field(default_factory=lambda: GoogleApi(policy=RetryPolicy(attempts=3, cap_seconds=4.0)))
    needed: tuple[str, ...] = tuple(SCOPES)
    findings: list[Finding] = field(default_factory=list)
    _services: dict[str, Any] = field(default_factory=dict)
    _credentials: Any = None
    _tokens: TokenOutcome | None = None

    @property
    def user(self) -> str:
        """The Workspace mailbox the product acts as."""
        return self.plan.google.user if self.plan.google else self.plan.delivery.sender

    @property
    def kind(self) -> str:
        """The credential's type (service_account, authorized_user), which decides the checks that apply."""
        return str(self.info.get("type", ""))

    # ------------------------------------------------------------------ the run

    def run(self) -> list[Finding]:
        """Runs every check in order, skipping those an earlier failure makes meaningless, and returns the findings."""
        steps: list[Callable[[], None]] = [self._check_credentials, self._check_apis, self._check_scopes,
                                           self._check_gmail, self._check_forms, self._check_sheets,
                                           self._check_templates, self._check_folders, self._send_test_email]
        for check in steps:
            check()
        return self.findings

    def _add(self, step: Step, subject: str, level: Level, detail: str, fix: str = "", paste: str = "") -> None:
        self.findings.append(Finding(step, subject, level, detail, fix, paste))

    def _failed(self, *steps: Step) -> bool:
        return any(f.level is Level.FAIL and f.step in steps for f in self.findings)

    # ------------------------------------------------------------------ 1. credentials

    def _check_credentials(self) -> None:
        domain = self.user.rsplit("@", 1)[-1].lower()
        if domain in CONSUMER_DOMAINS:
            self._add(Step.CREDENTIALS, self.user, Level.FAIL,
                      "Tài khoản Gmail cá nhân (@gmail.com) không dùng được để gửi báo cáo theo lịch: không có "
                      "Admin console để ủy quyền cho tài khoản dịch vụ, và ứng dụng OAuth «External» ở chế độ thử "
                      "nghiệm chỉ giữ quyền 7 ngày.",
                      "Dùng tài khoản Google Workspace của trường (tên miền .edu.vn) trong google.user của kế hoạch.")
        if self.kind == "service_account":
            email, client_id = self.info.get("client_email", "?"), self.info.get("client_id", "?")
            self._add(Step.CREDENTIALS, self.where, Level.OK,
                      f"Tài khoản dịch vụ {email} (Client ID {client_id}), ủy quyền toàn miền thay cho {self.user}.")
        elif self.kind == "authorized_user":
            missing = [k for k in ("refresh_token", "client_id", "client_secret") if not self.info.get(k)]
            if missing:
                self._add(Step.CREDENTIALS, self.where, Level.FAIL,
                          f"Thông tin đăng nhập người dùng thiếu trường: {', '.join(missing)}.",
                          "Chạy lại `thidua google login` để tạo thông tin đăng nhập đầy đủ.")
                return
            self._add(Step.CREDENTIALS, self.where, Level.OK,
                      f"Đăng nhập người dùng OAuth (authorized_user, Client ID {self.info.get('client_id')}); "
                      f"thư được gửi từ hộp thư của người đã đăng nhập, phải là {self.user}.")
        else:
            self._add(Step.CREDENTIALS, self.where, Level.FAIL,
                      f"Loại thông tin xác thực «{self.kind or 'không rõ'}» không được hỗ trợ.",
                      "Dùng tệp khóa JSON của tài khoản dịch vụ (type: service_account) hoặc chạy "
                      "`thidua google login` (type: authorized_user).")
            return
        self._tokens = self._probe_tokens()
        if not self._tokens.granted:
            self._add(Step.CREDENTIALS, "Mã truy cập", Level.FAIL, self._token_refusal(self._tokens),
                      self._token_fix(self._tokens), self._paste_for_delegation())
            return
        self._credentials = self._credentials_for(self._tokens.granted)

    def _credentials_for(self, scopes: Iterable[str]) -> Any:
        return load_credentials(self.info, self.user, self.base_url, {s: "" for s in scopes})

    def _token_for(self, scopes: Iterable[str]) -> tuple[bool, str, str]:
        credentials = self._credentials_for(scopes)
        try:
            credentials.refresh(Request())
        except RefreshError as error:
            code, description = _oauth_error(error)
            return False, code, description
        except TransportError as error:  # no network, a proxy, DNS: Google's token endpoint was not reached
            return False, "network", f"không kết nối được tới máy chủ cấp mã của Google ({type(error).__name__})"
        return True, "", ""

    def _probe_tokens(self) -> TokenOutcome:
        """A token for every needed scope at once; if refused, one scope at a time, to name the missing ones
        (Google refuses a delegated token outright when a single requested scope is not allowed)."""
        ok, code, description = self._token_for(self.needed)
        if ok:
            return TokenOutcome(self.needed, ())
        if code not in ("unauthorized_client", "invalid_scope"):  # not about scopes: one at a time fares no better
            return TokenOutcome((), self.needed, code, description)
        granted: list[str] = []
        missing: list[str] = []
        for scope in self.needed:
            ok_one, code_one, description_one = self._token_for([scope])
            (granted if ok_one else missing).append(scope)
            if not ok_one:
                code, description = code_one, description_one
        return TokenOutcome(tuple(granted), tuple(missing), code, description)

    def _token_refusal(self, tokens: TokenOutcome) -> str:
        if tokens.error == "unauthorized_client":
            return (f"Google từ chối cấp mã truy cập thay cho {self.user} (unauthorized_client): tài khoản dịch vụ "
                    "chưa được ủy quyền toàn miền, hoặc Client ID đã ủy quyền không có các phạm vi này.")
        if tokens.error == "invalid_grant":
            return (f"Google từ chối thông tin xác thực (invalid_grant: {tokens.description}). Với tài khoản dịch "
                    f"vụ: khóa đã bị xóa, hoặc {self.user} không phải người dùng của tên miền. Với đăng nhập "
                    "người dùng: quyền đã bị thu hồi hoặc hết hạn.")
        if tokens.error == "network":
            return f"Không lấy được mã truy cập: {tokens.description}. Kiểm tra kết nối Internet, proxy và DNS."
        return f"Không lấy được mã truy cập ({tokens.error or 'lỗi'}: {tokens.description})."

    def _token_fix(self, tokens: TokenOutcome) -> str:
        if self.kind == "service_account":
            return (f"Gửi quản trị viên cấp cao (super admin) Google Workspace của tên miền "
                    f"{self.user.rsplit('@', 1)[-1]} (thường là bộ phận CNTT của Sở/Phòng GDĐT): vào admin.google.com "
                    "→ Security (Bảo mật) → Access and data control → API controls → Manage Domain Wide Delegation "
                    f"→ Add new; Client ID: {self.info.get('client_id', '?')}; OAuth scopes: dán nguyên chuỗi dưới "
                    "đây → Authorize. Thay đổi thường có hiệu lực sau vài phút, có khi đến 24 giờ. Xem "
                    "docs/di-vao-hoat-dong-google.md, bước 4A.")
        return ("Chạy lại `thidua google login` bằng tài khoản " + self.user + " và đánh dấu cho phép mọi quyền "
                "trên màn hình đồng ý.")

    def _paste_for_delegation(self) -> str:
        return scope_string(self.needed) if self.kind == "service_account" else ""

    # ------------------------------------------------------------------ 2. APIs

    def _service(self, api: str) -> Any:
        if api not in self._services:
            version = next(a.version for a in APIS if a.key == api)
            self._services[api] = endpoints.build_service(api, version, self._credentials, self.base_url)
        return self._services[api]

    def _probe(self, api: str) -> Any:
        """The cheapest call that reaches each API; for the ones keyed by a file, a plan file or a made-up id."""
        google = self.plan.google
        sheet = next((s.spreadsheet_id for s in self.plan.sources if s.spreadsheet_id), PROBE_ID)
        form = next((s.form_id for s in self.plan.sources if s.form_id), PROBE_ID)
        template = next(iter(google.templates.values()), PROBE_ID) if google else PROBE_ID
        requests: dict[str, Callable[[], Any]] = {
            "sheets": lambda: self._service("sheets").spreadsheets().get(spreadsheetId=sheet,
                                                                         fields="spreadsheetId"),
            "docs": lambda: self._service("docs").documents().get(documentId=template),
            "drive": lambda: self._service("drive").about().get(fields="user"),
            "forms": lambda: self._service("forms").forms().get(formId=form),
            "gmail": lambda: self._service("gmail").users().getProfile(userId="me"),
        }
        return self.api.execute(requests[api]())

    def _check_apis(self) -> None:
        if self._credentials is None:
            self._add(Step.APIS, "Năm API", Level.SKIP, "Chưa kiểm tra: chưa có mã truy cập.")
            return
        for spec in APIS:
            try:
                self._probe(spec.key)
            except (HttpError, GoogleApiError) as error:
                problem = classify(error)
                if problem.kind == "disabled":
                    url = problem.activation_url or (
                        f"https://console.cloud.google.com/apis/library/{spec.service}")
                    self._add(Step.APIS, spec.title, Level.FAIL,
                              f"{spec.title} chưa được bật trong dự án Google Cloud (403 SERVICE_DISABLED).",
                              f"Mở {url} , bấm «Bật» (Enable), chờ vài phút rồi chạy lại.")
                elif problem.kind == "scope":
                    self._add(Step.APIS, spec.title, Level.SKIP,
                              "Chưa kiểm tra được: mã truy cập thiếu phạm vi cho API này (xem mục phạm vi).")
                elif problem.kind == "not_found" or (problem.kind == "other" and 400 <= problem.status < 500):
                    # The API looked the (made-up or missing) file up: it is enabled; files are checked below.
                    self._add(Step.APIS, spec.title, Level.OK, "Đã bật (API trả lời yêu cầu).")
                else:
                    self._add(Step.APIS, spec.title, Level.FAIL,
                              f"Lỗi khi gọi {spec.title} ({problem.status}): {problem.message}",
                              "Xem thông báo lỗi; kiểm tra dự án Google Cloud và thông tin xác thực.")
            else:
                self._add(Step.APIS, spec.title, Level.OK, "Đã bật.")

    # ------------------------------------------------------------------ 3. scopes

    def _check_scopes(self) -> None:
        if self._tokens is None or not self._tokens.granted:
            self._add(Step.SCOPES, "Phạm vi", Level.SKIP, "Chưa kiểm tra: chưa lấy được mã truy cập nào (xem mục "
                      "thông tin xác thực).")
            return
        if not self._tokens.missing:
            self._add(Step.SCOPES, f"{len(self.needed)} phạm vi", Level.OK,
                      "Đủ mọi phạm vi thidua cần: " + ", ".join(s.rsplit("/", 1)[-1] for s in self.needed) + ".")
            return
        for scope in self.needed:
            if scope in self._tokens.missing:
                self._add(Step.SCOPES, scope, Level.FAIL,
                          f"Chưa được cấp ({self._tokens.error or 'bị từ chối'}); cần để {SCOPES.get(scope, '')}.",
                          self._token_fix(self._tokens))
            else:
                self._add(Step.SCOPES, scope, Level.OK, "Đã cấp.")
        if self.kind == "service_account":
            self._add(Step.SCOPES, "Chuỗi phạm vi cho Admin console", Level.FAIL,
                      "Dán đúng chuỗi dưới đây (một dòng, các phạm vi cách nhau bằng dấu phẩy) vào ô «Phạm vi OAuth» "
                      f"của Client ID {self.info.get('client_id', '?')}.", "", scope_string(self.needed))

    # ------------------------------------------------------------------ 4. Gmail

    def _check_gmail(self) -> None:
        subject = self.plan.delivery.sender
        if self._credentials is None or self._api_failed("Gmail API"):
            self._add(Step.GMAIL, subject, Level.SKIP, "Chưa kiểm tra: chưa gọi được Gmail API.")
            return
        send = "https://www.googleapis.com/auth/gmail.send"
        if self._tokens is not None and send in self._tokens.missing:
            self._add(Step.GMAIL, subject, Level.FAIL, "Thiếu phạm vi gmail.send: không gửi được báo cáo.",
                      self._token_fix(self._tokens))
            return
        try:
            profile = self.api.execute(self._service("gmail").users().getProfile(userId="me"))
        except (HttpError, GoogleApiError) as error:
            problem = classify(error)
            if problem.status == 400 and "precondition" in problem.message.lower():
                self._add(Step.GMAIL, subject, Level.FAIL,
                          "Tài khoản dịch vụ không có hộp thư Gmail: chưa ủy quyền toàn miền cho người gửi.",
                          "Ghi hộp thư của trường vào google.user và nhờ quản trị viên ủy quyền toàn miền.")
            else:
                self._add(Step.GMAIL, subject, Level.FAIL, f"Không đọc được hộp thư ({problem.status}): "
                          f"{problem.message}", "Kiểm tra phạm vi gmail.readonly và ủy quyền.")
            return
        mailbox = str(profile.get("emailAddress", ""))
        if mailbox.lower() != self.user.lower():
            self._add(Step.GMAIL, subject, Level.FAIL,
                      f"Thông tin xác thực mở hộp thư {mailbox}, không phải {self.user} (google.user).",
                      "Đăng nhập lại bằng đúng tài khoản (`thidua google login`), hoặc sửa google.user.")
            return
        if subject.lower() == mailbox.lower():
            self._add(Step.GMAIL, subject, Level.OK, f"Gửi từ chính hộp thư {mailbox}.")
            return
        try:
            aliases = self.api.execute(self._service("gmail").users().settings().sendAs().list(userId="me"))
        except (HttpError, GoogleApiError) as error:
            problem = classify(error)
            self._add(Step.GMAIL, subject, Level.WARN,
                      f"Người gửi {subject} khác hộp thư {mailbox}; không đọc được danh sách bí danh "
                      f"({problem.status}).", f"Trong Gmail của {mailbox}: Cài đặt → Tài khoản → «Gửi thư bằng "
                      f"địa chỉ», thêm {subject}; hoặc đặt delivery.sender = {mailbox}.")
            return
        verified = {str(a.get("sendAsEmail", "")).lower() for a in aliases.get("sendAs", [])
                    if a.get("verificationStatus", "accepted") == "accepted"}
        if subject.lower() in verified:
            self._add(Step.GMAIL, subject, Level.OK, f"Bí danh «Gửi thư bằng địa chỉ» của {mailbox}.")
        else:
            self._add(Step.GMAIL, subject, Level.FAIL,
                      f"{subject} không phải hộp thư {mailbox} cũng không phải bí danh đã xác minh của nó: Gmail "
                      f"sẽ gửi bằng {mailbox}.", f"Trong Gmail của {mailbox}: Cài đặt → Tài khoản → «Gửi thư bằng "
                      f"địa chỉ», thêm và xác minh {subject}; hoặc đặt delivery.sender = {mailbox}.")

    def _api_failed(self, title: str) -> bool:
        return any(f.step is Step.APIS and f.subject == title and f.level is Level.FAIL for f in self.findings)

    # ------------------------------------------------------------------ 5. Forms

    def _check_forms(self) -> None:
        google = self.plan.google
        read_from = google.read_from if google else "sheets"
        sources = [s for s in self.plan.sources if s.kind is not SourceKind.ROSTER]
        if self._credentials is None or self._api_failed("Google Forms API"):
            self._add(Step.FORMS, "Biểu mẫu", Level.SKIP, "Chưa kiểm tra: chưa gọi được Forms API.")
            return
        for source in sources:
            subject = f"{source.id} «{source.name}»"
            if not source.form_id:
                level = Level.FAIL if read_from == "forms" else Level.WARN
                self._add(Step.FORMS, subject, level, "Kế hoạch chưa ghi form_id.",
                          "Chạy `thidua google provision`, hoặc ghi form_id của biểu mẫu có sẵn vào kế hoạch.")
                continue
            try:
                form = self.api.execute(self._service("forms").forms().get(formId=source.form_id))
            except (HttpError, GoogleApiError) as error:
                problem = classify(error)
                self._add(Step.FORMS, subject, Level.FAIL,
                          f"Không mở được biểu mẫu {source.form_id} ({problem.status}: {problem.message}).",
                          "Kiểm tra form_id trong kế hoạch và quyền của " + self.user + " với biểu mẫu.")
                continue
            problems, fixes = [], []
            state = form.get("publishSettings", {}).get("publishState")
            if state is not None and not state.get("isPublished"):
                problems.append("chưa xuất bản (người nộp không mở được)")
                fixes.append("mở biểu mẫu, bấm «Xuất bản» (Publish), hoặc chạy lại `thidua google provision`")
            elif state is not None and not state.get("isAcceptingResponses"):
                problems.append("đã xuất bản nhưng đang KHÔNG nhận câu trả lời")
                fixes.append("mở biểu mẫu → thẻ «Câu trả lời» → bật «Chấp nhận câu trả lời»")
            linked = str(form.get("linkedSheetId", ""))
            if read_from == "sheets" and linked != source.spreadsheet_id:
                problems.append("chưa liên kết với bảng tính của kế hoạch" if not linked
                                else f"liên kết với bảng tính {linked}, không phải {source.spreadsheet_id}")
                fixes.append("mở biểu mẫu → thẻ «Câu trả lời» → «Liên kết với Trang tính» → «Chọn bảng tính hiện "
                             f"có» → chọn bảng tính {source.spreadsheet_id or '(chạy provision trước)'}")
            if problems:
                self._add(Step.FORMS, subject, Level.FAIL, "Biểu mẫu " + "; ".join(problems) + ".",
                          _sentence("; ".join(fixes)))
            else:
                where = str(form.get("responderUri", ""))
                self._add(Step.FORMS, subject, Level.OK,
                          "Đã xuất bản, đang nhận câu trả lời" + (", liên kết đúng bảng tính" if linked else "")
                          + (f"; đường dẫn cho giáo viên: {where}" if where else "") + ".")

    # ------------------------------------------------------------------ 6. Sheets

    def _check_sheets(self) -> None:
        if self._credentials is None or self._api_failed("Google Sheets API"):
            self._add(Step.SHEETS, "Bảng tính", Level.SKIP, "Chưa kiểm tra: chưa gọi được Sheets API.")
            return
        by_id: dict[str, list[str]] = {}
        for source in self.plan.sources:
            if not source.spreadsheet_id:
                self._add(Step.SHEETS, f"{source.id} «{source.name}»", Level.FAIL,
                          "Kế hoạch chưa ghi spreadsheet_id.", "Chạy `thidua google provision`.")
                continue
            by_id.setdefault(source.spreadsheet_id, []).append(source.id)
        for spreadsheet_id, source_ids in by_id.items():
            subject = f"{spreadsheet_id} ({', '.join(source_ids)})"
            try:
                meta = self.api.execute(self._service("sheets").spreadsheets().get(
                    spreadsheetId=spreadsheet_id, fields="properties(title,locale,timeZone),sheets.properties.title"))
            except (HttpError, GoogleApiError) as error:
                problem = classify(error)
                self._add(Step.SHEETS, subject, Level.FAIL,
                          f"Không mở được bảng tính ({problem.status}: {problem.message}).",
                          "Kiểm tra spreadsheet_id trong kế hoạch và quyền của " + self.user + " với bảng tính.")
                continue
            properties = meta.get("properties", {})
            locale, zone = str(properties.get("locale", "")), str(properties.get("timeZone", ""))
            subject = f"«{properties.get('title', spreadsheet_id)}» ({', '.join(source_ids)})"
            settings_fix = ("Trong bảng tính: Tệp → Cài đặt → Ngôn ngữ «Việt Nam», Múi giờ «(GMT+07:00) "
                            f"Ho Chi Minh» ({self.plan.timezone}); hoặc chạy lại `thidua google provision`.")
            if zone != self.plan.timezone:
                self._add(Step.SHEETS, subject, Level.FAIL,
                          f"Múi giờ của bảng tính là {zone or '(trống)'}, không phải {self.plan.timezone}: «Dấu thời "
                          "gian» của câu trả lời và ngày giờ thư ký gõ lệch giờ Việt Nam.", settings_fix)
            if locale != EXPECTED_LOCALE:
                self._add(Step.SHEETS, subject, Level.WARN,
                          f"Ngôn ngữ của bảng tính là {locale or '(trống)'}, không phải {EXPECTED_LOCALE}: ngày hiện "
                          "theo kiểu tháng/ngày và số thập phân dùng dấu chấm.", settings_fix)
            tabs = {s["properties"]["title"] for s in meta.get("sheets", [])}
            for source in self.plan.sources:
                tab = source.sheet or source.name
                if source.spreadsheet_id == spreadsheet_id and tab not in tabs:
                    self._add(Step.SHEETS, f"{source.id} «{source.name}»", Level.FAIL,
                              f"Bảng tính không có trang «{tab}» (có: {', '.join(sorted(tabs))}).",
                              f"Ghi đúng tên trang vào `sheet:` của nguồn {source.id} trong kế hoạch.")
            if zone == self.plan.timezone and locale == EXPECTED_LOCALE:
                self._add(Step.SHEETS, subject, Level.OK, f"Ngôn ngữ {locale}, múi giờ {zone}.")

    # ------------------------------------------------------------------ 7. templates

    def _check_templates(self) -> None:
        google = self.plan.google
        if self._credentials is None or self._api_failed("Google Docs API") or google is None:
            self._add(Step.TEMPLATES, "Mẫu báo cáo", Level.SKIP, "Chưa kiểm tra: chưa gọi được Docs API.")
            return
        needed: dict[str, list[str]] = {}
        for deadline in self.plan.deadlines:
            needed.setdefault(template_key(deadline.template, deadline.kind.value), []).append(deadline.id)
        for key, deadline_ids in needed.items():
            subject = f"{key} ({', '.join(deadline_ids)})"
            document_id = google.templates.get(key, "")
            if not document_id:
                self._add(Step.TEMPLATES, subject, Level.FAIL, "Kế hoạch chưa có mẫu Google Docs cho báo cáo này.",
                          "Chạy `thidua google provision` (tạo mẫu khởi đầu), hoặc ghi mã tài liệu vào "
                          "google.templates.")
                continue
            try:
                meta = self.api.execute(self._service("drive").files().get(
                    fileId=document_id, fields="id,name,mimeType,trashed"))
                self.api.execute(self._service("docs").documents().get(documentId=document_id))
            except (HttpError, GoogleApiError) as error:
                problem = classify(error)
                self._add(Step.TEMPLATES, subject, Level.FAIL,
                          f"Không mở được mẫu {document_id} ({problem.status}: {problem.message}).",
                          f"Khôi phục tài liệu hoặc chia sẻ nó cho {self.user}; hoặc chạy lại `thidua google "
                          "provision` để tạo lại mẫu khởi đầu và ghi mã mới vào kế hoạch." + _DRIVE_FILE_HINT)
                continue
            if meta.get("trashed"):
                self._add(Step.TEMPLATES, subject, Level.FAIL, f"Mẫu «{meta.get('name')}» đang nằm trong Thùng rác.",
                          "Khôi phục tài liệu từ Thùng rác của Google Drive.")
            elif meta.get("mimeType") != DOC_MIME:
                self._add(Step.TEMPLATES, subject, Level.FAIL,
                          f"«{meta.get('name')}» không phải Google Docs ({meta.get('mimeType')}).",
                          "Mở tệp, chọn Tệp → Lưu dưới dạng Google Tài liệu, ghi mã tài liệu mới vào kế hoạch.")
            else:
                self._add(Step.TEMPLATES, subject, Level.OK, f"Mở được «{meta.get('name')}».")

    # ------------------------------------------------------------------ 8. folders

    def _check_folders(self) -> None:
        google = self.plan.google
        if self._credentials is None or self._api_failed("Google Drive API") or google is None:
            self._add(Step.FOLDERS, "Thư mục", Level.SKIP, "Chưa kiểm tra: chưa gọi được Drive API.")
            return
        folders = {d.id: google.deadline_folders.get(d.id, google.folder_id) for d in self.plan.deadlines}
        for deadline_id, folder_id in folders.items():
            if not folder_id:
                self._add(Step.FOLDERS, deadline_id, Level.FAIL, "Kế hoạch chưa ghi thư mục báo cáo cho hạn này.",
                          "Chạy `thidua google provision`.")
                continue
            files = self._service("drive").files()
            try:
                meta = self.api.execute(files.get(fileId=folder_id, fields="id,name,mimeType,trashed"))
                if meta.get("trashed") or meta.get("mimeType") != FOLDER_MIME:
                    raise _NotWritable(f"«{meta.get('name')}» " + ("đang trong Thùng rác" if meta.get("trashed")
                                                                    else "không phải thư mục"))
                probe = self.api.execute(files.create(body={"name": ".thidua-doctor", "parents": [folder_id]},
                                                      fields="id"), idempotent=False)
                self.api.execute(files.delete(fileId=probe["id"]))
            except _NotWritable as error:
                self._add(Step.FOLDERS, deadline_id, Level.FAIL, f"Thư mục {folder_id}: {error}.",
                          "Khôi phục thư mục, hoặc chạy lại `thidua google provision` và dùng kế hoạch mới.")
            except (HttpError, GoogleApiError) as error:
                problem = classify(error)
                self._add(Step.FOLDERS, deadline_id, Level.FAIL,
                          f"Không ghi được vào thư mục {folder_id} ({problem.status}: {problem.message}).",
                          f"Chia sẻ thư mục cho {self.user} với quyền «Người chỉnh sửa», hoặc chạy lại "
                          "`thidua google provision`." + _DRIVE_FILE_HINT)
            else:
                self._add(Step.FOLDERS, deadline_id, Level.OK, f"Ghi được vào «{meta.get('name')}».")

    # ------------------------------------------------------------------ 9. test email

    def _send_test_email(self) -> None:
        clerk = self.plan.clerk.email
        if not self.send_test_email:
            self._add(Step.TEST_EMAIL, clerk, Level.SKIP, "Bỏ qua theo yêu cầu (--no-test-email).")
            return
        if self._credentials is None or self._failed(Step.GMAIL) or self._api_failed("Gmail API"):
            self._add(Step.TEST_EMAIL, clerk, Level.SKIP, "Chưa gửi: phần Gmail ở trên chưa ổn.")
            return
        from connectors.google.gmail import GmailMailer

        message = EmailMessage()
        message["From"] = formataddr((self.plan.delivery.sender_name, self.plan.delivery.sender))
        message["To"] = formataddr((self.plan.clerk.name, clerk))
        message["Subject"] = f"[thidua] Thư kiểm tra cài đặt Google – {self.plan.school.name}"
        message["Message-ID"] = make_msgid("thidua-doctor", domain=self.plan.school.email_domain)
        bad = sum(1 for f in self.findings if f.level is Level.FAIL)
        message.set_content(
            f"Kính gửi {self.plan.clerk.name},\n\nĐây là thư kiểm tra do lệnh `thidua google doctor` gửi từ hộp thư "
            f"{self.user}, chỉ gửi cho thư ký. Nhận được thư này nghĩa là thidua gửi được thư qua Gmail của trường."
            f"\nKết quả kiểm tra: {bad} mục cần sửa.\n"
        )
        try:
            GmailMailer(self._service("gmail"), self.api).send(message)
        except (HttpError, GoogleApiError, OSError) as error:
            problem = classify(error)
            self._add(Step.TEST_EMAIL, clerk, Level.FAIL, f"Gmail không gửi được thư ({problem.status}): "
                      f"{problem.message}", "Kiểm tra phạm vi gmail.send và hạn mức gửi thư của hộp thư.")
            return
        self._add(Step.TEST_EMAIL, clerk, Level.OK,
                  f"Đã gửi thư kiểm tra (Message-ID {message['Message-ID']}); hãy mở hộp thư {clerk} để xác nhận.")


# Under drive.file Google answers 404 for a file another app (other credentials) created.
_DRIVE_FILE_HINT = (" Phạm vi drive.file chỉ cho thidua thấy tệp do chính thông tin xác thực này tạo: nếu đã khởi tạo "
                    "bằng thông tin xác thực khác (ví dụ tài khoản dịch vụ, rồi chuyển sang đăng nhập người dùng), "
                    "hãy chạy lại `thidua google provision` bằng thông tin xác thực hiện tại.")


class _NotWritable(Exception):
    pass


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def failed(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop the first deadline from going out."""
    return [f for f in findings if f.level is Level.FAIL]


def diagnose(plan: Plan, secret_block: str = "", base_url: str | None = None,
             send_test_email: bool = True) -> list[Finding]:
    """Finds the credential where the flows find it (a Prefect Secret block, else THIDUA_GOOGLE_CREDENTIALS),
    then runs every check; without a usable credential, says where to put one and checks nothing else."""
    where = f"Prefect Secret block «{secret_block}»" if secret_block else f"biến môi trường {ENV_VAR}"
    try:
        info = credential_info(prefect_secret(secret_block) if secret_block else None)
    except GoogleAuthError as error:
        problem = str(error)
    except Exception as error:  # the Secret block could not be read: no Prefect server, no such block
        problem = f"Không đọc được {where} ({type(error).__name__})."
    else:
        return Doctor(plan, info, where, base_url, send_test_email).run()
    findings = [Finding(Step.CREDENTIALS, where, Level.FAIL, problem,
                        f"Tài khoản dịch vụ: đặt {ENV_VAR} là đường dẫn tệp khóa JSON (chmod 600) hoặc lưu nội dung "
                        "vào Prefect Secret block; đăng nhập người dùng: chạy `thidua google login`.")]
    findings += [Finding(step, STEP_TITLES[step], Level.SKIP, "Chưa kiểm tra: chưa có thông tin xác thực.")
                 for step in Step if step is not Step.CREDENTIALS]
    return findings
