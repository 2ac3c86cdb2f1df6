"""`thidua resend`: a replacement version of a report already sent, approved again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.settings import DEFAULT_PLAN
from thidua.delivery_state import next_version
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
    load_or_exit,
    run_settings,
)


def resend(
    deadline_id: Annotated[str, typer.Argument(help="Mã hạn báo cáo, ví dụ D3.")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do gửi bản thay thế (ghi vào nhật ký và tóm tắt).")],
    plan_path: Annotated[Path, typer.Option("--plan", help="Tệp kế hoạch.", exists=True)] = DEFAULT_PLAN,
    out: OutOption = Path("out"),
    data: DataOption = None,
    smtp_host: SmtpHostOption = "127.0.0.1",
    smtp_port: SmtpPortOption = 25,
    ledger: LedgerOption = "",
    as_of: AsOfOption = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Chỉ để chạy thử: tự phê duyệt.")] = False,
) -> None:
    """Gửi bản thay thế (phiên bản mới, tiêu đề ghi «bản thay thế») của một báo cáo đã gửi; chờ phê duyệt lại."""
    from flows.common import open_ledger
    from flows.deadline import deadline_flow

    plan = load_or_exit(plan_path)
    if deadline_id not in {d.id for d in plan.deadlines}:
        console.print(f"[bold red]Không có hạn «{deadline_id}» trong kế hoạch.[/]", highlight=False)
        raise typer.Exit(code=2)
    if not reason.strip():
        console.print("[bold red]Cần ghi lý do gửi bản thay thế (--reason).[/]")
        raise typer.Exit(code=2)
    settings = run_settings(plan_path, out, data, smtp_host, smtp_port, ledger)
    version = next_version(open_ledger(settings).history(plan.id, deadline_id))
    if version is None:
        console.print(f"[bold red]Báo cáo {deadline_id} chưa được gửi lần nào:[/] không có gì để thay thế.",
                      highlight=False)
        raise typer.Exit(code=2)
    if auto_approve:
        console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER}.", highlight=False)
    result = deadline_flow(settings, deadline_id, clock(plan, as_of), version=version, auto_approve=auto_approve,
                           reason=reason.strip())
    console.print(f"Đã gửi bản thay thế {deadline_id} phiên bản {version} ({result.delivery_status}), "
                  f"Message-ID {result.message_id}; lý do: {reason.strip()}", highlight=False)
