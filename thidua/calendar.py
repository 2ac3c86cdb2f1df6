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
    deadline: Deadline
    send_at: dt.datetime
    must_arrive_by: dt.datetime

    @property
    def id(self) -> str:
        return self.deadline.id


@dataclass(frozen=True)
class PlanWarning:
    deadline_id: str
    message: str


def schedule(plan: Plan, deadline: Deadline) -> ScheduledDeadline:
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
    return (day.month - 1) // 3 + 1
