"""A district on one Prefect server: every school's deadline side by side, and the roll-up for the district office.

Each school stays what it is alone — its own plan, data, reports and runs, tagged with its id so its clerk can
filter the UI to them — and the schools share only the delivery ledger (one database, keyed by school) and the
Google quotas (flows/quota.py). The roll-up reads the ledger, not the runs: it is right even when some schools
ran on other workers, were retried, or have not run at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.delivery import deliver_once
from connectors.ports import DeliveryKey
from flows.common import load_plan, mailer, outbox_ids, plan_now
from flows.deadline import DeadlineResult, deadline_flow
from flows.ledger import open_ledger
from flows.report import report_basename
from flows.settings import RunSettings
from thidua import mail
from thidua.calendar import schedule
from thidua.delivery_state import first_sent_at
from thidua.district import SchoolDelivery, district_rollup, rollup_text
from thidua.notices import build_notice
from thidua.plan import Plan, PlanError, decode_plan, parse_plan

SCHOOLS_DIR = "schools"
ROLLUP_ID = "tong-hop-quan"  # the roll-up's "school" in the ledger: one delivery per deadline, like a school's


class DistrictError(Exception):
    """A folder of plans that cannot be one district; the message is for the person deploying it."""


def load_plans(folder: Path) -> list[tuple[Path, Plan]]:
    """Every plan (*.yaml) in `folder`, by file name; refuses the folder whole if any plan is wrong or two
    schools share an id, since their deliveries would then share ledger rows."""
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise DistrictError(f"Thư mục {folder} không có tệp kế hoạch nào (*.yaml).")
    plans: list[tuple[Path, Plan]] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            plan = parse_plan(decode_plan(path.read_bytes(), str(path)), filename=str(path))
        except PlanError as error:
            problems.extend(error.problems)
            continue
        if plan.id in seen:
            problems.append(f"{path}: mã kế hoạch «{plan.id}» trùng với {seen[plan.id]}")
        seen[plan.id] = path
        plans.append((path, plan))
    if problems:
        raise DistrictError("\n".join(problems))
    return plans


def school_settings(base: RunSettings, plan_path: Path, plan: Plan, root: Path, data_root: Path | None = None
                    ) -> RunSettings:
    """One school's folders under the district's root; the ledger is the district's, shared by every school."""
    out = root / SCHOOLS_DIR / plan.id
    return base.model_copy(update={
        "plan_path": plan_path.resolve(),
        "out_dir": out,
        "data_dir": (data_root / plan.id) if data_root is not None else out / "data",
        "ledger_url": base.ledger_url or f"sqlite:///{root / 'deliveries.sqlite'}",
        "outbox_dir": base.mail_dir,
    })


@dataclass(frozen=True)
class SchoolOutcome:
    """One school's run of one deadline: its result, or what stopped it (the other schools go on)."""

    school_id: str
    deadline_id: str
    result: DeadlineResult | None
    error: str = ""


@dataclass(frozen=True)
class DistrictDeadline:
    """Every school's outcome for one deadline, and the district's roll-up of them."""

    outcomes: list[SchoolOutcome]
    rollup: dict[str, Any]


@task(name="thidua-school-deadline", task_run_name="{deadline_id}-{school_id}", cache_policy=NO_CACHE)
def school_deadline(settings: RunSettings, school_id: str, deadline_id: str, now: dt.datetime | None,
                    auto_approve: bool) -> SchoolOutcome:
    """The school's own deadline run, tagged with the school so its clerk finds it in the UI."""
    with tags(school_id):
        try:
            result = deadline_flow.with_options(flow_run_name=f"{school_id}-{deadline_id}")(
                settings, deadline_id, now, auto_approve=auto_approve)
        except Exception as error:  # one school's failure is its clerk's alert, not the district's stop
            return SchoolOutcome(school_id, deadline_id, None, f"{type(error).__name__}: {error}")
    return SchoolOutcome(school_id, deadline_id, result)


@flow(name="thidua-district-deadline", flow_run_name="{deadline_id}-toan-quan",
      task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
def district_deadline_flow(schools: Sequence[RunSettings], deadline_id: str, now: dt.datetime | None = None,
                           auto_approve: bool = False, rollup_to: str = "") -> DistrictDeadline:
    """Every school's run of one deadline, side by side (as many as the task runner's threads: by default two,
    one per core of a small server; `.with_options(task_runner=…)` for more), then the district's roll-up."""
    plans = [load_plan(s.plan_path) for s in schools]
    futures = [school_deadline.submit(s, p.id, deadline_id, now, auto_approve) for s, p in zip(schools, plans,
                                                                                                 strict=True)]
    outcomes = [future.result() for future in futures]
    for outcome in outcomes:
        if outcome.error:
            get_run_logger().error("Trường %s, hạn %s: %s", outcome.school_id, deadline_id, outcome.error)
    return DistrictDeadline(outcomes, rollup_flow(schools, deadline_id, now, rollup_to))


def school_deliveries(schools: Sequence[RunSettings], plans: Sequence[Plan], deadline_id: str
                      ) -> list[SchoolDelivery]:
    """What the district knows of each school's report, from the ledger(s) and the report's own counts."""
    ledgers = {s.ledger_database: open_ledger(s) for s in schools}  # usually one, shared by the district
    sent = {plan.id: first_sent_at(ledgers[settings.ledger_database].history(plan.id, deadline_id))
            for settings, plan in zip(schools, plans, strict=True)}
    deliveries = []
    for settings, plan in zip(schools, plans, strict=True):
        deadline = plan.deadline(deadline_id)
        context = settings.contexts_dir / f"{report_basename(plan, deadline)}.json"
        titles: dict[str, int] = {}
        if sent[plan.id] is not None and context.is_file():
            titles = json.loads(context.read_text(encoding="utf-8")).get("title_counts", {})
        deliveries.append(SchoolDelivery(plan.id, plan.school.name, deadline_id,
                                         schedule(plan, deadline).must_arrive_by, sent[plan.id], titles))
    return deliveries


@flow(name="thidua-district-rollup", flow_run_name="{deadline_id}-tong-hop")
def rollup_flow(schools: Sequence[RunSettings], deadline_id: str, now: dt.datetime | None = None,
                rollup_to: str = "") -> dict[str, Any]:
    """The one-page summary for the district office, as an artifact; emailed once to `rollup_to` (a recipient id
    of the plans) when given."""
    plans = [load_plan(s.plan_path) for s in schools]
    base = plans[0]
    rollup = district_rollup(base, deadline_id, school_deliveries(schools, plans, deadline_id))
    key = f"{ROLLUP_ID}-{deadline_id}".lower()
    create_table_artifact(key=key, table={"columns": rollup["table"]["headers"], "data": rollup["table"]["rows"]},
                          description=rollup["table"]["caption"])
    subject, body = rollup_text(rollup, "Phòng Giáo dục và Đào tạo")
    create_markdown_artifact(key=f"{key}-tom-tat", markdown=f"## {subject}\n\n```\n{body}```\n",
                             description=f"Tổng hợp toàn quận, hạn {deadline_id}")
    if rollup_to:
        rollup["email"] = send_rollup(schools[0], base, deadline_id, rollup, rollup_to, plan_now(base, now))
    return rollup


@task(retries=3, retry_delay_seconds=2, cache_policy=NO_CACHE)
def send_rollup(settings: RunSettings, plan: Plan, deadline_id: str, rollup: dict[str, Any], recipient_id: str,
                now: dt.datetime) -> str:
    """Once per deadline, through the same ledger and Message-ID lookup as the schools' reports."""
    recipient = next((r for r in plan.recipients if r.id == recipient_id), None)
    if recipient is None:
        raise DistrictError(f"Không có nơi nhận «{recipient_id}» trong kế hoạch: "
                            f"{', '.join(r.id for r in plan.recipients)}")
    subject, body = rollup_text(rollup, recipient.name)
    domain = recipient.email.rsplit("@", 1)[1]
    message_id = mail.report_message_id(ROLLUP_ID, deadline_id, 1, domain)
    message = build_notice(sender=f"thidua@{domain}", sender_name="Hệ thống thidua", recipients=[recipient.email],
                           allow_list=plan.allow_list, subject=subject, body=body, message_id=message_id,
                           header_date=now)
    outcome = deliver_once(open_ledger(settings), mailer(settings, plan), message,
                           DeliveryKey(ROLLUP_ID, deadline_id, 1),
                           sent_ids=lambda: outbox_ids(settings, plan, message_id), now=lambda: now)
    return outcome.status.value


def district_schools(folder: Path, base: RunSettings, root: Path, data_root: Path | None = None
                     ) -> list[RunSettings]:
    """Each plan of the folder with its school's settings under the district's root."""
    return [school_settings(base, path, plan, root, data_root) for path, plan in load_plans(folder)]
