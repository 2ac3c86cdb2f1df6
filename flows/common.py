"""What every thidua flow shares: the plan, the backend, the ledger, and the clerk's alert when a run fails.

A run loads its plan once (`load_plan`) and hands it to every step, so a send resumed days after an approval
pause uses the plan that was approved, not whatever the file says then.

Alerting from the flow's own hooks (not a Prefect automation) keeps the alert on the school's own SMTP server and
allow-list, with no notification block to configure; a worker killed outright runs no hook, which is what the
scheduled check run (flows/check.py) is for.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State
from prefect.logging.loggers import flow_run_logger
from prefect.utilities.annotations import quote

from connectors.backends import open_backend
from connectors.google.auth import scrub_secrets
from connectors.ports import Backend, Mailer, OutputFullError
from flows.quota import prefect_throttle
from flows.settings import RunSettings
from thidua.notices import build_notice
from thidua.plan import Plan, decode_plan, parse_plan

T = TypeVar("T")


def as_is(value: T) -> T:
    """`value` handed to a task without Prefect walking through it. Prefect looks inside every task argument for
    futures and states to wait for, twice per call; a school's tables and records hold none (the steps run one
    after another) and cost 50–120 ms a call to walk, about 0.3 s a report (profiled)."""
    return cast(T, quote(value))


def unless_disk_full(task: Any, task_run: Any, state: State[Any]) -> bool:
    """A task's retry condition: a full disk is not retried (waiting two seconds makes no room), so the clerk
    hears at once which file could not be written."""
    return not isinstance(state.data, OutputFullError)


def load_plan(path: Path) -> Plan:
    """The plan file, read and checked: once per run, at its start."""
    return parse_plan(decode_plan(path.read_bytes(), str(path)), filename=str(path))


def backend(settings: RunSettings, plan: Plan) -> Backend:
    """The run's connectors, as the plan's `backend:` names them; one set per thread (httplib2, under
    googleapiclient, is not thread-safe)."""
    return _backend(settings, plan.model_dump_json(), threading.get_ident())


@lru_cache(maxsize=32)
def _backend(settings: RunSettings, plan_json: str, thread: int) -> Backend:
    throttle_for = prefect_throttle if settings.google_rate_limits else None
    return open_backend(Plan.model_validate_json(plan_json), settings, throttle_for)


def mailer(settings: RunSettings, plan: Plan) -> Mailer:
    """The backend's mailer."""
    return backend(settings, plan).mailer


def outbox_ids(settings: RunSettings, plan: Plan, message_id: str) -> set[str]:
    """Whether the mail system holds this message: how a resumed run tells "sent before the crash" from "never sent"."""
    return backend(settings, plan).outbox.sent_ids(message_id)


def plan_now(plan: Plan, now: dt.datetime | None) -> dt.datetime:
    """The run's clock: the one given (a rehearsal, the demo's 2024) or the real time in the school's zone."""
    return now if now is not None else dt.datetime.now(ZoneInfo(plan.timezone))


# A run's logger, or a crashed run's outside the run (a worker runs its hooks).
RunLogger = logging.Logger | logging.LoggerAdapter[Any]


def send_clerk_alert(settings: RunSettings, plan: Plan, subject: str, body: str, log: RunLogger) -> str:
    """An alert to the clerk only (the allow-list is the clerk's address), said in `log`; repeated alerts are
    harmless. Needs no run context: a worker runs a crashed run's hooks outside any run."""
    message = build_notice(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=[plan.clerk.email],
        allow_list=[plan.clerk.email], subject=f"[{plan.school.name}] {subject}", body=body,
        message_id=make_msgid("thidua.canhbao", domain=plan.school.email_domain),
        header_date=dt.datetime.now(ZoneInfo(plan.timezone)),
    )
    mailer(settings, plan).send(message)
    log.warning("Đã gửi cảnh báo cho thư ký: %s", subject)
    return str(message["Message-ID"])


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def email_clerk(settings: RunSettings, plan: Plan, subject: str, body: str) -> str:
    """The clerk's alert as a step of the run: retried, and said in the run's log."""
    return send_clerk_alert(settings, plan, subject, body, get_run_logger())


# Runs that already told the clerk precisely what went wrong (e.g. no approval), so the hook does not repeat it
# with Prefect's generic message.
ALREADY_ALERTED: set[UUID] = set()


def alert_clerk_on_failure(flow: Any, flow_run: FlowRun, state: State[Any]) -> None:
    """Flow hook (failed or crashed): tell the clerk which run stopped, why, and by when the report is due."""
    logger = flow_run_logger(flow_run, flow)
    if flow_run.id in ALREADY_ALERTED:
        return
    try:
        settings = RunSettings.model_validate(flow_run.parameters["settings"])
        deadline_id = str(flow_run.parameters.get("deadline_id", ""))
        plan = load_plan(settings.plan_path)
        due = plan.deadline(deadline_id).due_before if deadline_id else None
        body = (
            f"Kính gửi {plan.clerk.name},\n\n"
            f"Lượt chạy «{flow_run.name}» ({flow.name}) của hạn {deadline_id} đã dừng ở trạng thái "
            f"{state.name}: {scrub_secrets(state.message or 'không rõ nguyên nhân')}.\n"
            + (f"Báo cáo phải đến nơi nhận trước ngày {due:%d/%m/%Y}.\n" if due else "")
            + "Hãy mở Prefect UI để xem nhật ký, khắc phục rồi chạy lại.\n"
        )
        send_clerk_alert(settings, plan, f"Cảnh báo: hạn {deadline_id} – lượt chạy không hoàn thành", body, logger)
    except Exception as error:  # a hook must never hide the run's own failure
        logger.error("Không gửi được cảnh báo cho thư ký: %s", error)
