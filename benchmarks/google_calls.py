"""Google API calls per report at two sizes of the same school: the count must not grow with the rows.

Runs the registration (D1) and exemplars (D2) deadlines with `backend: google` against the emulator, counting
calls from its request log; the "baseline" is the smaller school, measured in the same run. The default
larger size is 800 staff: at 8,000 the emulator's PDF export (LibreOffice converting a report of some 200 pages)
outlasts its 180 s timeout on this machine, a limit of the emulator's export, not of the calls counted here.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from flows.deadline import deadline_flow
from thidua.calendar import schedule
from thidua.plan import parse_plan
from thidua_cli.google_demo import google_workspace

PLAN = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"
DEADLINES = ("D1", "D2")


def measure(staff: int) -> list[dict[str, Any]]:
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    rows = []
    with tempfile.TemporaryDirectory() as folder, google_workspace(plan, Path(folder), 2024, staff) as workspace:
        for deadline_id in DEADLINES:
            before, start = workspace.api_calls(), time.perf_counter()
            result = deadline_flow(workspace.settings, deadline_id, schedule(plan, plan.deadline(deadline_id)).send_at,
                                   auto_approve=True)
            rows.append({"benchmark": f"google calls {deadline_id}", "staff": staff,
                         "rows": result.collected.rows_read, "api_calls": workspace.api_calls() - before,
                         "seconds": time.perf_counter() - start})
    return rows


def run(sizes: tuple[int, ...] = (80, 800)) -> list[dict[str, Any]]:
    return [row for staff in sizes for row in measure(staff)]
