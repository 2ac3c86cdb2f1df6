"""Sending a deadline's report to its recipients, exactly once, as approved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.delivery import DeliveryStatus, deliver_once
from connectors.ports import DeliveryKey
from flows.approval import document_number, sha256_of
from flows.common import mailer, outbox_ids, unless_disk_full
from flows.ledger import open_ledger
from flows.report import annex_of, report_basename
from flows.settings import RunSettings
from flows.signing import signed_copy
from thidua import mail
from thidua.delivery_state import delivered_to_all, delivery_words
from thidua.drafts import NO_APPROVAL
from thidua.official import attachment_names
from thidua.plan import Plan


@dataclass(frozen=True)
class Sending:
    """What one send did: the delivery status, the Message-ID, when the mail system accepted it, and to whom."""

    status: str
    message_id: str
    sent_at: dt.datetime | None
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class SentReport:
    """What is on disk of a version already sent, found without building: its files and who approved it."""

    docx: Path | None
    pdf: Path | None
    approved_by: str
    signed_sha256: str = ""

    @property
    def report(self) -> Path | None:
        """The file the clerk opens: the PDF when there is one."""
        return self.pdf or self.docx


def clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `start` now and moves on in real time: the demo's simulated 2024 keeps ticking."""
    real_start = dt.datetime.now(dt.UTC)
    return lambda: start + (dt.datetime.now(dt.UTC) - real_start)


def addressed(plan: Plan, deadline_id: str, version: int) -> tuple[str, tuple[str, ...]]:
    """A version's Message-ID and the recipients the plan names now: what a send uses, and what the ledger's record
    of an earlier send must match for the version to count as delivered."""
    message_id = mail.report_message_id(plan.id, deadline_id, version, plan.school.email_domain)
    return message_id, plan.recipient_emails(plan.deadline(deadline_id))


@task(retries=3, retry_delay_seconds=2, cache_policy=NO_CACHE, retry_condition_fn=unless_disk_full)
def send_report(settings: RunSettings, plan: Plan, deadline_id: str, attachment: Path, now: dt.datetime,
                version: int = 1, reason: str = "") -> Sending:
    """Sends once: the ledger and the mailbox together decide, so a retry or a re-run never sends twice."""
    deadline = plan.deadline(deadline_id)
    message_id, recipients = addressed(plan, deadline_id, version)
    annex = annex_of(attachment)
    report_name, annex_name = attachment_names(deadline.title, attachment.suffix)
    texts = mail.compose_report_texts(
        school_name=plan.school.name, report_title=deadline.title,
        recipient_office="; ".join(plan.recipient_names(deadline)), deadline=deadline.due_before,
        signer_title=plan.signer.title, signer_name=plan.signer.name, version=version, reason=reason,
        document_number=document_number(settings, plan, deadline_id, version),
        attachments=[report_name, *([annex_name] if annex.is_file() else [])],
    )
    message = mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=recipients,
        allow_list=plan.allow_list, subject=texts.subject, body_text=texts.body_text, body_html=texts.body_html,
        attachment=attachment.read_bytes(), attachment_name=report_name,
        attachment_mime=mail.ATTACHMENT_MIME_BY_SUFFIX[attachment.suffix], message_id=message_id, header_date=now,
        annex=annex.read_bytes() if annex.is_file() else None,
        annex_name=annex_name,
    )
    clock = clock_from(now)
    outcome = deliver_once(
        open_ledger(settings, clock), mailer(settings, plan), message, DeliveryKey(plan.id, deadline.id, version),
        sent_ids=lambda: outbox_ids(settings, plan, message_id), now=clock,
        stale_after=dt.timedelta(seconds=settings.stale_after_seconds),
    )
    return Sending(outcome.status.value, message_id, outcome.record.sent_at, recipients)


def already_delivered(settings: RunSettings, plan: Plan, deadline_id: str, version: int) -> Sending | None:
    """This version's earlier send, read from the ledger before anything is built, when it reached every current
    recipient: then there is nothing to build nor send. None when a send is still to make or to settle (no record,
    "maybe sent", a refused or newly added recipient, another Message-ID): the run then builds and deliver_once
    decides, as it always has."""
    message_id, recipients = addressed(plan, deadline_id, version)
    record = open_ledger(settings).get(DeliveryKey(plan.id, deadline_id, version))
    if record is None or record.message_id != message_id or not delivered_to_all(record, recipients):
        return None
    return Sending(DeliveryStatus.ALREADY_SENT.value, message_id, record.sent_at, recipients)


def sent_report(settings: RunSettings, plan: Plan, deadline_id: str, version: int) -> SentReport:
    """The files of a version already sent, without building: the rendered DOCX and PDF while they are still
    exactly what was approved (same digest), else the approved copy alone; with no approval to check them against,
    the rendered files as last written. A file not on disk is None; the signed copy's digest when there is one."""
    base = settings.reports_dir / report_basename(plan, plan.deadline(deadline_id))
    docx, pdf = (path if path.is_file() else None for path in (Path(f"{base}.docx"), Path(f"{base}.pdf")))
    approval = open_ledger(settings).approval(DeliveryKey(plan.id, deadline_id, version))
    if approval is None or not plan.delivery.approval_required:
        sent, approved_by = pdf or docx, NO_APPROVAL
    else:
        rendered = pdf if approval.report.suffix == ".pdf" else docx
        if rendered is None or sha256_of(rendered) != approval.sha256:  # rebuilt since: only the copy is this version
            kept = approval.report if approval.report.is_file() else None
            docx, pdf = (kept if kept is not None and kept.suffix == suffix else None for suffix in (".docx", ".pdf"))
        sent, approved_by = approval.report, approval.approved_by
    signed = signed_copy(settings, sent) if plan.signing is not None and sent is not None else None
    return SentReport(docx, pdf, approved_by, sha256_of(signed) if signed is not None and signed.is_file() else "")


def not_sent_again(plan: Plan, deadline_id: str, version: int, sending: Sending) -> str:
    """The clerk's sentence for a run that found its version already delivered to every recipient."""
    sent_at = f"{sending.sent_at.astimezone(ZoneInfo(plan.timezone)):%H:%M %d/%m/%Y}" if sending.sent_at else "—"
    return (f"{deadline_id} phiên bản {version} đã gửi lúc {sent_at} tới {', '.join(sending.recipients)}: "
            "không dựng lại báo cáo, không gửi lại.")


def deliver(settings: RunSettings, plan: Plan, deadline_id: str, attachment: Path, now: dt.datetime,
                 version: int = 1, reason: str = "") -> Sending:
    """Emails the report to the deadline's recipients (only addresses on the plan's allow-list)."""
    sending = send_report(settings, plan, deadline_id, attachment, now, version, reason)
    get_run_logger().info("Gửi %s: %s (%s)", deadline_id, delivery_words(sending.status), sending.message_id)
    return sending
