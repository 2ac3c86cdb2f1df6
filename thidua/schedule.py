"""Every run a plan needs, and when, in the school's time zone: reminders, the draft for approval, the send, the check.

Derived only from the plan's calendar (`thidua.calendar`) and its delivery settings, so moving a date in the plan
moves every run that depends on it. Which runs are late is decided against a clock the caller passes in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from thidua.calendar import ScheduledDeadline, calendar
from thidua.plan import Plan
from thidua.reminders import has_reminders


class RunKind(StrEnum):
    """The runs a deadline gets (reminders, draft, send, check), each a deployment of its own."""

    REMINDER = "reminder"
    DRAFT = "draft"
    SEND = "send"
    CHECK = "check"


RUN_KIND_WORDS = {
    RunKind.REMINDER: "nhắc nộp",
    RunKind.DRAFT: "dự thảo chờ phê duyệt",
    RunKind.SEND: "gửi báo cáo",
    RunKind.CHECK: "kiểm tra đã gửi",
}


@dataclass(frozen=True)
class ScheduledRun:
    """One run of one deadline; `days_before` is set for reminders only."""

    deadline: ScheduledDeadline
    kind: RunKind
    at: dt.datetime
    days_before: int | None = None

    @property
    def deadline_id(self) -> str:
        """The id of the deadline the run belongs to."""
        return self.deadline.id

    @property
    def name(self) -> str:
        """Stable within a plan: the deployment name's tail, so re-deploying a moved date updates, not adds."""
        suffix = f"-{self.days_before}d" if self.days_before is not None else ""
        return f"{self.deadline_id}-{self.kind.value}{suffix}"

    @property
    def label(self) -> str:
        """The run as the clerk reads it, in Vietnamese."""
        words = RUN_KIND_WORDS[self.kind]
        if self.days_before is not None:
            words += f" (trước {self.days_before} ngày)"
        return f"{self.deadline_id} – {words}"


def approval_due(plan: Plan, deadline: ScheduledDeadline) -> dt.datetime:
    """Past this moment without the principal's approval, the clerk is alerted."""
    return deadline.send_at - dt.timedelta(hours=plan.delivery.approval_alert_hours)


def check_at(plan: Plan, deadline: ScheduledDeadline) -> dt.datetime:
    """When the check run looks whether the report went out, leaving the clerk time to act."""
    return deadline.must_arrive_by - dt.timedelta(hours=plan.delivery.check_hours) + dt.timedelta(microseconds=1)


def approval_until(plan: Plan, deadline: ScheduledDeadline, now: dt.datetime) -> dt.datetime:
    """How long the send waits for the principal: until the check run, or, when the send starts already past it
    (deployed late), the usual lead time from now, so the principal still gets time to decide."""
    until = check_at(plan, deadline)
    if until <= now:
        until = now + dt.timedelta(days=max(1, plan.delivery.approval_lead_days))
    return until


def runs(plan: Plan) -> list[ScheduledRun]:
    """Every run of the plan, by time (ties keep deadline order, then reminder, draft, send, check)."""
    found: list[ScheduledRun] = []
    delivery = plan.delivery
    for item in calendar(plan):
        if has_reminders(item.deadline):
            found.extend(
                ScheduledRun(item, RunKind.REMINDER, item.send_at - dt.timedelta(days=days), days)
                for days in delivery.reminder_days
            )
        if delivery.approval_required:
            draft_at = item.send_at - dt.timedelta(days=delivery.approval_lead_days)
            found.append(ScheduledRun(item, RunKind.DRAFT, draft_at))
        found.append(ScheduledRun(item, RunKind.SEND, item.send_at))
        found.append(ScheduledRun(item, RunKind.CHECK, check_at(plan, item)))
    return sorted(found, key=lambda r: r.at)


def is_late(run: ScheduledRun, now: dt.datetime) -> bool:
    """Whether a run's time has already passed at `now`, so deploying late says so instead of scheduling in the past."""
    return run.at <= now
