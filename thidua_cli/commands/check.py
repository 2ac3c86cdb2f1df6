"""`thidua check`: is the plan valid, and when does each report go out?"""

from __future__ import annotations

from rich.table import Table

from thidua.calendar import calendar
from thidua_cli.console import PlanOption, console, load_or_exit, print_warnings


def check(plan_path: PlanOption) -> None:
    """Kiểm tra tệp kế hoạch: lỗi ghi rõ tệp, dòng, trường; cảnh báo hạn trước ngày kế hoạch hoặc ngoài đợt."""
    plan = load_or_exit(plan_path)
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
    console.print(f"[green]Kế hoạch hợp lệ:[/] {len(plan.deadlines)} hạn báo cáo, {len(plan.teams)} tổ.")
