"""What every command shares: the console, the common options, loading the plan and the run's settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from flows.settings import RunSettings
from thidua.calendar import warnings
from thidua.plan import Plan, PlanError, decode_plan, parse_plan
from thidua_cli.school import SETTINGS_FILE, SchoolSettings, SettingsError, find_settings, run_settings_for

console = Console()

PlanOption = Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML).", exists=True, dir_okay=False)]
OptionalPlan = Annotated[Path | None, typer.Argument(
    help="Tệp kế hoạch (YAML); bỏ trống: kế hoạch ghi trong thidua.toml ở thư mục hiện tại.", dir_okay=False)]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Thư mục kết quả (báo cáo, hộp thư, sổ gửi thư); mặc định theo thidua.toml, không có thì ./out.")]
DataOption = Annotated[Path | None, typer.Option(
    "--data", help="Thư mục dữ liệu biểu mẫu; mặc định theo thidua.toml, không có thì OUT/data.")]
SmtpHostOption = Annotated[str | None, typer.Option("--smtp-host", help="Máy chủ SMTP (mặc định theo thidua.toml).")]
SmtpPortOption = Annotated[int | None, typer.Option("--smtp-port", help="Cổng SMTP (mặc định theo thidua.toml).")]
LedgerOption = Annotated[str | None, typer.Option(
    "--ledger", help="URL SQLAlchemy của sổ gửi thư; mặc định theo thidua.toml, không có thì SQLite trong OUT.")]
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


def run_settings(plan_path: Path, out: Path | None, data: Path | None, smtp_host: str | None, smtp_port: int | None,
                 ledger: str | None) -> RunSettings:
    """The settings a command's runs use: its options, then the school's thidua.toml beside the plan."""
    _, school, _ = find_settings(plan_path)
    return run_settings_for(plan_path, school, out=out, data=data, ledger=ledger, smtp_host=smtp_host,
                            smtp_port=smtp_port)


@dataclass(frozen=True)
class SchoolRun:
    """The school a command acts on: its plan, the runs' settings and the school's own settings file."""

    plan: Plan
    settings: RunSettings
    school: SchoolSettings
    settings_file: Path | None


def school_or_exit(plan_path: Path | None, *, out: Path | None = None, data: Path | None = None,
                   ledger: str | None = None, smtp_host: str | None = None, smtp_port: int | None = None,
                   announce: bool = True) -> SchoolRun:
    """The school to act on (the plan given, or the one thidua.toml here names), said on the console first, so
    the clerk always sees which school a command touched; a missing plan and settings file is exit code 2."""
    try:
        path, school, settings_file = find_settings(plan_path)
    except SettingsError as error:
        console.print(f"[bold red]{error}[/]", highlight=False)
        raise typer.Exit(code=2) from None
    plan = load_or_exit(path)
    settings = run_settings_for(path, school, out=out, data=data, ledger=ledger, smtp_host=smtp_host,
                                smtp_port=smtp_port)
    if announce:
        where = f"cài đặt {settings_file}" if settings_file else f"không có {SETTINGS_FILE}, dùng mặc định"
        console.print(f"[bold]Trường:[/] {plan.school.name} (mã {plan.id}) — kế hoạch {path}; {where}; "
                      f"kết quả: {settings.out_dir}", highlight=False)
    return SchoolRun(plan, settings, school, settings_file)


def clock(plan: Plan, as_of: dt.datetime | None) -> dt.datetime:
    """The clock a command reads: the one given (a date alone is its start, in the plan's zone) or real time."""
    zone = ZoneInfo(plan.timezone)
    if as_of is None:
        return dt.datetime.now(zone)
    return as_of.astimezone(zone) if as_of.tzinfo else as_of.replace(tzinfo=zone)
