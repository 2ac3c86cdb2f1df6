"""The reminder run: who has not answered the deadline's form gets one email, each team head the team's list.

Each reminder is a delivery in the ledger keyed by person and reminder, so a re-run reminds nobody twice.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from connectors.delivery import deliver_once
from connectors.ports import DeliveryKey
from flows.common import alert_clerk_on_failure, as_is, load_plan, mailer, outbox_ids, plan_now
from flows.ledger import open_ledger
from flows.report import collect_sources
from flows.settings import RunSettings
from thidua.delivery_state import delivery_words
from thidua.pipeline import Collected
from thidua.plan import Plan
from thidua.reminders import missing, reminder_emails


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def send_reminders(settings: RunSettings, plan: Plan, deadline_id: str, days_before: int, now: dt.datetime,
                   collected: Collected) -> list[tuple[str, str]]:
    """Sends each reminder once; returns (recipient, delivery status) pairs."""
    deadline = plan.deadline(deadline_id)
    emails = reminder_emails(plan, deadline, missing(plan, deadline, collected.dataset), collected.dataset,
                             days_before=days_before, form_names={s.kind: s.name for s in plan.sources}, now=now)
    ledger, smtp = open_ledger(settings), mailer(settings, plan)
    done = []
    for reminder in emails:
        message, to = reminder.message, str(reminder.message["To"])
        key = DeliveryKey(plan.id, reminder.tag, 1)
        outcome = deliver_once(ledger, smtp, message, key,
                               sent_ids=partial(outbox_ids, settings, plan, str(message["Message-ID"])),
                               now=lambda: dt.datetime.now(dt.UTC))
        done.append((to, outcome.status.value))
    return done


@flow(name="thidua-reminders", flow_run_name="{deadline_id}-reminder-{days_before}d",
      on_failure=[alert_clerk_on_failure], on_crashed=[alert_clerk_on_failure])
def reminders_flow(settings: RunSettings, deadline_id: str, days_before: int,
                   now: dt.datetime | None = None) -> list[tuple[str, str]]:
    """Reads the roster and the deadline's forms as of `now` and reminds exactly those who have not answered."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    collected = collect_sources(settings, plan, deadline_id, now)
    found = missing(plan, plan.deadline(deadline_id), collected.dataset)
    sent = send_reminders(settings, plan, deadline_id, days_before, now, as_is(collected))
    create_table_artifact(
        key=f"{plan.id}-{deadline_id}-nhac-{days_before}".lower(),
        table=[{"Người nhận": to, "Kết quả": delivery_words(status)} for to, status in sent],
        description=f"Nhắc nộp cho hạn {deadline_id}, trước {days_before} ngày: {found.count} chưa nộp",
    )
    get_run_logger().info("Hạn %s: nhắc %d người chưa nộp; %d thư.", deadline_id, len(found.people), len(sent))
    return sent
