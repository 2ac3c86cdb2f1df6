"""`thidua check`: is the plan valid, will its sources and templates be readable on the send day, and when does
each report go out?"""

from __future__ import annotations

import typer
from rich.table import Table

from thidua.calendar import calendar
from thidua.plan import Source
from thidua_cli.console import DataOption, OptionalPlan, console, print_warnings, school_or_exit
from thidua_cli.preflight import Problem, source_problems, template_problems


def check(plan_path: OptionalPlan = None, data: DataOption = None) -> None:
    """Kiểm tra tệp kế hoạch (lỗi ghi rõ tệp, dòng, trường; cảnh báo hạn trước ngày kế hoạch hoặc ngoài đợt), mẫu
    báo cáo, và với --data (hoặc data trong thidua.toml; Google: các trang tính thật) dòng tiêu đề của từng nguồn:
    thiếu cột nào, đang có cột nào, thiếu tệp nào."""
    from connectors.backends import backend_problem, open_backend

    school = school_or_exit(plan_path, data=data)
    plan, settings = school.plan, school.settings
    unknown = backend_problem(plan)
    if unknown is not None:
        console.print(f"[bold red]Kế hoạch chưa dùng được:[/] {unknown}", highlight=False)
        raise typer.Exit(code=1)
    print_warnings(plan)
    table = Table(title=f"Lịch gửi báo cáo — {plan.school.name} năm {plan.year}")
    for column in ("Hạn", "Báo cáo", "Phải đến trước", "Gửi lúc", "Nơi nhận"):
        table.add_column(column)
    for item in calendar(plan):
        table.add_row(item.id, item.deadline.title, item.deadline.due_before.strftime("%d/%m/%Y"),
                      item.send_at.strftime("%d/%m/%Y %H:%M"), "\n".join(plan.recipient_names(item.deadline)))
    console.print(table)
    console.print("Địa chỉ nhận báo cáo (kiểm tra từng ký tự):", highlight=False)
    for recipient in plan.recipients:  # whole, never wrapped: a look-alike domain must be readable
        console.print(f"  • {recipient.id}: {recipient.email} — {recipient.name}", highlight=False, soft_wrap=True)
    problems: list[Problem] = []
    if plan.backend == "local":
        problems += template_problems(plan, settings.templates_dir)
    read_sources = plan.backend != "local" or data is not None or school.school.data is not None
    waiting: list[Source] = []
    if read_sources:
        try:
            source = open_backend(plan, settings).source
        except Exception as error:  # Google without credentials yet: the plan is still checked, the sheets not
            console.print(f"[yellow]Chưa đọc được nguồn trên {plan.backend}:[/] {error}. Kiểm tra cài đặt: thidua "
                          "google doctor PLAN.", highlight=False)
            read_sources = False
        else:
            # On Google, a source with no spreadsheet or form yet is the state before `thidua google provision`.
            waiting = [s for s in plan.sources if plan.backend != "local" and not (s.spreadsheet_id or s.form_id)]
            if waiting:
                console.print(f"[yellow]Chưa khởi tạo trên Google:[/] {len(waiting)} nguồn chưa có bảng tính hay "
                              "biểu mẫu; hãy chạy `thidua google provision PLAN`, rồi `thidua check` lại.",
                              highlight=False)
            problems += source_problems(plan, source, [s for s in plan.sources if s not in waiting])
    if problems:
        console.print(f"[bold red]Kế hoạch chưa dùng được: {len(problems)} lỗi cần sửa trước ngày gửi[/]:",
                      highlight=False)
        for problem in problems:
            console.print(f"  • [bold]{problem.where}[/]: {problem.message}", highlight=False)
        raise typer.Exit(code=1)
    if not read_sources:
        checked = "; chưa kiểm tra dữ liệu (--data THƯ_MỤC)"
    elif plan.backend == "local":
        checked = f"; đã đọc dòng tiêu đề của {len(plan.sources)} nguồn trong {settings.data_dir}"
    else:
        checked = f"; đã đọc {len(plan.sources) - len(waiting)} nguồn trên Google"
    console.print(f"[green]Kế hoạch hợp lệ:[/] {len(plan.deadlines)} hạn báo cáo, {len(plan.teams)} tổ{checked}.",
                  highlight=False)
