"""Gmail as Google runs it: large reports through the upload endpoint, exactly-once even when Gmail rewrites the
Message-ID, and no mailbox for a service account without domain-wide delegation."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.delivery import DeliveryStatus, deliver_once
from connectors.google.api import GoogleApi, GoogleAuthError
from connectors.google.gmail import GmailMailer, GmailNeverSent, lookup_token
from connectors.ledger import SqlLedger
from connectors.ports import DeliveryKey
from emulator.accounts import SERVICE_ACCOUNT_EMAIL
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua import mail
from thidua.plan import Plan, parse_plan

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"
NO_WAIT = GoogleApi(sleep=lambda seconds: None)
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
GMAIL_READ = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def _report(plan: Plan, attachment: bytes = b"%PDF-1.4 test") -> mail.EmailMessage:
    deadline = plan.deadlines[0]
    texts = mail.compose_report_texts(school_name=plan.school.name, report_title=deadline.title,
                                      recipient_office="Phòng GDĐT", deadline=deadline.due_before,
                                      signer_title=plan.signer.title, signer_name=plan.signer.name, version=1)
    return mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name,
        recipients=plan.recipient_emails(deadline), allow_list=plan.allow_list, subject=texts.subject,
        body_text=texts.body_text, body_html=texts.body_html, attachment=attachment,
        attachment_name="D1 - Đăng ký.pdf", attachment_mime=mail.PDF_MIME,
        message_id=mail.report_message_id(plan.id, deadline.id, 1, plan.school.email_domain))


def test_a_large_report_goes_through_the_upload_endpoint(workspace: WorkspaceClients, plan: Plan,
                                                         emulator: WorkspaceEmulator) -> None:
    message = _report(plan, attachment=b"%PDF-1.4 " + bytes(range(256)) * 40_000)  # ~10 MB, ~13.7 MB encoded
    gmail = workspace.service("gmail", "v1")
    GmailMailer(gmail, NO_WAIT).send(message)
    sends = emulator.log.entries("gmail.users.messages.send")
    assert [e.path for e in sends] == ["/upload/gmail/v1/users/me/messages/send"] and sends[0].status == 200
    listed = gmail.users().messages().list(userId="me", q="in:sent").execute()["messages"]
    raw = gmail.users().messages().get(userId="me", id=listed[0]["id"], format="raw").execute()["raw"]
    received = email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email.policy.default)
    assert received["Message-ID"] == message["Message-ID"]
    assert lookup_token(str(message["Message-ID"])) in received.get_body(("plain",)).get_content()


def test_a_report_too_large_for_gmail_is_never_sent_and_says_so(workspace: WorkspaceClients, plan: Plan) -> None:
    message = _report(plan, attachment=bytes(27 * 2**20))  # 27 MB → ~37 MB encoded: above the 35 MB maxSize
    with pytest.raises(GmailNeverSent, match="vượt giới hạn 35 MB của Gmail"):
        GmailMailer(workspace.service("gmail", "v1"), NO_WAIT).send(message)


def test_a_service_account_without_delegation_has_no_mailbox(workspace: WorkspaceClients, plan: Plan) -> None:
    credentials = workspace.credentials(user=None)
    undelegated = credentials.with_subject(None)  # type: ignore[no-untyped-call]
    from connectors.google import endpoints

    service = endpoints.build_service("gmail", "v1", undelegated, workspace.base_url)
    with pytest.raises(GmailNeverSent, match="400"):
        GmailMailer(service, NO_WAIT).send(_report(plan))


@pytest.fixture(scope="module")
def rewriting() -> Iterator[WorkspaceEmulator]:
    with WorkspaceEmulator(EmulatorConfig(gmail_rewrite_message_ids=True)) as running:
        yield running


def test_exactly_once_holds_when_gmail_rewrites_the_message_id(rewriting: WorkspaceEmulator, plan: Plan,
                                                               tmp_path: Path) -> None:
    rewriting.reset()
    clients = WorkspaceClients(rewriting)
    gmail = clients.service("gmail", "v1")
    ledger = SqlLedger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    message = _report(plan)
    key = DeliveryKey(plan.id, plan.deadlines[0].id, 1)
    ledger.begin(key, str(message["Message-ID"]), ("x@y.vn",))
    GmailMailer(gmail, NO_WAIT).send(message)  # the run that crashed before recording `sent`
    ours = str(message["Message-ID"]).strip("<>")
    assert not gmail.users().messages().list(userId="me", q=f"rfc822msgid:{ours}").execute().get("messages")

    later = GmailMailer(gmail, NO_WAIT)  # a new process: it knows nothing of Gmail's id
    outcome = deliver_once(ledger, later, message, key, sent_ids=lambda: later.outbox.sent_ids(str(
        message["Message-ID"])), now=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert outcome.status is DeliveryStatus.RECOVERED_FROM_PENDING
    assert len(gmail.users().messages().list(userId="me", q="in:sent").execute()["messages"]) == 1
    assert later.outbox.gmail_ids[str(message["Message-ID"])]


@pytest.fixture(scope="module")
def admin_console() -> Iterator[WorkspaceEmulator]:
    config = EmulatorConfig(delegation={SERVICE_ACCOUNT_EMAIL: [GMAIL_SEND]})
    with WorkspaceEmulator(config) as running:
        yield running


def test_delegation_short_of_a_scope_is_unauthorized_client_named_in_vietnamese(
        admin_console: WorkspaceEmulator, plan: Plan) -> None:
    clients = WorkspaceClients(admin_console)
    api = GoogleApi(sleep=lambda s: None, scopes=(GMAIL_SEND, GMAIL_READ))
    granted = GmailMailer(clients.service("gmail", "v1", scopes=[GMAIL_SEND]), api)
    granted.send(_report(plan))  # within the allow-list: fine
    wider = GmailMailer(clients.service("gmail", "v1", scopes=[GMAIL_SEND, GMAIL_READ]), api)
    with pytest.raises(GoogleAuthError, match="unauthorized_client") as caught:
        wider.outbox.contains("<x@y>")
    assert "Ủy quyền trên toàn miền" in str(caught.value) and GMAIL_READ in str(caught.value)


def test_replies_to_a_draft_are_found_when_gmail_rewrote_its_message_id(rewriting: WorkspaceEmulator) -> None:
    from email.message import EmailMessage
    from email.utils import make_msgid

    from connectors.google.gmail import GmailReplies

    rewriting.reset()
    clients = WorkspaceClients(rewriting)
    clerk, principal = "vanthu@lax.edu.vn", "hieutruong@lax.edu.vn"
    draft = EmailMessage()
    draft["From"], draft["To"], draft["Subject"] = clerk, principal, "[Dự thảo chờ phê duyệt] Sơ kết"
    draft["Message-ID"] = ours = make_msgid(domain="lax.edu.vn")
    draft.set_content("Kính đề nghị phê duyệt.")
    GmailMailer(clients.service("gmail", "v1", user=clerk), NO_WAIT).send(draft)

    inbox = clients.service("gmail", "v1", user=principal).users().messages()
    (received,) = inbox.list(userId="me", q="in:inbox").execute()["messages"]
    headers = inbox.get(userId="me", id=received["id"], format="metadata").execute()["payload"]["headers"]
    gmails = next(h["value"] for h in headers if h["name"] == "Message-ID")
    assert gmails != ours  # what the principal's client answers to is Gmail's Message-ID
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = principal, clerk, "Re: [Dự thảo chờ phê duyệt] Sơ kết"
    answer["In-Reply-To"] = answer["References"] = gmails
    answer.set_content("Duyệt")
    GmailMailer(clients.service("gmail", "v1", user=principal), NO_WAIT).send(answer)

    (reply,) = GmailReplies(clients.service("gmail", "v1", user=clerk), NO_WAIT).replies(ours)  # not the draft
    assert reply.sender == principal and reply.text.startswith("Duyệt")
