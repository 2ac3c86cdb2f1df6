"""`thidua google doctor PLAN`: prints what connectors/google/doctor.py found, one row per checked thing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from thidua_cli.console import console, load_or_exit

if TYPE_CHECKING:
    from connectors.google.doctor import Finding

# connectors.google.doctor (the Google client libraries) is imported when the command runs: `thidua` assembles every
# command into each CLI process, and those libraries take seconds to import.

_MARKS = {"ok": "[green]✓ ổn[/]", "warn": "[yellow]! lưu ý[/]", "fail": "[bold red]✗ lỗi[/]",
          "skip": "[dim]– bỏ qua[/]"}


def google_doctor(
    plan_path: Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML) đã chạy `thidua google provision`.",
                                              exists=True, dir_okay=False)],
    base_url: Annotated[str, typer.Option("--base-url", help="Địa chỉ Workspace giả lập (bỏ trống: Google thật).")]
    = "",
    secret_block: Annotated[str, typer.Option("--secret-block", help="Tên Prefect Secret block chứa thông tin xác "
                                              "thực (bỏ trống: biến môi trường THIDUA_GOOGLE_CREDENTIALS).")] = "",
    test_email: Annotated[bool, typer.Option("--test-email/--no-test-email",
                                             help="Cuối cùng gửi một thư kiểm tra cho thư ký (chỉ thư ký).")] = True,
) -> None:
    """Kiểm tra cài đặt Google trước hạn báo cáo đầu tiên: thông tin xác thực, API, phạm vi, Gmail, biểu mẫu,
    bảng tính, mẫu báo cáo, thư mục; cuối cùng gửi thư kiểm tra cho thư ký. Mỗi lỗi kèm cách sửa."""
    from connectors.google.doctor import STEP_TITLES, Level, diagnose

    plan = load_or_exit(plan_path)
    if plan.google is None:
        console.print("[bold red]Kế hoạch chưa có mục google:[/] chạy `thidua google provision` trước "
                      "(nó ghi mục google vào bản sao kế hoạch).", highlight=False)
        raise typer.Exit(code=2)
    findings = diagnose(plan, secret_block, base_url or None, test_email)
    table = Table(title=f"Kiểm tra Google Workspace — {plan.school.name} ({plan.google.user})", show_lines=True)
    for column in ("#", "Bước", "Mục", "Kết quả", "Chi tiết", "Cách sửa"):
        table.add_column(column, overflow="fold")
    for number, finding in enumerate(_collapsed(findings), start=1):
        table.add_row(str(number), STEP_TITLES[finding.step], finding.subject, _MARKS[finding.level.value],
                      finding.detail, finding.fix)
    console.print(table)
    # Printed whole, on a line of its own and outside the table, so it is copied exactly.
    for paste in dict.fromkeys(f.paste for f in findings if f.paste):
        console.print("Chuỗi phạm vi cần dán vào Admin console (một dòng):", highlight=False)
        print(paste)
    bad = [f for f in findings if f.level is Level.FAIL]
    warned = [f for f in findings if f.level is Level.WARN]
    if bad:
        console.print(f"[bold red]{len(bad)} mục cần sửa[/], {len(warned)} lưu ý. Sửa theo cột «Cách sửa» rồi chạy "
                      "lại lệnh này.", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"[green]Cài đặt Google sẵn sàng[/] ({len(warned)} lưu ý).", highlight=False)


def _collapsed(findings: list[Finding]) -> list[Finding]:
    """Templates and folders that are all fine take one row: the clerk reads what needs fixing, not 9 ticks."""
    from connectors.google.doctor import Finding, Level, Step

    shown: list[Finding] = []
    for step in dict.fromkeys(f.step for f in findings):
        mine = [f for f in findings if f.step is step]
        if step in (Step.TEMPLATES, Step.FOLDERS) and len(mine) > 1 and all(f.level is Level.OK for f in mine):
            shown.append(Finding(step, ", ".join(f.subject.split(" ")[0] for f in mine), Level.OK,
                                 f"Cả {len(mine)} mục đều ổn."))
        else:
            shown.extend(mine)
    return shown
