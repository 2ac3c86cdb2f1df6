"""`thidua resend`: a replacement version of a report already sent, approved again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thidua.delivery_state import delivery_words, next_version
from thidua.drafts import AUTO_APPROVER
from thidua_cli.console import (
    AsOfOption,
    DataOption,
    LedgerOption,
    OutOption,
    SmtpHostOption,
    SmtpPortOption,
    clock,
    console,
    school_or_exit,
)


def resend(
    deadline_id: Annotated[str, typer.Argument(help="Mã hạn báo cáo, ví dụ D3.")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do gửi bản thay thế (ghi vào nhật ký và tóm tắt).")],
    plan_path: Annotated[Path | None, typer.Option(
        "--plan", help="Tệp kế hoạch; bỏ trống: kế hoạch ghi trong thidua.toml ở thư mục hiện tại.", exists=True,
        dir_okay=False)] = None,
    out: OutOption = None,
    data: DataOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    ledger: LedgerOption = None,
    as_of: AsOfOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Chỉ để chạy thử: tự phê duyệt.")] = False,
) -> None:
    """Gửi bản thay thế (phiên bản mới, tiêu đề ghi «bản thay thế») của một báo cáo đã gửi; chờ phê duyệt lại."""
    from flows.deadline import deadline_flow
    from flows.ledger import open_ledger

    school = school_or_exit(plan_path, out=out, data=data, ledger=ledger, smtp_host=smtp_host, smtp_port=smtp_port)
    plan, settings = school.plan, school.settings
    if deadline_id not in {d.id for d in plan.deadlines}:
        console.print(f"[bold red]Không có hạn «{deadline_id}» trong kế hoạch.[/]", highlight=False)
        raise typer.Exit(code=2)
    if not reason.strip():
        console.print("[bold red]Cần ghi lý do gửi bản thay thế (--reason).[/]")
        raise typer.Exit(code=2)
    version = next_version(open_ledger(settings).history(plan.id, deadline_id))
    if version is None:
        console.print(f"[bold red]Báo cáo {deadline_id} của {plan.school.name} chưa được gửi lần nào[/] (mã trường "
                      f"{plan.id} trong sổ gửi thư): không có gì để thay thế.", highlight=False)
        raise typer.Exit(code=2)
    if auto_approve:
        console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER}.", highlight=False)
    result = deadline_flow(settings, deadline_id, clock(plan, as_of), version=version, auto_approve=auto_approve,
                           reason=reason.strip())
    console.print(f"Đã gửi bản thay thế {deadline_id} phiên bản {version} ({delivery_words(result.delivery_status)}), "
                  f"Message-ID {result.message_id}; lý do: {reason.strip()}", highlight=False)
