"""The `thidua` command: check a plan, run the demo year, start the Workspace emulator."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.settings import DEFAULT_PLAN
from thidua.calendar import calendar, warnings
from thidua.plan import Plan, PlanError, parse_plan
from thidua.records import Reject
from thidua.text import looks_like_formula

app = typer.Typer(help="Thi đua – khen thưởng: báo cáo đúng hạn, đúng số liệu, gửi một lần.", no_args_is_help=True)
console = Console()
PlanOption = Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML).", exists=True, dir_okay=False)]


def _load_or_exit(path: Path) -> Plan:
    try:
        return parse_plan(path.read_text(encoding="utf-8"), filename=str(path))
    except PlanError as error:
        console.print(f"[bold red]Kế hoạch {path} có {len(error.problems)} lỗi:[/]")
        for problem in error.problems:
            console.print(f"  • {problem}", highlight=False)
        raise typer.Exit(code=2) from None


def _print_warnings(plan: Plan) -> None:
    for warning in warnings(plan):
        console.print(f"[yellow]Cảnh báo:[/] {warning.message}", highlight=False)


@app.command()
def check(plan_path: PlanOption) -> None:
    """Kiểm tra tệp kế hoạch: lỗi ghi rõ tệp, dòng, trường; cảnh báo hạn trước ngày kế hoạch hoặc ngoài đợt."""
    plan = _load_or_exit(plan_path)
    _print_warnings(plan)
    table = Table(title=f"Lịch gửi báo cáo — {plan.school.name} năm {plan.year}")
    for column in ("Hạn", "Báo cáo", "Phải đến trước", "Gửi lúc", "Nơi nhận"):
        table.add_column(column)
    for item in calendar(plan):
        table.add_row(item.id, item.deadline.title, item.deadline.due_before.strftime("%d/%m/%Y"),
                      item.send_at.strftime("%d/%m/%Y %H:%M"), "\n".join(plan.recipient_names(item.deadline)))
    console.print(table)
    console.print(f"[green]Kế hoạch hợp lệ:[/] {len(plan.deadlines)} hạn báo cáo, {len(plan.teams)} tổ.")


def _csv_safe(value: str) -> str:
    """A reject's value is what a teacher typed; never let a spreadsheet execute it when the clerk opens the file."""
    return "'" + value if looks_like_formula(value) else value


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    unique = sorted(set(rejects), key=lambda r: (r.source_id, r.row_number, r.field))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["source", "sheet", "row", "field", "value", "reason"])
        for r in unique:
            writer.writerow([r.source_id, r.sheet, r.row_number, r.field, _csv_safe(r.value), r.reason])


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Thư mục kết quả.")] = Path("out"),
    plan_path: Annotated[Path, typer.Option("--plan", help="Tệp kế hoạch.")] = DEFAULT_PLAN,
    seed: Annotated[int, typer.Option(help="Hạt giống sinh dữ liệu mẫu.")] = 2024,
    staff: Annotated[int, typer.Option(help="Số viên chức trong dữ liệu mẫu.")] = 80,
) -> None:
    """Chạy cả năm 2024 trên dữ liệu mẫu: 9 hạn báo cáo, Prefect, SMTP cục bộ; chạy lại không gửi trùng."""
    from connectors.local.files import write_sample
    from connectors.local.smtp_server import LoopbackSmtpServer
    from flows.deadline import DeadlineResult, deadline_flow
    from flows.settings import RunSettings

    plan = _load_or_exit(plan_path)
    _print_warnings(plan)
    out = out.resolve()
    data_dir = out / "data"
    write_sample(plan, data_dir, seed=seed, staff=staff)
    (out / "mail").mkdir(parents=True, exist_ok=True)
    results: list[DeadlineResult] = []
    failures: list[str] = []
    with LoopbackSmtpServer(out / "mail") as smtp:
        settings = RunSettings(plan_path=plan_path.resolve(), data_dir=data_dir, out_dir=out,
                               smtp_port=smtp.port)
        schedule = calendar(plan)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            bar = progress.add_task("Khởi động Prefect…", total=len(schedule))
            for item in schedule:
                progress.update(bar, description=f"{item.id} — {item.deadline.title[:48]}")
                try:
                    results.append(deadline_flow(settings, item.id, item.send_at))
                except Exception as error:  # the clerk gets one line per failed deadline, the run goes on
                    failures.append(f"{item.id}: {type(error).__name__}: {error}")
                progress.advance(bar)
    summary = [_summary_row(out, r) for r in results]
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    write_rejects(out / "rejects.csv", [r for result in results for r in result.collected.rejects])
    _print_summary(summary)
    for failure in failures:
        console.print(f"[bold red]Lỗi[/] {failure}", highlight=False)
    if failures:
        raise typer.Exit(code=1)


def _summary_row(out: Path, result: Any) -> dict[str, Any]:
    report = result.pdf or result.docx
    return {
        "id": result.deadline_id,
        "due_before": result.due_before.isoformat(),
        "send_at": result.send_at.isoformat(),
        "sent_at": result.sent_at.isoformat() if result.sent_at else None,
        "late": result.late,
        "delivery": result.delivery_status,
        "recipients": list(result.recipients),
        "rows_read": result.collected.rows_read,
        "rows_accepted": result.collected.rows_accepted,
        "rows_rejected": result.collected.rows_rejected,
        "report": str(report.relative_to(out)),
        "docx": str(result.docx.relative_to(out)),
        "message_id": result.message_id,
    }


_DELIVERY_WORDS = {"sent": "đã gửi", "already_sent": "đã gửi trước đó", "recovered_from_pending": "đã gửi (khôi phục)",
                   "resent_after_crash": "gửi lại sau sự cố"}


def _print_summary(summary: list[dict[str, Any]]) -> None:
    table = Table(title="Kết quả các hạn báo cáo năm 2024")
    for column in ("Hạn", "Trước ngày", "Đã gửi lúc", "Gửi", "Đọc", "Hợp lệ", "Loại", "Báo cáo"):
        table.add_column(column, overflow="fold")
    for row in summary:
        sent_at = dt.datetime.fromisoformat(row["sent_at"]).strftime("%d/%m/%Y %H:%M") if row["sent_at"] else ""
        table.add_row(row["id"], dt.date.fromisoformat(row["due_before"]).strftime("%d/%m/%Y"), sent_at,
                      _DELIVERY_WORDS.get(row["delivery"], row["delivery"]), str(row["rows_read"]),
                      str(row["rows_accepted"]), str(row["rows_rejected"]), Path(row["report"]).name)
    console.print(table)


if __name__ == "__main__":
    app()
