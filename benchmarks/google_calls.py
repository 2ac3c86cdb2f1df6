"""Google API calls per report at two sizes of the same school: the count must not grow with the rows.

Runs the registration (D1) and exemplars (D2) deadlines with `backend: google` against the emulator, counting
calls from its request log; the "baseline" is the smaller school, measured in the same run. The sizes are staff
counts chosen so that D1 reads about 80 and about 8,000 rows. At that size the emulator's PDF export (LibreOffice
on a report of a hundred pages and more) takes minutes, so both its limit and the client's are raised here: a
limit of the emulator's export, not of the calls counted.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from emulator.server import EmulatorConfig
from flows.deadline import deadline_flow
from thidua.calendar import schedule
from thidua.plan import parse_plan
from thidua_cli.google_demo import google_workspace

PLAN = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"
DEADLINES = ("D1", "D2")
SLOW_EXPORT_SECONDS = 1_800


def measure(staff: int) -> list[dict[str, Any]]:
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    rows = []
    config = EmulatorConfig(export_timeout_seconds=SLOW_EXPORT_SECONDS)
    with tempfile.TemporaryDirectory() as folder, google_workspace(plan, Path(folder), 2024, staff,
                                                                   config) as workspace:
        settings = workspace.settings.model_copy(update={"google_timeout_seconds": SLOW_EXPORT_SECONDS})
        for deadline_id in DEADLINES:
            before, start = workspace.api_calls(), time.perf_counter()
            result = deadline_flow(settings, deadline_id, schedule(plan, plan.deadline(deadline_id)).send_at,
                                   auto_approve=True)
            rows.append({"benchmark": f"google calls {deadline_id}", "staff": staff,
                         "rows": result.collected.rows_read, "api_calls": workspace.api_calls() - before,
                         "seconds": time.perf_counter() - start})
    return rows


def run(sizes: tuple[int, ...] = (32, 4_100)) -> list[dict[str, Any]]:
    return [row for staff in sizes for row in measure(staff)]
