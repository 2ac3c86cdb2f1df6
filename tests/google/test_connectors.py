"""Sheets in, Gmail out, through the unmodified client libraries against the emulator."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import uuid
from pathlib import Path

import pytest

from connectors.delivery import DeliveryStatus, deliver_once
from connectors.google.api import GoogleApi, GoogleAuthError
from connectors.google.gmail import GmailMailer, GmailNeverSent
from connectors.google.quotas import Limit, uniform_quotas
from connectors.google.sheets import SheetsSource
from connectors.ledger import SqlLedger
from connectors.ports import DeliveryKey
from emulator.faults import FaultRule
from emulator.server import WorkspaceEmulator
from emulator.testing import WorkspaceClients
from flows.quota import prefect_throttle
from tests.conftest import PrefectServer
from thidua import mail
from thidua.plan import Plan, parse_plan

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"
NO_WAIT = GoogleApi(sleep=lambda seconds: None)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def _spreadsheet(workspace: WorkspaceClients, sheets: dict[str, list[list[str]]]) -> str:
    client = workspace.gspread()
    spreadsheet = client.create("Câu trả lời")
    first = True
    for title, grid in sheets.items():
        worksheet = spreadsheet.sheet1 if first else spreadsheet.add_worksheet(title, rows=100, cols=20)
        if first:
            worksheet.update_title(title)
            first = False
        worksheet.update(grid, "A1", raw=True)
    return str(spreadsheet.id)


def test_every_sheet_of_a_spreadsheet_is_read_with_one_get(workspace: WorkspaceClients, plan: Plan,
                                                           emulator: WorkspaceEmulator) -> None:
    f1 = next(s for s in plan.sources if s.id == "F1")
    f2 = next(s for s in plan.sources if s.id == "F2")
    f1_grid = [list(f1.columns.values()), ["13/3/2024 8:05:09", "Lan@x.vn", "Nguyễn Thị Lan", "To Toan", "", "LĐTT"]]
    f2_grid = [list(f2.columns.values()), [],
               ["1/3/2024 8:00:00", "tt@x.vn", "Toán", "10", "TTLĐXS", "- Dạy tốt\n- Học tốt"]]
    sid = _spreadsheet(workspace, {"F1 'trả lời'": f1_grid, "F2": f2_grid})
    sources = [f1.model_copy(update={"spreadsheet_id": sid, "sheet": "F1 'trả lời'"}),
               f2.model_copy(update={"spreadsheet_id": sid, "sheet": "F2"})]
    emulator.log.clear()
    tables = SheetsSource(workspace.gspread(), NO_WAIT).read_many(sources)
    assert [e.method_id for e in emulator.log.entries() if e.path != "/token"] == ["sheets.spreadsheets.get"]
    assert tables["F1"].headers == tuple(f1_grid[0])
    assert tables["F1"].rows[0].values["Tổ"] == "To Toan"
    assert tables["F1"].rows[0].values["Chức vụ"] == ""
    assert tables["F2"].rows[0].is_blank() and tables["F2"].rows[0].row_number == 2
    assert tables["F2"].rows[1].values["Nội dung giao ước thi đua"] == "- Dạy tốt\n- Học tốt"


def _report_email(plan: Plan, which: int = 0) -> mail.EmailMessage:
    deadline = plan.deadlines[which]
    texts = mail.compose_report_texts(school_name=plan.school.name, report_title=deadline.title,
                                      recipient_office="Phòng GDĐT", deadline=deadline.due_before,
                                      signer_title=plan.signer.title, signer_name=plan.signer.name, version=1)
    return mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name,
        recipients=plan.recipient_emails(deadline), allow_list=plan.allow_list, subject=texts.subject,
        body_text=texts.body_text, body_html=texts.body_html, attachment=b"%PDF-1.4 test",
        attachment_name="D1 - Đăng ký.pdf", attachment_mime=mail.PDF_MIME,
        message_id=mail.report_message_id(plan.id, deadline.id, 1, plan.school.email_domain))


def _sent_count(workspace: WorkspaceClients) -> int:
    listed = workspace.service("gmail", "v1").users().messages().list(userId="me", q="in:sent").execute()
    return len(listed.get("messages", []))


def test_a_failed_quota_wait_releases_the_claim_and_a_later_run_sends_once(
        workspace: WorkspaceClients, plan: Plan, prefect_api: PrefectServer, tmp_path: Path) -> None:
    one_a_day = uniform_quotas(None).with_limits(
        gmail_messages_per_day=Limit(per_user=1, per_project=None, window_seconds=86_400))
    throttle = prefect_throttle(workspace.user, f"project-{uuid.uuid4().hex[:8]}", one_a_day, timeout_seconds=1)
    service = workspace.service("gmail", "v1")
    throttled = GmailMailer(service, GoogleApi(throttle=throttle))
    ledger = SqlLedger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")

    def deliver(mailer: GmailMailer, which: int) -> DeliveryStatus:
        key = DeliveryKey(plan.id, plan.deadlines[which].id, 1)
        outcome = deliver_once(ledger, mailer, _report_email(plan, which), key,
                               sent_ids=lambda: set(), now=lambda: dt.datetime.now(dt.UTC))
        return outcome.status

    assert deliver(throttled, 0) is DeliveryStatus.SENT
    with pytest.raises(GmailNeverSent, match=r"Không chờ được hạn mức Google cho gmail\.users\.messages\.send"):
        deliver(throttled, 1)  # the day's one message is spent: the quota wait times out before any request
    assert ledger.get(DeliveryKey(plan.id, plan.deadlines[1].id, 1)) is None
    assert _sent_count(workspace) == 1

    assert deliver(GmailMailer(service, NO_WAIT), 1) is DeliveryStatus.SENT  # at once, not after staleness
    assert _sent_count(workspace) == 2


def test_gmail_send_survives_injected_503s_and_sends_once(workspace: WorkspaceClients, plan: Plan,
                                                          emulator: WorkspaceEmulator) -> None:
    service = workspace.service("gmail", "v1")
    emulator.faults.configure([FaultRule(methods=["gmail.users.messages.send"], error_rate=0.6,
                                         statuses=[503])], seed=3)
    try:
        mailer = GmailMailer(service, NO_WAIT, attempts=10)
        message = _report_email(plan)
        mailer.send(message)
    finally:
        emulator.faults.configure([])
    listed = service.users().messages().list(userId="me", q="in:sent").execute()
    assert len(listed["messages"]) == 1
    raw = service.users().messages().get(userId="me", id=listed["messages"][0]["id"], format="raw").execute()["raw"]
    received = email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email.policy.default)
    assert received["Subject"] == message["Subject"]
    assert mailer.outbox.contains(str(message["Message-ID"]))


def test_under_scoped_token_names_the_scope(workspace: WorkspaceClients, plan: Plan) -> None:
    service = workspace.service("gmail", "v1", scopes=["https://www.googleapis.com/auth/gmail.send"])
    mailer = GmailMailer(service, NO_WAIT)
    with pytest.raises(GoogleAuthError) as caught:
        mailer.outbox.contains("<x@y>")
    assert "https://www.googleapis.com/auth/gmail.readonly" in str(caught.value)
    assert "gmail.users.messages.list" in str(caught.value)


def test_429_is_retried_after_the_servers_retry_after(workspace: WorkspaceClients, plan: Plan,
                                                      emulator: WorkspaceEmulator) -> None:
    def waits_for(retry_after_seconds: int | None) -> list[float]:
        waits: list[float] = []
        api = GoogleApi(sleep=waits.append)
        emulator.faults.configure([FaultRule(methods=["gmail.users.messages.list"], error_rate=1.0, statuses=[429],
                                             retry_after_seconds=retry_after_seconds)])
        try:
            with pytest.raises(Exception, match="429"):
                GmailMailer(workspace.service("gmail", "v1"), api).outbox.contains("<x@y>")
        finally:
            emulator.faults.configure([])
        assert len(waits) == api.policy.attempts - 1
        assert api.retries["gmail.users.messages.list"] == api.policy.attempts - 1
        return waits

    assert min(waits_for(30)) >= 30  # longer than the backoff's own first waits
    assert min(waits_for(None)) < 30  # without the header, the backoff alone


def test_gmail_send_survives_dropped_connections_and_sends_once(workspace: WorkspaceClients, plan: Plan,
                                                                emulator: WorkspaceEmulator) -> None:
    service = workspace.service("gmail", "v1")
    emulator.faults.configure([FaultRule(methods=["gmail.users.messages.send"], drop_rate=0.5)], seed=7)
    try:
        GmailMailer(service, NO_WAIT, attempts=12).send(_report_email(plan))
    finally:
        emulator.faults.configure([])
    dropped = [e for e in emulator.log.entries("gmail.users.messages.send") if e.status == 0]
    assert dropped, "the fault rule dropped no connection"
    assert len(service.users().messages().list(userId="me", q="in:sent").execute()["messages"]) == 1


def test_gmail_replies_reads_every_answer_in_the_drafts_thread_but_the_draft(workspace: WorkspaceClients) -> None:
    from email.message import EmailMessage
    from email.utils import make_msgid

    from connectors.google.gmail import GmailReplies
    from thidua.replies import decide

    clerk, principal, other = "vanthu@lax.edu.vn", "hieutruong@lax.edu.vn", "giaovien@lax.edu.vn"
    draft = EmailMessage()
    draft["From"], draft["To"], draft["Subject"] = clerk, principal, "[Dự thảo chờ phê duyệt] Báo cáo sơ kết"
    draft["Message-ID"] = draft_id = make_msgid(domain="lax.edu.vn")
    draft.set_content("Kính đề nghị trả lời «Duyệt» hoặc «Không duyệt: lý do».")
    GmailMailer(workspace.service("gmail", "v1", user=clerk), GoogleApi()).send(draft)
    replies = GmailReplies(workspace.service("gmail", "v1", user=clerk), GoogleApi())
    assert replies.replies(draft_id) == []

    for sender, text in ((other, "Duyệt"), (principal, "Không duyệt: thiếu tổ Toán")):
        answer = EmailMessage()
        answer["From"], answer["To"], answer["Subject"] = sender, clerk, "Re: " + str(draft["Subject"])
        answer["In-Reply-To"] = answer["References"] = draft_id
        answer.set_content(text + "\n\n> Kính đề nghị trả lời «Duyệt»\n", charset="utf-8", cte="8bit")
        GmailMailer(workspace.service("gmail", "v1", user=sender), GoogleApi()).send(answer)

    found = replies.replies(draft_id)
    assert [(r.sender, r.text.split("\n")[0]) for r in found] == [
        (other, "Duyệt"), (principal, "Không duyệt: thiếu tổ Toán")]
    verdict = decide(found, principal, exclude=[draft_id])
    assert verdict.decision is not None and not verdict.decision.approved
    assert verdict.decision.reason == "thiếu tổ Toán" and len(verdict.ignored) == 1
    assert replies.replies("<nobody@lax.edu.vn>") == []
