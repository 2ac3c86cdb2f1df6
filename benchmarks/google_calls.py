"""Google API calls per report, for every report kind, with and without charts, at two sizes of the same school:
the count must not grow with the rows.

Runs one deadline of each kind (D1 registration, D2 exemplars, D3 interim, D5 evaluation, D8 annual) with
`backend: google` against the emulator, counting calls from its request log. "Without charts" is the school's
templates with their `{{charts}}` paragraph deleted in Google Docs, as a clerk would (templates/README.md). Each
report is its template's first use in the process, so its count includes the one `documents.get` of a cold
cache. The sizes are staff counts chosen so that D1 reads about 80 and about 8,000 rows; the large school runs
the two kinds whose tables list people (D1, D2) only: at that size the emulator's PDF export (LibreOffice on a
report of a hundred pages and more) takes minutes, so both its limit and the client's are raised here: a limit
of the emulator's export, not of the calls counted.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.google import endpoints
from connectors.google.auth import ENV_VAR, SCOPES, load_credentials
from emulator.server import EmulatorConfig
from flows.deadline import deadline_flow
from thidua.calendar import schedule
from thidua.plan import parse_plan
from thidua_cli.google_demo import GoogleDemo, google_workspace

PLAN = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"
EVERY_KIND = ("D1", "D2", "D3", "D5", "D8")
PEOPLE_KINDS = ("D1", "D2")
SLOW_EXPORT_SECONDS = 1_800


def _drop_charts(demo: GoogleDemo) -> None:
    """Delete the `{{charts}}` paragraph of every template Doc of the school (uncounted: the log is cleared)."""
    plan = parse_plan(demo.settings.plan_path.read_text(encoding="utf-8"))
    assert plan.google is not None
    credentials = load_credentials(json.loads(os.environ[ENV_VAR]), plan.google.user, demo.emulator.base_url,
                                   SCOPES)
    docs = endpoints.build_service("docs", "v1", credentials, demo.emulator.base_url).documents()
    for template_id in plan.google.templates.values():
        content = docs.get(documentId=template_id).execute()["body"]["content"]
        for element in reversed(content):
            text = "".join(r.get("textRun", {}).get("content", "")
                           for r in element.get("paragraph", {}).get("elements", []))
            if text.strip() == "{{charts}}":
                docs.batchUpdate(documentId=template_id, body={"requests": [{"deleteContentRange": {
                    "range": {"startIndex": element["startIndex"], "endIndex": element["endIndex"]}}}]}).execute()
    demo.emulator.log.clear()


def measure(staff: int, charts: bool, deadlines: tuple[str, ...]) -> list[dict[str, Any]]:
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    rows = []
    config = EmulatorConfig(export_timeout_seconds=SLOW_EXPORT_SECONDS)
    with tempfile.TemporaryDirectory() as folder, google_workspace(plan, Path(folder), 2024, staff,
                                                                   config) as workspace:
        if not charts:
            _drop_charts(workspace)
        settings = workspace.settings.model_copy(update={"google_timeout_seconds": SLOW_EXPORT_SECONDS})
        for deadline_id in deadlines:
            deadline = plan.deadline(deadline_id)
            before, start = workspace.api_calls(), time.perf_counter()
            result = deadline_flow(settings, deadline_id, schedule(plan, deadline).send_at, auto_approve=True)
            assert result.collected is not None, "a fresh workspace: every report is built"
            rows.append({"benchmark": f"google calls {deadline_id} {deadline.kind.value}", "staff": staff,
                         "rows": result.collected.rows_read, "charts": "yes" if charts else "no",
                         "api_calls": workspace.api_calls() - before, "seconds": time.perf_counter() - start})
    return rows


def run(sizes: tuple[int, ...] = (32, 4_100)) -> list[dict[str, Any]]:
    small, *large = sizes
    rows = [row for charts in (True, False) for row in measure(small, charts, EVERY_KIND)]
    return rows + [row for staff in large for row in measure(staff, True, PEOPLE_KINDS)]
