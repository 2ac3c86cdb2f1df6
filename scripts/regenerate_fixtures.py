"""Rewrites tests/fixtures/contexts/*.json from the seed plan's sample data, as the demo builds them.

Run after a change to the report contents or the rules (`uv run python scripts/regenerate_fixtures.py`), then
review the diff: the fixtures are what the document tests render, and what the PNG artifacts show.
"""

from __future__ import annotations

import json
from pathlib import Path

from sample_data.generator import generate
from thidua.calendar import schedule
from thidua.pipeline import collect
from thidua.plan import ReportKind, parse_plan
from thidua.reports import build_context
from thidua.rows import Table

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "le-anh-xuan-2024" / "plan.yaml"
CONTEXTS = ROOT / "tests" / "fixtures" / "contexts"


def main() -> None:
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    sample = generate(plan, seed=2024, staff=80)
    tables = {s.id: Table.from_cells(s.id, s.sheet, sample.grids[s.id]) for s in plan.sources}
    registration = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    baseline = collect(plan, tables, schedule(plan, registration).send_at).dataset
    for path in sorted(CONTEXTS.glob("*.json")):
        deadline = plan.deadline(path.stem)
        send_at = schedule(plan, deadline).send_at
        data = collect(plan, tables, send_at).dataset
        context = build_context(plan, deadline, data, send_at.date(),
                                baseline if deadline.kind is ReportKind.ANNUAL else None)
        path.write_text(json.dumps(context, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {deadline.kind.value}")


if __name__ == "__main__":
    main()
