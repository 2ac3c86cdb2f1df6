"""Where a deadline's report stands, decided once: sent or not, late or not, which version comes next.

Flows, the `status` command, the check run and the district roll-up all ask this module, from the ledger's
records of the report's versions, so they cannot disagree. Lateness is judged by when the report arrived
(`sent_at`, on the run's own clock: a rehearsal's simulated time, never the real time of a later look), against
the moment it must have arrived by.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Sent(Protocol):
    """One version of a report as the ledger holds it; `sent_at` is None while it is "maybe sent"."""

    @property
    def version(self) -> int:
        """The report's version number, 1 for the first send."""
        ...

    @property
    def sent_at(self) -> dt.datetime | None:
        """When the report left, on the run's clock; None while delivery is unconfirmed."""
        ...


class Delivered(Sent, Protocol):
    """One version's delivery as the ledger holds it, with the addresses the mail system accepted it for."""

    @property
    def recipients(self) -> tuple[str, ...]:
        """Who the email reached (the whole list, less any the server refused), as recorded."""
        ...


#: What a delivery did, in the clerk's words (keys: connectors.delivery.DeliveryStatus values).
DELIVERY_WORDS: dict[str, str] = {
    "sent": "đã gửi",
    "already_sent": "đã gửi trước đó, không gửi lại",
    "recovered_from_pending": "đã gửi trong lần chạy trước (tìm thấy trong hộp thư), không gửi lại",
    "resent_after_crash": "gửi lại sau sự cố (lần trước chưa gửi được)",
    "found_in_mailbox": "đã có trong hộp thư đã gửi (sổ gửi thư bị mất hoặc khôi phục), không gửi lại",
}


def delivery_words(status: str) -> str:
    """The clerk's words for a delivery status; an unknown status is shown as it is."""
    return DELIVERY_WORDS.get(status, status)


class Stage(enum.StrEnum):
    """Where a deadline's report stands."""

    NOT_DUE = "not_due"
    APPROVED = "approved"
    DUE = "due"
    OVERDUE = "overdue"
    SENDING = "sending"
    SENT = "sent"


@dataclass(frozen=True)
class DeadlineState:
    """A deadline's delivery, as every reader should tell it."""

    stage: Stage
    late: bool
    first_sent_at: dt.datetime | None
    latest_version: int | None

    @property
    def word(self) -> str:
        """The state in the clerk's words, as `thidua status` shows it."""
        if self.stage is Stage.SENT:
            word = "đã gửi (TRỄ)" if self.late else "đã gửi"
            if self.latest_version is not None and self.latest_version > 1:
                word += f", bản thay thế v{self.latest_version}"
            return word
        return STAGE_WORDS[self.stage]


STAGE_WORDS: dict[Stage, str] = {
    Stage.NOT_DUE: "chưa đến hạn",
    Stage.APPROVED: "đã phê duyệt, chờ gửi",
    Stage.DUE: "đã đến giờ gửi, chưa gửi",
    Stage.OVERDUE: "QUÁ HẠN, chưa gửi",
    Stage.SENDING: "đang gửi (chưa xác nhận)",
    Stage.SENT: "đã gửi",
}


def arrived_late(sent_at: dt.datetime | None, must_arrive_by: dt.datetime) -> bool:
    """Late means it arrived after the moment it had to; a report not (yet) sent has not arrived in time."""
    return sent_at is None or sent_at > must_arrive_by


class Timing(enum.StrEnum):
    """When a send happens, against its slot and the moment the report must arrive by."""

    ON_SCHEDULE = "on_schedule"
    AFTER_SLOT = "after_slot"
    REHEARSAL = "rehearsal"
    LATE = "late"


TIMING_WORDS: dict[Timing, str] = {
    Timing.ON_SCHEDULE: "đúng lịch",
    Timing.AFTER_SLOT: "sau giờ gửi theo lịch, vẫn trước hạn",
    Timing.REHEARSAL: "chạy thử",
    Timing.LATE: "TRỄ HẠN",
}


@dataclass(frozen=True)
class SendTiming:
    """A send's timing as the clerk reads it; only a report arriving after the deadline is late, whatever the
    clock (a rehearsal an hour after its slot but days before the deadline is a rehearsal, not late)."""

    timing: Timing

    @property
    def late(self) -> bool:
        """True only when the report arrived after the deadline, the one case the clerk must explain."""
        return self.timing is Timing.LATE

    @property
    def word(self) -> str:
        """The timing in the clerk's words, the same in summaries, status and the district roll-up."""
        return TIMING_WORDS[self.timing]


def send_timing(send_at: dt.datetime, must_arrive_by: dt.datetime, at: dt.datetime, rehearsal: bool) -> SendTiming:
    """The timing of a send at `at` (the run's clock; a simulated one when `rehearsal`)."""
    if arrived_late(at, must_arrive_by):
        return SendTiming(Timing.LATE)
    if rehearsal:
        return SendTiming(Timing.REHEARSAL)
    return SendTiming(Timing.AFTER_SLOT if at > send_at else Timing.ON_SCHEDULE)


def not_reached(recipients: Sequence[str], reached: Sequence[str]) -> tuple[str, ...]:
    """Who of the deadline's `recipients` a sent email did not reach (addresses compared case-blind): the server
    refused them, or the plan added them after the send. A failed delivery to them, never a silent skip."""
    got = {address.casefold() for address in reached}
    return tuple(address for address in recipients if address.casefold() not in got)


def delivered_to_all(record: Delivered | None, recipients: Sequence[str]) -> bool:
    """A version is done, with nothing left to build or send, only when the mail system accepted it (a "maybe
    sent" record is not: the outbox must settle it) and it reached every one of the deadline's current
    `recipients` (a missing one must be reported by a send, every run)."""
    return record is not None and record.sent_at is not None and not not_reached(recipients, record.recipients)


def sent_versions(records: Sequence[Sent]) -> list[Sent]:
    """The versions the mail system accepted, oldest version first."""
    return sorted((r for r in records if r.sent_at is not None), key=lambda r: r.version)


def first_sent_at(records: Sequence[Sent]) -> dt.datetime | None:
    """When the report first arrived (the first version sent): what lateness is judged by."""
    sent = sent_versions(records)
    return sent[0].sent_at if sent else None


def next_version(records: Sequence[Sent]) -> int | None:
    """The version a replacement gets; None when nothing was sent or begun yet, so there is nothing to replace."""
    return max(r.version for r in records) + 1 if records else None


def deadline_state(records: Sequence[Sent], send_at: dt.datetime, must_arrive_by: dt.datetime, approved: bool,
                   now: dt.datetime) -> DeadlineState:
    """Where the deadline stands at `now`, from the ledger's records of its versions (any order)."""
    sent = sent_versions(records)
    if sent:
        first = sent[0].sent_at
        return DeadlineState(Stage.SENT, arrived_late(first, must_arrive_by), first, sent[-1].version)
    latest = max((r.version for r in records), default=None)
    if records:
        return DeadlineState(Stage.SENDING, now > must_arrive_by, None, latest)
    if now > must_arrive_by:
        return DeadlineState(Stage.OVERDUE, True, None, None)
    if now >= send_at:
        return DeadlineState(Stage.DUE, False, None, None)
    return DeadlineState(Stage.APPROVED if approved else Stage.NOT_DUE, False, None, None)
