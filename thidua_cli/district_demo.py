"""`thidua demo --schools N`: a district of N schools, every deadline of the year, one mail server, one ledger.

The schools are variants of the seed plan (thidua.district.school_variants), written as plan files in OUT/plans
exactly as a district would keep them, so the same folder can be handed to `thidua deploy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect.task_runners import ThreadPoolTaskRunner

from connectors.local.files import write_sample
from flows.common import load_plan
from flows.district import SchoolOutcome, district_deadline_flow, district_schools
from flows.settings import RunSettings
from thidua.calendar import calendar
from thidua.district import school_variants, staff_counts
from thidua.plan import Plan
from thidua_cli.google_demo import write_plan

PLANS_DIR = "plans"


@dataclass
class DistrictRun:
    schools: list[RunSettings]
    outcomes: list[SchoolOutcome] = field(default_factory=list)
    rollups: dict[str, dict[str, Any]] = field(default_factory=dict)


def write_district(base: Plan, out: Path, schools: int, seed: int, staff: int) -> Path:
    """The district's plan folder and each school's sample answers; returns the plan folder."""
    plans_dir = out / PLANS_DIR
    plans_dir.mkdir(parents=True, exist_ok=True)
    plans = school_variants(base, schools, seed)
    for plan, people in zip(plans, staff_counts(plans, staff, seed), strict=True):
        write_plan(plan, plans_dir / f"{plan.id}.yaml")
        write_sample(plan, out / "schools" / plan.id / "data", seed=seed, staff=people)
    return plans_dir


def local_district(base: Plan, out: Path, smtp_port: int, schools: int, seed: int, staff: int) -> list[RunSettings]:
    """The district on files and one loopback mail server: each school's settings, from its plan file."""
    plans_dir = write_district(base, out, schools, seed, staff)
    settings = RunSettings(plan_path=plans_dir, data_dir=out / "data", out_dir=out, smtp_port=smtp_port)
    return district_schools(plans_dir, settings, out)


def run_district(schools: list[RunSettings], rollup_to: str, progress: Any | None = None, parallel: int = 2
                 ) -> DistrictRun:
    """Every deadline in calendar order; within one, `parallel` schools side by side (flows.district)."""
    run = DistrictRun(schools)
    flow = district_deadline_flow.with_options(task_runner=ThreadPoolTaskRunner(max_workers=parallel))  # type: ignore[arg-type]
    schedule = calendar(load_plan(schools[0].plan_path))
    bar = progress.add_task("Khởi động Prefect…", total=len(schedule) * len(schools)) if progress else None
    for item in schedule:
        if progress:
            progress.update(bar, description=f"{item.id} — {len(schools)} trường")
        done = flow(schools, item.id, item.send_at, auto_approve=True, rollup_to=rollup_to)
        run.outcomes.extend(done.outcomes)
        run.rollups[item.id] = done.rollup
        if progress:
            progress.advance(bar, len(done.outcomes))
    return run


def district_summary_rows(run: DistrictRun, row: Any) -> list[dict[str, Any]]:
    """summary.json's rows: one per school and deadline, in calendar order, school by school."""
    by_school = {s.out_dir.name: s for s in run.schools}
    rows = []
    for outcome in run.outcomes:
        base = {"school": outcome.school_id, "id": outcome.deadline_id}
        if outcome.result is None:
            rows.append(base | {"delivery": "failed", "error": outcome.error})
        else:
            rows.append(base | row(by_school[outcome.school_id].out_dir, outcome.result))
    return rows
