"""A deadline's delivery state, decided once for flows, `status`, the check run and the district roll-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from thidua.calendar import schedule
from thidua.delivery_state import (
    DELIVERY_WORDS,
    Stage,
    arrived_late,
    deadline_state,
    delivered_to_all,
    delivery_words,
    first_sent_at,
    next_version,
    not_reached,
)
from thidua.plan import Plan
from thidua.schedule import approval_until, check_at

VN = dt.timezone(dt.timedelta(hours=7))
SEND_AT = dt.datetime(2024, 3, 13, 8, 0, tzinfo=VN)
MUST_ARRIVE_BY = dt.datetime(2024, 3, 15, 0, 0, tzinfo=VN)


@dataclass(frozen=True)
class Version:
    version: int
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class Delivery:
    version: int
    sent_at: dt.datetime | None
    recipients: tuple[str, ...]


PGD, UBND, SO = "pgd@tanphu.example.gov.vn", "ubnd@tanphu.example.gov.vn", "so@hcm.example.gov.vn"


def _state(records: list[Version], now: dt.datetime, approved: bool = False) -> tuple[Stage, bool, str]:
    state = deadline_state(records, SEND_AT, MUST_ARRIVE_BY, approved, now)
    return state.stage, state.late, state.word


def test_late_is_decided_by_arrival_not_by_when_anyone_looks() -> None:
    on_time = [Version(1, SEND_AT + dt.timedelta(minutes=3))]
    # Looked at long after the deadline (an approval pause, a later `status`): still on time.
    assert _state(on_time, MUST_ARRIVE_BY + dt.timedelta(days=30)) == (Stage.SENT, False, "đã gửi")
    late = [Version(1, MUST_ARRIVE_BY + dt.timedelta(minutes=1))]
    assert _state(late, MUST_ARRIVE_BY + dt.timedelta(minutes=2)) == (Stage.SENT, True, "đã gửi (TRỄ)")


def test_a_replacement_keeps_the_first_arrival_and_names_its_version() -> None:
    records = [Version(2, MUST_ARRIVE_BY + dt.timedelta(days=3)), Version(1, SEND_AT)]
    state = deadline_state(records, SEND_AT, MUST_ARRIVE_BY, True, MUST_ARRIVE_BY + dt.timedelta(days=4))
    assert (state.late, state.first_sent_at, state.latest_version) == (False, SEND_AT, 2)
    assert state.word == "đã gửi, bản thay thế v2"
    assert first_sent_at(records) == SEND_AT
    assert next_version(records) == 3


def test_nothing_to_replace_before_any_version_was_begun() -> None:
    assert next_version([]) is None
    assert next_version([Version(1, None)]) == 2  # begun, maybe sent: the next one is still version 2


def test_unsent_deadline_moves_from_not_due_to_due_to_overdue() -> None:
    before = SEND_AT - dt.timedelta(hours=1)
    assert _state([], before) == (Stage.NOT_DUE, False, "chưa đến hạn")
    assert _state([], before, approved=True) == (Stage.APPROVED, False, "đã phê duyệt, chờ gửi")
    assert _state([], SEND_AT) == (Stage.DUE, False, "đã đến giờ gửi, chưa gửi")
    assert _state([], MUST_ARRIVE_BY + dt.timedelta(seconds=1)) == (Stage.OVERDUE, True, "QUÁ HẠN, chưa gửi")
    assert _state([Version(1, None)], SEND_AT)[::2] == (Stage.SENDING, "đang gửi (chưa xác nhận)")


def test_the_district_counts_a_report_never_sent_as_not_on_time() -> None:
    assert arrived_late(None, MUST_ARRIVE_BY)
    assert not arrived_late(MUST_ARRIVE_BY, MUST_ARRIVE_BY)


def test_one_map_words_every_delivery_status() -> None:
    assert set(DELIVERY_WORDS) == {"sent", "already_sent", "recovered_from_pending", "resent_after_crash",
                                   "found_in_mailbox"}
    assert delivery_words("already_sent") == "đã gửi trước đó, không gửi lại"
    assert delivery_words("unknown") == "unknown"


def test_a_send_started_past_its_check_time_still_gives_the_principal_the_lead_time(plan: Plan) -> None:
    scheduled = schedule(plan, plan.deadlines[0])
    early = scheduled.send_at - dt.timedelta(days=1)
    assert approval_until(plan, scheduled, early) == check_at(plan, scheduled)
    late = check_at(plan, scheduled) + dt.timedelta(days=2)
    assert approval_until(plan, scheduled, late) == late + dt.timedelta(days=max(1, plan.delivery.approval_lead_days))


def test_a_rehearsal_an_hour_after_its_slot_but_before_the_deadline_is_a_rehearsal_not_late() -> None:
    from thidua.delivery_state import Timing, send_timing

    timing = send_timing(SEND_AT, MUST_ARRIVE_BY, SEND_AT + dt.timedelta(hours=1), rehearsal=True)
    assert (timing.timing, timing.late, timing.word) == (Timing.REHEARSAL, False, "chạy thử")


def test_a_send_after_the_deadline_is_late_on_a_simulated_clock_too() -> None:
    from thidua.delivery_state import Timing, send_timing

    for rehearsal in (True, False):
        timing = send_timing(SEND_AT, MUST_ARRIVE_BY, MUST_ARRIVE_BY + dt.timedelta(minutes=1), rehearsal)
        assert (timing.timing, timing.word) == (Timing.LATE, "TRỄ HẠN")


def test_a_real_send_past_its_slot_but_before_the_deadline_is_not_called_late() -> None:
    from thidua.delivery_state import Timing, send_timing

    assert send_timing(SEND_AT, MUST_ARRIVE_BY, SEND_AT + dt.timedelta(hours=3), False).timing is Timing.AFTER_SLOT
    assert send_timing(SEND_AT, MUST_ARRIVE_BY, SEND_AT, False).timing is Timing.ON_SCHEDULE


def test_a_version_is_done_only_once_sent_to_every_current_recipient() -> None:
    sent = Delivery(1, SEND_AT, (PGD, UBND))
    assert delivered_to_all(sent, (PGD, UBND))
    assert delivered_to_all(sent, (UBND.upper(),))  # addresses compared case-blind; one dropped from the plan is fine
    assert not delivered_to_all(None, (PGD,))
    assert not delivered_to_all(Delivery(1, None, (PGD, UBND)), (PGD, UBND))  # "maybe sent": the outbox decides


def test_a_refused_or_newly_added_recipient_is_not_reached_so_the_version_is_not_done() -> None:
    refused = Delivery(1, SEND_AT, (PGD,))  # the server refused UBND: recorded as sent to PGD only
    assert not_reached((PGD, UBND), refused.recipients) == (UBND,)
    assert not delivered_to_all(refused, (PGD, UBND))
    added = Delivery(1, SEND_AT, (PGD, UBND))  # the plan added SO after the send
    assert not_reached((PGD, UBND, SO), added.recipients) == (SO,)
    assert not delivered_to_all(added, (PGD, UBND, SO))
