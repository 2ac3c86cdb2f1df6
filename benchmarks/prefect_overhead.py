"""What Prefect costs: the same deadline as a flow on the ephemeral server and as a bare function call.

The bare call chains the tasks' own functions (`.fn`: read, validate, compose, render, send) with no Prefect
at all; the flow adds subflows, task runs, artifacts and the approval record. Same data, same run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.local.files import write_sample
from connectors.local.smtp_server import LoopbackSmtpServer
from flows.deadline import deadline_flow
from flows.delivery import send_report
from flows.report import compose_report, read_source, render_report, report_basename, validate_rows
from flows.settings import DEFAULT_PLAN, RunSettings
from thidua.calendar import schedule
from thidua.pipeline import source_ids_for
from thidua.plan import parse_plan


def bare_deadline(settings: RunSettings, deadline_id: str, when: Any, auto_approve: bool) -> None:
    plan = parse_plan(settings.plan_path.read_text(encoding="utf-8"))
    deadline = plan.deadline(deadline_id)
    tables = {sid: read_source.fn(settings, plan, sid) for sid in source_ids_for(plan, deadline.kind)}
    collected = validate_rows.fn(plan, tables, when)
    context = compose_report.fn(settings, plan, deadline_id, collected, when.date(), None)
    docx, pdf = render_report.fn(settings, plan, deadline.template, context, report_basename(plan, deadline))
    send_report.fn(settings, plan, deadline_id, pdf or docx, when)


def run(deadline_id: str = "D2") -> list[dict[str, Any]]:
    plan = parse_plan(DEFAULT_PLAN.read_text(encoding="utf-8"))
    when = schedule(plan, plan.deadline(deadline_id)).send_at
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, runner in (("bare functions", bare_deadline), ("prefect flow", deadline_flow)):
            out = Path(folder) / label.replace(" ", "-")
            write_sample(plan, out / "data")
            (out / "mail").mkdir(parents=True)
            with LoopbackSmtpServer(out / "mail") as smtp:
                settings = RunSettings(plan_path=DEFAULT_PLAN, data_dir=out / "data", out_dir=out,
                                       smtp_port=smtp.port)
                if label == "prefect flow":
                    deadline_flow(settings, "D1", schedule(plan, plan.deadline("D1")).send_at,
                                  auto_approve=True)  # start the ephemeral server outside the timing
                start = time.perf_counter()
                runner(settings, deadline_id, when, auto_approve=True)
                rows.append({"benchmark": f"deadline {deadline_id} as {label}", "seconds": time.perf_counter() - start})
    rows[1]["ratio_to_baseline"] = rows[1]["seconds"] / rows[0]["seconds"]
    return rows
