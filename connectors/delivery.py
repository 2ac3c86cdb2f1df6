"""Exactly-once sending of one email, on any Mailer, Ledger and outbox: the same for every backend.

The ledger row is written `pending` before the send and `sent` after it. A `pending` row found later means
"maybe sent": the outbox (`sent_ids`) decides whether to record it as sent or, once it is stale, to send again.
A mailer that knows the message never left (NeverSent) gets the row dropped, so a retry need not wait.
Backend-independent: the Gmail path passes a `sent_ids` that searches sent mail.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses

from connectors.ports import DeliveryKey, DeliveryRecord, DeliveryState, Ledger, Mailer, NeverSent, PartlyRefused
from thidua.delivery_state import not_reached


class DeliveryStatus(enum.StrEnum):
    """What deliver_once did; a flow shows it to the clerk."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    RECOVERED_FROM_PENDING = "recovered_from_pending"
    """A crashed run had sent it: found in the outbox, now recorded as sent, not sent again."""
    RESENT_AFTER_CRASH = "resent_after_crash"
    """A crashed run had not sent it (absent from the outbox after `stale_after`): sent now."""
    FOUND_IN_MAILBOX = "found_in_mailbox"
    """No ledger row (a lost or restored ledger), but the mailbox has it: recorded as sent, not sent again."""


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one delivery, and the ledger's record of it afterwards."""

    status: DeliveryStatus
    record: DeliveryRecord


class DeliveryInProgress(Exception):
    """Another run claimed this delivery recently and it is not in the outbox yet; retry after `stale_after`."""


class DeliveryConflict(Exception):
    """The ledger holds another Message-ID for this key: the email was rebuilt differently (e.g. a new domain)."""


class DeliveryPartlyRefused(Exception):
    """The email left, but not to `refused` (the server refused them, or they were added after the send): a
    failed delivery to them, raised every time this key is delivered, so the run fails and the clerk is told."""

    def __init__(self, key: DeliveryKey, refused: tuple[str, ...]) -> None:
        self.refused = refused
        super().__init__(
            f"{_describe(key).capitalize()} đã gửi nhưng KHÔNG tới: {', '.join(refused)} (máy chủ thư từ chối, "
            "hoặc địa chỉ được thêm sau khi gửi). Những người nhận khác đã nhận và sẽ không nhận lại. Hãy kiểm "
            f"tra địa chỉ trong kế hoạch rồi gửi bản thay thế: thidua resend {key.deadline_id} --reason …"
        )


def _not_reached(key: DeliveryKey, recipients: tuple[str, ...], record: DeliveryRecord) -> None:
    if missing := not_reached(recipients, record.recipients):
        raise DeliveryPartlyRefused(key, missing)


def deliver_once(
    ledger: Ledger,
    mailer: Mailer,
    message: EmailMessage,
    key: DeliveryKey,
    sent_ids: Callable[[], set[str]],
    now: Callable[[], datetime],
    *,
    stale_after: timedelta = timedelta(minutes=10),
) -> DeliveryOutcome:
    """Send `message` for `key` unless it was already sent; never sends the same key twice.

    `stale_after` must exceed the longest a send can take (the mailer's timeout), so a run that is still
    sending is never taken for a crashed one. If `mailer.send` raises, the row stays `pending` ("maybe sent")
    and the next call settles it through `sent_ids` — unless the error is NeverSent, which releases it.
    """
    message_id = message["Message-ID"]
    if message_id is None:
        raise ValueError("the message has no Message-ID, so its delivery could not be found again after a crash")
    message_id = str(message_id).strip()
    recipients = tuple(
        address for _, address in getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])])
    )
    record = ledger.begin(key, message_id, recipients)
    if record.message_id != message_id:
        raise DeliveryConflict(
            f"Sổ gửi thư đã ghi {_describe(key)} với Message-ID {record.message_id}, nhưng thư lần này có "
            f"Message-ID {message_id}. Thư được dựng lại khác trước (ví dụ đổi tên miền); không gửi để tránh trùng."
        )
    if record.state is DeliveryState.SENT:
        _not_reached(key, recipients, record)
        return DeliveryOutcome(DeliveryStatus.ALREADY_SENT, record)
    status = DeliveryStatus.SENT
    # The mailbox is asked before every send, a first one too: a lost or restored ledger must not mean a resend.
    if message_id in sent_ids():
        found = DeliveryStatus.FOUND_IN_MAILBOX if record.owned else DeliveryStatus.RECOVERED_FROM_PENDING
        return DeliveryOutcome(found, ledger.mark_sent(key, now()))
    if not record.owned:
        if now() - record.begun_at < stale_after:
            raise DeliveryInProgress(
                f"Chưa gửi {_describe(key)}: một lượt chạy khác đã bắt đầu gửi lúc "
                f"{record.begun_at.isoformat(timespec='minutes')} và thư chưa có trong hộp thư đã gửi. "
                f"Để tránh gửi trùng, hãy chạy lại sau {(record.begun_at + stale_after).isoformat(timespec='minutes')}."
            )
        record = ledger.reclaim(key, record.attempt)
        if record.state is DeliveryState.SENT:
            _not_reached(key, recipients, record)
            return DeliveryOutcome(DeliveryStatus.ALREADY_SENT, record)
        if not record.owned:
            raise DeliveryInProgress(
                f"Chưa gửi {_describe(key)}: một lượt chạy khác vừa nhận gửi lại (lần {record.attempt})."
            )
        status = DeliveryStatus.RESENT_AFTER_CRASH
    try:
        mailer.send(message)
    except NeverSent:
        ledger.release(key, record.attempt)
        raise
    except PartlyRefused as error:  # it left: recorded as sent to those who took it, never sent to them again
        refused = {r.casefold() for r in error.refused}
        ledger.mark_sent(key, now(), tuple(r for r in recipients if r.casefold() not in refused))
        raise DeliveryPartlyRefused(key, tuple(r for r in recipients if r.casefold() in refused)) from error
    return DeliveryOutcome(status, ledger.mark_sent(key, now()))


def _describe(key: DeliveryKey) -> str:
    return f"báo cáo {key.deadline_id} (phiên bản {key.version}) của trường {key.school_id}"
