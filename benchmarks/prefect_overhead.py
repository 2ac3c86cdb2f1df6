"""What Prefect costs: the same deadline as a flow on the ephemeral server and as a bare function call.

The bare call chains the tasks' own functions (`.fn`: read, validate, compose, render, send) with no Prefect
at all; the flow adds its run, task runs, artifacts and the approval record. Same data, same run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.local.files import write_sample
from connectors.local.smtp_server import LoopbackSmtpServer
from flows.deadline import deadline_flow
from flows.delivery import send_report
from flows.report import compose_report, read_sources, render_report, report_basename, validate_rows
from flows.settings import DEFAULT_PLAN, RunSettings
from thidua.calendar import schedule
from thidua.pipeline import source_ids_for
from thidua.plan import parse_plan


def bare_deadline(settings: RunSettings, deadline_id: str, when: Any, auto_approve: bool) -> None:
    plan = parse_plan(settings.plan_path.read_text(encoding="utf-8"))
    deadline = plan.deadline(deadline_id)
    tables = read_sources.fn(settings, plan, source_ids_for(plan, deadline.kind))
    collected = validate_rows.fn(plan, tables, when)
    context = compose_report.fn(settings, plan, deadline_id, collected, when.date(), None)
    docx, pdf = render_report.fn(settings, plan, deadline.template, context, report_basename(plan, deadline))
    send_report.fn(settings, plan, deadline_id, pdf or docx, when)


def run(deadline_id: str = "D2", repeats: int = 3) -> list[dict[str, Any]]:
    """Median of `repeats` runs each way, alternating, after one warm-up flow (ephemeral server, LibreOffice,
    imports) so that neither side pays a start-up the other does not."""
    plan = parse_plan(DEFAULT_PLAN.read_text(encoding="utf-8"))
    when = schedule(plan, plan.deadline(deadline_id)).send_at
    runners: dict[str, Callable[..., Any]] = {"bare functions": bare_deadline, "prefect flow": deadline_flow}
    seconds: dict[str, list[float]] = {label: [] for label in runners}
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(repeats + 1):
            for label, runner in runners.items():
                out = Path(folder) / f"{label.replace(' ', '-')}-{attempt}"
                write_sample(plan, out / "data")
                (out / "mail").mkdir(parents=True)
                with LoopbackSmtpServer(out / "mail") as smtp:
                    settings = RunSettings(plan_path=DEFAULT_PLAN, data_dir=out / "data", out_dir=out,
                                           smtp_port=smtp.port)
                    start = time.perf_counter()
                    runner(settings, deadline_id, when, auto_approve=True)
                    if attempt:  # the first round is the warm-up
                        seconds[label].append(time.perf_counter() - start)
    rows: list[dict[str, Any]] = [{"benchmark": f"deadline {deadline_id} as {label}, median of {repeats}",
                                   "seconds": statistics.median(times)} for label, times in seconds.items()]
    rows[1]["ratio_to_baseline"] = rows[1]["seconds"] / rows[0]["seconds"]
    return rows
