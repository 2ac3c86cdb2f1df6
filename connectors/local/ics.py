"""The plan's runs as an iCalendar file, for the clerk's calendar app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import icalendar

from thidua.plan import Plan
from thidua.schedule import ScheduledRun


def runs_ics(plan: Plan, scheduled: Sequence[ScheduledRun]) -> bytes:
    """An RFC 5545 calendar (icalendar writes CRLF, folding and the VTIMEZONE), stable across re-exports."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//thidua//{plan.id}//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Thi đua – khen thưởng {plan.year} – {plan.school.name}")
    cal.add("x-wr-timezone", plan.timezone)
    stamp = dt.datetime.combine(plan.plan_document.date, dt.time(0, 0), dt.UTC)
    for run in scheduled:
        event = icalendar.Event()
        event.add("uid", f"{plan.id}-{run.name}@{plan.school.email_domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", run.at)
        event.add("dtend", run.at + dt.timedelta(minutes=30))
        event.add("summary", f"{run.label}: {run.deadline.deadline.title}")
        event.add("description", f"Báo cáo phải đến nơi nhận trước ngày {run.deadline.deadline.due_before:%d/%m/%Y}.")
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
