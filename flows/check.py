"""The check run: a set time before a report must arrive, is it in the ledger as sent? If not, the run fails and
the clerk is alerted — this catches what no hook can, such as a worker killed mid-run or a send never started."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.common import alert_clerk_on_failure, load_plan, plan_now
from flows.ledger import open_ledger
from flows.settings import RunSettings
from thidua.calendar import schedule
from thidua.delivery_state import first_sent_at


class NotSentInTime(Exception):
    """The report has not gone out and its deadline is near; the message is for the clerk."""


@flow(name="thidua-check", flow_run_name="{deadline_id}-check", on_failure=[alert_clerk_on_failure])
def check_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None) -> str:
    """Fails (and so alerts the clerk) when the deadline's report is not in the ledger as sent."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    scheduled = schedule(plan, plan.deadline(deadline_id))
    sent_at = first_sent_at(open_ledger(settings).history(plan.id, deadline_id))
    if sent_at is None:
        raise NotSentInTime(
            f"Báo cáo {deadline_id} chưa được gửi, trong khi phải đến nơi nhận trước "
            f"{scheduled.must_arrive_by:%H:%M %d/%m/%Y} (bây giờ: {now:%H:%M %d/%m/%Y})."
        )
    return f"Báo cáo {deadline_id} đã gửi lúc {sent_at:%H:%M %d/%m/%Y}."
