"""`thidua demo --schools N`: a district of N schools, every deadline of the year, one mail server, one ledger.

The schools are variants of the seed plan (thidua.district.school_variants), written as plan files in OUT/plans
exactly as a district would keep them, so the same folder can be handed to `thidua deploy`.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from prefect.task_runners import ThreadPoolTaskRunner
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.local.files import write_sample
from flows.common import load_plan
from flows.district import DistrictError, SchoolOutcome, district_deadline_flow, district_schools
from flows.settings import RunSettings
from sample_data.generator import staff_counts
from thidua.calendar import calendar
from thidua.district import school_variants
from thidua.plan import Plan
from thidua_cli.console import console
from thidua_cli.google_demo import write_plan
from thidua_cli.summary import say_not_rebuilt, summary_row, write_built_rejects

PLANS_DIR = "plans"


@dataclass
class DistrictRun:
    """A district's year: its schools' settings, every school-deadline outcome, each deadline's roll-up."""

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


def district_demo(plan: Plan, out: Path, stack: ExitStack, seed: int, staff: int, schools: int,
                  rollup_to: str, backend: str) -> None:
    """`thidua demo --schools N`: the district's year, its summary.json, rollup.json and each school's rejects."""
    from connectors.local.smtp_server import LoopbackSmtpServer
    from thidua_cli.google_demo import google_district

    if rollup_to and rollup_to not in {r.id for r in plan.recipients}:
        console.print(f"[bold red]--rollup-to «{rollup_to}» không có trong danh sách nơi nhận của kế hoạch:[/] "
                      f"{', '.join(r.id for r in plan.recipients)}", highlight=False)
        raise typer.Exit(code=2)
    try:
        if backend == "google":
            plans = school_variants(plan, schools, seed)
            workspace = stack.enter_context(google_district(plans, staff_counts(plans, staff, seed), out, seed))
            settings = workspace.schools
            console.print(f"Google Workspace giả lập tại {workspace.emulator.base_url}: {schools} trường, "
                          f"{len(workspace.created)} mục đã khởi tạo.", highlight=False)
        else:
            (out / "mail").mkdir(parents=True, exist_ok=True)
            smtp = stack.enter_context(LoopbackSmtpServer(out / "mail"))
            settings = local_district(plan, out, smtp.port, schools, seed, staff)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            run = run_district(settings, rollup_to, progress)
    except DistrictError as error:
        console.print(f"[bold red]{error}[/]", highlight=False)
        raise typer.Exit(code=2) from None
    summary = district_summary_rows(run, summary_row)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "rollup.json").write_text(json.dumps(run.rollups, ensure_ascii=False, indent=2), encoding="utf-8")
    skipped = []
    for school in run.schools:
        skipped += write_built_rejects(school.out_dir / "rejects.csv", [
            o.result for o in run.outcomes if o.result is not None and o.school_id == school.out_dir.name])
    say_not_rebuilt(skipped, rejects_kept=len(skipped) == sum(1 for o in run.outcomes if o.result is not None))
    _print_district(run, schools)


def _print_district(run: DistrictRun, schools: int) -> None:
    """Per deadline: schools, delivered, on time, failed; then each failure."""
    table = Table(title=f"Toàn quận: {schools} trường × {len(run.rollups)} hạn báo cáo")
    for column in ("Hạn", "Số trường", "Đã gửi", "Đúng hạn", "Lỗi"):
        table.add_column(column)
    for deadline_id, rollup in run.rollups.items():
        failed = sum(1 for o in run.outcomes if o.deadline_id == deadline_id and o.error)
        table.add_row(deadline_id, str(rollup["schools"]), str(rollup["delivered"]), str(rollup["on_time"]),
                      str(failed))
    console.print(table)
    failures = [o for o in run.outcomes if o.error]
    for outcome in failures:
        console.print(f"[bold red]Lỗi[/] {outcome.school_id} {outcome.deadline_id}: {outcome.error}", highlight=False)
    if failures:
        raise typer.Exit(code=1)
