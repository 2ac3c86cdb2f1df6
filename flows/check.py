"""The check run: a set time before a report must arrive, is it in the ledger as sent? If not, the run fails and
the clerk is alerted — this catches what no hook can, such as a worker killed mid-run or a send never started."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from connectors.ports import DeliveryState
from flows.common import alert_clerk_on_failure, load_plan, open_ledger, plan_now
from flows.settings import RunSettings
from thidua.calendar import schedule


class NotSentInTime(Exception):
    """The report has not gone out and its deadline is near; the message is for the clerk."""


@flow(name="thidua-check", flow_run_name="{deadline_id}-check", on_failure=[alert_clerk_on_failure])
def check_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None) -> str:
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    scheduled = schedule(plan, plan.deadline(deadline_id))
    sent = [r for r in open_ledger(settings).all()
            if r.key.school_id == plan.id and r.key.deadline_id == deadline_id and r.state is DeliveryState.SENT]
    if not sent:
        raise NotSentInTime(
            f"Báo cáo {deadline_id} chưa được gửi, trong khi phải đến nơi nhận trước "
            f"{scheduled.must_arrive_by:%H:%M %d/%m/%Y} (bây giờ: {now:%H:%M %d/%m/%Y})."
        )
    first = min(sent, key=lambda r: r.key.version)
    return f"Báo cáo {deadline_id} đã gửi lúc {first.sent_at:%H:%M %d/%m/%Y}."
