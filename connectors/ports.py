"""The roles a backend plays, as small protocols.

Flows depend on these interfaces only; each backend (local, Google) supplies implementations, and the same
contract tests run against every one of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

# --- Delivery -------------------------------------------------------------------------------------------------


class Mailer(Protocol):
    """Hands a finished email to a mail system; returns only once the system has accepted it.

    Raises NeverSent when the message provably did not reach the system; any other error means "maybe sent".
    """

    def send(self, message: EmailMessage) -> None: ...


class NeverSent(Exception):
    """The mail system never received the message (refused before the data went out, or the wait for quota
    failed), so the delivery's claim can be dropped and the send retried at once rather than after staleness."""


@dataclass(frozen=True, order=True)
class DeliveryKey:
    """One report delivery: a school's report for a deadline, in a given version (2+ replaces an earlier one)."""

    school_id: str
    deadline_id: str
    version: int


class DeliveryState(enum.StrEnum):
    """`pending` is written before sending and means "maybe sent"; `sent` means the mail system accepted it."""

    PENDING = "pending"
    SENT = "sent"


@dataclass(frozen=True)
class DeliveryRecord:
    """What the ledger knows about one delivery.

    `attempt` counts who has held the right to send (1 for the first begin, +1 per reclaim). `owned` is not
    stored: it is True only on the record returned to the one caller that just won that right.
    """

    key: DeliveryKey
    message_id: str
    recipients: tuple[str, ...]
    state: DeliveryState
    begun_at: datetime
    sent_at: datetime | None
    attempt: int
    owned: bool = False


class Ledger(Protocol):
    """The delivery record that makes sending a report exactly-once, across crashes and racing processes."""

    def begin(self, key: DeliveryKey, message_id: str, recipients: tuple[str, ...]) -> DeliveryRecord:
        """Record `pending` before sending. Idempotent: an existing record is returned as is, with owned=False."""
        ...

    def reclaim(self, key: DeliveryKey, attempt: int) -> DeliveryRecord:
        """Take over a stale `pending` record seen at `attempt`; owned=True only for the one caller that wins."""
        ...

    def mark_sent(self, key: DeliveryKey, sent_at: datetime) -> DeliveryRecord:
        """Record that the mail system accepted the message. Idempotent: the first sent_at is kept."""
        ...

    def release(self, key: DeliveryKey, attempt: int) -> None:
        """Drop the `pending` record held at `attempt` (the send never started); a later claim or a `sent`
        record is left alone."""
        ...

    def get(self, key: DeliveryKey) -> DeliveryRecord | None: ...

    def all(self) -> list[DeliveryRecord]: ...
