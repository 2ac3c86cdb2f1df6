"""Registers a plan's runs as Prefect deployments, one per deadline and kind of run, scheduled in the school's zone.

Through the API rather than `prefect deploy` from prefect.yaml, because one call can do what the file cannot: drop
the deployments of runs no longer in the plan (no stale schedule survives a changed date; upserting a deployment
already replaces its schedules and its future auto-scheduled runs) and start a late send at once, marked late.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
import sys
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate, WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterTags
from prefect.client.schemas.schedules import RRuleSchedule
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.utilities.callables import parameter_schema

from flows.check import check_flow
from flows.common import load_plan
from flows.deadline import deadline_flow, draft_flow
from flows.district import ROLLUP_ID, rollup_flow
from flows.ledger import open_ledger
from flows.reminders import reminders_flow
from flows.settings import REPO_ROOT, RunSettings
from thidua.calendar import calendar
from thidua.delivery_state import first_sent_at, send_timing
from thidua.plan import Plan
from thidua.schedule import RunKind, ScheduledRun, is_late, runs

FLOWS: dict[RunKind, tuple[Any, str]] = {
    RunKind.REMINDER: (reminders_flow, "flows/reminders.py:reminders_flow"),
    RunKind.DRAFT: (draft_flow, "flows/deadline.py:draft_flow"),
    RunKind.SEND: (deadline_flow, "flows/deadline.py:deadline_flow"),
    RunKind.CHECK: (check_flow, "flows/check.py:check_flow"),
}
LATE_TAG = "trễ hạn"
# Without a command, a process worker starts each flow run as Prefect's workspace supervisor, a Python that imports
# Prefect only to run the pull step and then exec the engine, which imports it again: 3.6 s more CPU a run (a
# deadline's flow run took 11.1 s of CPU with it, 7.5 s without, measured on this repo's process worker). Named, the
# engine is started at once and runs the pull step itself as it loads the flow. The interpreter is the deploying
# one, as the pull step's folder is the deploying checkout: a worker host runs the same installation.
ENGINE_JOB_VARIABLES = {"command": shlex.join([sys.executable, "-m", "prefect.engine"])}
# Where every deployment runs: in the deploying checkout, which a worker host has at the same path.
PULL_STEPS = [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}]


@dataclass(frozen=True)
class DeployedRun:
    """One run's deployment: scheduled, or (past its time) started at once or skipped, with why."""

    run: ScheduledRun
    deployment: str
    scheduled: bool
    started_late: UUID | None = None
    note: str = ""
    # Started at once and arriving after the deadline (a send merely past its slot is started at once, not late).
    late: bool = False


def deployment_name(plan: Plan, run: ScheduledRun) -> str:
    """Stable per plan and run, so a re-deploy updates the deployment rather than adding one."""
    return f"{plan.id}-{run.name}"


def one_off_schedule(at: dt.datetime, timezone: str) -> RRuleSchedule:
    """Exactly one occurrence at this local wall-clock time (a cron would come back every year)."""
    return RRuleSchedule(rrule=f"DTSTART:{at:%Y%m%dT%H%M%S}\nRRULE:FREQ=DAILY;COUNT=1", timezone=timezone)


async def ensure_work_pool(client: PrefectClient, work_pool: str) -> None:
    """Creates the (process) work pool unless it exists."""
    try:
        await client.read_work_pool(work_pool)
    except ObjectNotFound:
        with contextlib.suppress(ObjectAlreadyExists):  # another school's deploy, at the same moment
            await client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))


async def deploy_plan(plan: Plan, settings: RunSettings, work_pool: str, now: dt.datetime,
                      rehearsal: bool) -> tuple[list[DeployedRun], list[str]]:
    """Upserts every run's deployment, starts late sends not yet delivered, and deletes stale deployments.

    `rehearsal`: `now` is a simulated clock, which late runs then read the sheets at (as the demo does).
    """
    ledger = open_ledger(settings)
    sent = {d.id for d in plan.deadlines if first_sent_at(ledger.history(plan.id, d.id)) is not None}
    deployed: list[DeployedRun] = []
    # Per flow, not per run: a plan has about 40 runs of 3 flows, and a flow's parameter schema takes ~20 ms to build.
    registered: dict[str, tuple[UUID, dict[str, Any]]] = {}
    async with get_client() as client:
        await ensure_work_pool(client, work_pool)
        for run in runs(plan):
            flow_object, entrypoint = FLOWS[run.kind]
            if flow_object.name not in registered:
                registered[flow_object.name] = (await client.create_flow_from_name(flow_object.name),
                                                parameter_schema(flow_object.fn).model_dump_for_openapi())
            flow_id, schema = registered[flow_object.name]
            parameters: dict[str, Any] = {"settings": settings.model_dump(mode="json"), "deadline_id": run.deadline_id}
            if run.days_before is not None:
                parameters["days_before"] = run.days_before
            late = is_late(run, now)
            # Past its slot is not late: only a report arriving after its deadline is (thidua.delivery_state).
            timing = send_timing(run.at, run.deadline.must_arrive_by, now, rehearsal)
            name = deployment_name(plan, run)
            deployment_id = await client.create_deployment(
                flow_id=flow_id, name=name, entrypoint=entrypoint,
                path=str(REPO_ROOT), work_pool_name=work_pool, parameters=parameters,
                parameter_openapi_schema=schema,
                schedules=[] if late else [DeploymentScheduleCreate(schedule=one_off_schedule(run.at, plan.timezone))],
                tags=["thidua", plan.id, run.kind.value, *([LATE_TAG if timing.late else timing.word] if late else [])],
                description=f"{run.label}: {run.at:%H:%M %d/%m/%Y} ({plan.timezone})",
                pull_steps=PULL_STEPS,
                job_variables=ENGINE_JOB_VARIABLES, enforce_parameter_schema=False,
            )
            if not late:
                deployed.append(DeployedRun(run, name, scheduled=True))
            elif run.kind is RunKind.SEND and run.deadline_id not in sent:
                overrides = {"late": timing.late, **({"now": now.isoformat()} if rehearsal else {})}
                flow_run = await client.create_flow_run_from_deployment(
                    deployment_id, parameters=overrides, tags=[LATE_TAG if timing.late else timing.word],
                    name=f"{run.deadline_id}-send-{'tre-han' if timing.late else 'ngay'}")
                note = "đã quá giờ gửi: chạy ngay, đánh dấu trễ hạn" if timing.late else \
                    f"đã qua giờ gửi theo lịch nhưng còn trước hạn: chạy ngay ({timing.word})"
                deployed.append(DeployedRun(run, name, scheduled=False, started_late=flow_run.id, note=note,
                                            late=timing.late))
            elif run.kind is RunKind.SEND:
                deployed.append(DeployedRun(run, name, scheduled=False, note="đã quá giờ gửi; báo cáo đã gửi trước đó"))
            else:
                deployed.append(DeployedRun(run, name, scheduled=False, note="đã qua, bỏ qua"))
        wanted = {d.deployment for d in deployed}
        stale = [d for d in await client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["thidua", plan.id])))
            if d.name not in wanted]
        for deployment in stale:
            await client.delete_deployment(deployment.id)
    return deployed, sorted(d.name for d in stale)


async def deploy_rollups(schools: list[RunSettings], work_pool: str, now: dt.datetime, rollup_to: str
                         ) -> list[tuple[str, dt.datetime, bool]]:
    """One roll-up per deadline for the district office, at the hour the reports must have arrived: by then the
    ledger says who delivered on time. Returns (deployment, time, scheduled) per deadline; past ones are skipped."""
    base = load_plan(schools[0].plan_path)
    parameters: dict[str, Any] = {"schools": [s.model_dump(mode="json") for s in schools], "rollup_to": rollup_to}
    done = []
    async with get_client() as client:
        await ensure_work_pool(client, work_pool)
        flow_id = await client.create_flow_from_name(rollup_flow.name)
        for item in calendar(base):
            name, at = f"{ROLLUP_ID}-{item.id}", item.must_arrive_by
            late = at <= now
            await client.create_deployment(
                flow_id=flow_id, name=name, entrypoint="flows/district.py:rollup_flow", path=str(REPO_ROOT),
                work_pool_name=work_pool, parameters=parameters | {"deadline_id": item.id},
                parameter_openapi_schema=parameter_schema(rollup_flow.fn).model_dump_for_openapi(),
                schedules=[] if late else [DeploymentScheduleCreate(schedule=one_off_schedule(at, base.timezone))],
                tags=["thidua", ROLLUP_ID], description=f"Tổng hợp toàn quận hạn {item.id}: {at:%H:%M %d/%m/%Y}",
                pull_steps=PULL_STEPS,
                job_variables=ENGINE_JOB_VARIABLES, enforce_parameter_schema=False,
            )
            done.append((name, at, not late))
    return done
