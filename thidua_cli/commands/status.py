"""`thidua status`: each deadline's state (thidua.delivery_state), when it went out, and who has not answered."""

from __future__ import annotations

import datetime as dt

from rich.table import Table

from connectors.ports import RowSource
from thidua.calendar import ScheduledDeadline, calendar
from thidua.plan import Plan
from thidua_cli.console import (
    AsOfOption,
    DataOption,
    LedgerOption,
    OptionalPlan,
    OutOption,
    clock,
    console,
    school_or_exit,
)


def status(
    plan_path: OptionalPlan = None,
    out: OutOption = None,
    data: DataOption = None,
    ledger: LedgerOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Lịch các hạn báo cáo và tình trạng: đã gửi lúc nào, đã phê duyệt chưa, ai/tổ nào chưa nộp."""
    from connectors.backends import open_backend
    from connectors.ports import DeliveryKey
    from flows.ledger import open_ledger
    from thidua.delivery_state import deadline_state

    school = school_or_exit(plan_path, out=out, data=data, ledger=ledger)
    plan, settings = school.plan, school.settings
    now = clock(plan, as_of)
    book = open_ledger(settings)
    connectors = open_backend(plan, settings)
    source = connectors.source if connectors.sources_ready() else None
    table = Table(title=f"Tình trạng các hạn báo cáo — {plan.school.name} (lúc {now:%H:%M %d/%m/%Y})")
    for column in ("Hạn", "Báo cáo", "Phải đến trước", "Gửi theo lịch", "Trạng thái", "Đã gửi lúc", "Còn thiếu"):
        table.add_column(column, overflow="fold")
    for item in calendar(plan):
        approved = book.approval(DeliveryKey(plan.id, item.id, 1)) is not None
        state = deadline_state(book.history(plan.id, item.id), item.send_at, item.must_arrive_by, approved, now)
        sent_at = f"{state.first_sent_at.astimezone(item.send_at.tzinfo):%d/%m/%Y %H:%M}" if state.first_sent_at \
            else ""
        table.add_row(item.id, item.deadline.title, f"{item.must_arrive_by:%d/%m/%Y %H:%M}",
                      f"{item.send_at:%d/%m/%Y %H:%M}", state.word, sent_at, _lacking(plan, item, source, now))
    console.print(table)
    if source is None:
        console.print(f"(Không có thư mục dữ liệu {settings.data_dir}: bỏ qua cột «Còn thiếu».)", highlight=False)


def _lacking(plan: Plan, item: ScheduledDeadline, source: RowSource | None, now: dt.datetime) -> str:
    """Who and which teams have not answered the deadline's forms, as the sheets stood at `now` (or its send)."""
    from thidua.pipeline import collect, source_ids_for
    from thidua.reminders import has_reminders, missing

    if source is None or not has_reminders(item.deadline):
        return "—"
    wanted = set(source_ids_for(plan, item.deadline.kind))
    tables = source.read_many([s for s in plan.sources if s.id in wanted])
    found = missing(plan, item.deadline, collect(plan, tables, min(now, item.send_at)).dataset)
    by_team = [f"{team.name}: {', '.join(p.full_name for p in people)}"
               for team in plan.teams if (people := found.people_of(team.id))]
    parts = [f"{len(found.people)} người chưa nộp — " + "; ".join(by_team)] if found.people else []
    parts += [f"tổ chưa nộp: {', '.join(plan.team(t).name for t in found.teams)}"] if found.teams else []
    return "; ".join(parts) or "đủ"
