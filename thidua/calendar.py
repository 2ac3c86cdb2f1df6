"""When each report must arrive and when thidua sends it, in the school's time zone.

"Before 15/03" means the report must arrive by the end of 14/03 in Asia/Ho_Chi_Minh; the send day is
`margin_days` earlier still, at the plan's send time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from thidua.plan import Deadline, Plan


@dataclass(frozen=True)
class ScheduledDeadline:
    """A deadline placed on the clock: when its report is sent and the last instant it may arrive, in the plan's time
    zone."""

    deadline: Deadline
    send_at: dt.datetime
    must_arrive_by: dt.datetime

    @property
    def id(self) -> str:
        """The deadline's id, so a scheduled deadline can stand where a deadline is looked up."""
        return self.deadline.id


@dataclass(frozen=True)
class PlanWarning:
    """Something about a deadline's dates the clerk should see (e.g. a send day already past) that does not stop the
    plan."""

    deadline_id: str
    message: str


def schedule(plan: Plan, deadline: Deadline) -> ScheduledDeadline:
    """When a deadline's report goes out and the last instant it counts as on time ("before" the due date, so the day
    before at 23:59:59.999999), computed once here so no caller re-derives it."""
    zone = ZoneInfo(plan.timezone)
    must_arrive_by = dt.datetime.combine(deadline.due_before, dt.time(0, 0), zone) - dt.timedelta(microseconds=1)
    send_day = deadline.due_before - dt.timedelta(days=1 + plan.delivery.margin_days)
    send_at = dt.datetime.combine(send_day, plan.delivery.send_time, zone)
    return ScheduledDeadline(deadline=deadline, send_at=send_at, must_arrive_by=must_arrive_by)


def calendar(plan: Plan) -> list[ScheduledDeadline]:
    """Every deadline in the order it must be sent (ties keep the plan's order)."""
    return sorted((schedule(plan, d) for d in plan.deadlines), key=lambda s: s.send_at)


def warnings(plan: Plan) -> list[PlanWarning]:
    """What a careful clerk would notice: deadlines before the plan itself, or outside their phase."""
    found: list[PlanWarning] = []
    for deadline in plan.deadlines:
        if deadline.due_before <= plan.plan_document.date:
            found.append(
                PlanWarning(
                    deadline.id,
                    f"Hạn {deadline.id} «{deadline.title}» là trước ngày {deadline.due_before:%d/%m/%Y}, "
                    f"sớm hơn ngày ban hành kế hoạch {plan.plan_document.date:%d/%m/%Y}: "
                    "báo cáo này sẽ bị trễ nếu chưa gửi.",
                )
            )
        if deadline.phase:
            phase = plan.phase(deadline.phase)
            last_day = deadline.due_before - dt.timedelta(days=1)
            if not phase.contains(last_day):
                found.append(
                    PlanWarning(
                        deadline.id,
                        f"Hạn {deadline.id} ({deadline.due_before:%d/%m/%Y}) nằm ngoài {phase.name} "
                        f"({phase.start:%d/%m/%Y} – {phase.end:%d/%m/%Y}).",
                    )
                )
    return found


def quarter_of(day: dt.date) -> int:
    """The calendar quarter (1-4) a day falls in, the unit of the exemplar reports."""
    return (day.month - 1) // 3 + 1
