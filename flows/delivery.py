"""Sending a deadline's report to its recipients, exactly once, as approved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.delivery import deliver_once
from connectors.ports import DeliveryKey
from flows.approval import document_number
from flows.common import mailer, outbox_ids, unless_disk_full
from flows.ledger import open_ledger
from flows.report import annex_of
from flows.settings import RunSettings
from thidua import mail
from thidua.delivery_state import delivery_words
from thidua.official import attachment_names
from thidua.plan import Plan


@dataclass(frozen=True)
class Sending:
    """What one send did: the delivery status, the Message-ID, when the mail system accepted it, and to whom."""

    status: str
    message_id: str
    sent_at: dt.datetime | None
    recipients: tuple[str, ...]


def clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `start` now and moves on in real time: the demo's simulated 2024 keeps ticking."""
    real_start = dt.datetime.now(dt.UTC)
    return lambda: start + (dt.datetime.now(dt.UTC) - real_start)


@task(retries=3, retry_delay_seconds=2, cache_policy=NO_CACHE, retry_condition_fn=unless_disk_full)
def send_report(settings: RunSettings, plan: Plan, deadline_id: str, attachment: Path, now: dt.datetime,
                version: int = 1, reason: str = "") -> Sending:
    """Sends once: the ledger and the mailbox together decide, so a retry or a re-run never sends twice."""
    deadline = plan.deadline(deadline_id)
    recipients = plan.recipient_emails(deadline)
    annex = annex_of(attachment)
    report_name, annex_name = attachment_names(deadline.title, attachment.suffix)
    texts = mail.compose_report_texts(
        school_name=plan.school.name, report_title=deadline.title,
        recipient_office="; ".join(plan.recipient_names(deadline)), deadline=deadline.due_before,
        signer_title=plan.signer.title, signer_name=plan.signer.name, version=version, reason=reason,
        document_number=document_number(settings, plan, deadline_id, version),
        attachments=[report_name, *([annex_name] if annex.is_file() else [])],
    )
    message_id = mail.report_message_id(plan.id, deadline.id, version, plan.school.email_domain)
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


def deliver(settings: RunSettings, plan: Plan, deadline_id: str, attachment: Path, now: dt.datetime,
                 version: int = 1, reason: str = "") -> Sending:
    """Emails the report to the deadline's recipients (only addresses on the plan's allow-list)."""
    sending = send_report(settings, plan, deadline_id, attachment, now, version, reason)
    get_run_logger().info("Gửi %s: %s (%s)", deadline_id, delivery_words(sending.status), sending.message_id)
    return sending
