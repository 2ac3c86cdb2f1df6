"""What every command shares: the console, the common options, loading the plan and the run's settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from flows.settings import RunSettings
from thidua.calendar import warnings
from thidua.plan import Plan, PlanError, decode_plan, parse_plan

console = Console()

PlanOption = Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML).", exists=True, dir_okay=False)]
OutOption = Annotated[Path, typer.Option("--out", help="Thư mục kết quả (báo cáo, hộp thư, sổ gửi thư).")]
DataOption = Annotated[Path | None, typer.Option("--data", help="Thư mục dữ liệu biểu mẫu (mặc định OUT/data).")]
SmtpHostOption = Annotated[str, typer.Option("--smtp-host", help="Máy chủ SMTP.")]
SmtpPortOption = Annotated[int, typer.Option("--smtp-port", help="Cổng SMTP.")]
LedgerOption = Annotated[
    str, typer.Option("--ledger", help="URL SQLAlchemy của sổ gửi thư (mặc định SQLite trong OUT).")
]
AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option("--as-of", formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d"],
                 help="Đồng hồ chạy thử (ví dụ 2024-03-25T08:00+07:00); mặc định là giờ thật."),
]


def load_or_exit(path: Path) -> Plan:
    """The plan, or every problem in it (file, line, field) and exit code 2."""
    try:
        return parse_plan(decode_plan(path.read_bytes(), str(path)), filename=str(path))
    except PlanError as error:
        console.print(f"[bold red]Kế hoạch {path} có {len(error.problems)} lỗi:[/]")
        for problem in error.problems:
            console.print(f"  • {problem}", highlight=False)
        raise typer.Exit(code=2) from None


def print_warnings(plan: Plan) -> None:
    """The plan's calendar warnings (a deadline before the plan's date, outside its phase)."""
    for warning in warnings(plan):
        console.print(f"[yellow]Cảnh báo:[/] {warning.message}", highlight=False)


def run_settings(plan_path: Path, out: Path, data: Path | None, smtp_host: str, smtp_port: int,
                 ledger: str) -> RunSettings:
    """The settings a command's runs use, from its options."""
    out = out.resolve()
    return RunSettings(plan_path=plan_path.resolve(), data_dir=(data or out / "data").resolve(), out_dir=out,
                       smtp_host=smtp_host, smtp_port=smtp_port, ledger_url=ledger)


def clock(plan: Plan, as_of: dt.datetime | None) -> dt.datetime:
    """The clock a command reads: the one given (a date alone is its start, in the plan's zone) or real time."""
    zone = ZoneInfo(plan.timezone)
    if as_of is None:
        return dt.datetime.now(zone)
    return as_of.astimezone(zone) if as_of.tzinfo else as_of.replace(tzinfo=zone)
