"""`thidua calendar`: every run the plan needs, and when, as a table, JSON or an iCalendar file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from thidua.schedule import runs
from thidua_cli.console import OptionalPlan, console, school_or_exit


def calendar_command(
    plan_path: OptionalPlan = None,
    as_json: Annotated[bool, typer.Option("--json", help="In mọi lượt chạy theo lịch dạng JSON.")] = False,
    ics: Annotated[Path | None, typer.Option("--ics", help="Ghi lịch ra tệp iCalendar (.ics).")] = None,
) -> None:
    """Lịch các lượt chạy: nhắc nộp, dự thảo chờ phê duyệt, gửi báo cáo, kiểm tra — giờ Việt Nam (+07:00)."""
    plan = school_or_exit(plan_path, announce=False).plan  # --json must stay JSON alone
    scheduled = runs(plan)
    if ics is not None:
        from connectors.local.ics import runs_ics  # icalendar only when asked for

        ics.write_bytes(runs_ics(plan, scheduled))
        console.print(f"Đã ghi {len(scheduled)} sự kiện vào {ics}.", highlight=False)
    if as_json:
        rows = [{"deadline": r.deadline_id, "kind": r.kind.value, "at": r.at.isoformat(),
                 **({"days_before": r.days_before} if r.days_before is not None else {}), "label": r.label}
                for r in scheduled]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif ics is None:
        table = Table(title=f"Lịch chạy — {plan.school.name} năm {plan.year}")
        for column in ("Lượt chạy", "Thời điểm"):
            table.add_column(column)
        for r in scheduled:
            table.add_row(r.label, r.at.isoformat(timespec="minutes"))
        console.print(table)
