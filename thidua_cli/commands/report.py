"""`thidua report PLAN DEADLINE_ID`: one deadline's report from the school's real answers, now or as of a time.

Without `--send` it only builds: the DOCX, PDF and annex under OUT/reports, the rows to fix in OUT/rejects-<D>.csv,
and the per-team table on the console; nothing is sent and the ledger is not touched. With `--send` it runs the
scheduled send itself (`thidua-deadline`, on Prefect's ephemeral server): the principal's approval, the ledger and
the mailbox look-up, so it sends exactly once whatever else ran.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.settings import RunSettings
from thidua.calendar import schedule
from thidua.delivery_state import delivery_words, send_timing
from thidua.drafts import AUTO_APPROVER, controls_note, team_rows
from thidua.pipeline import Collected, source_ids_for
from thidua.plan import Plan
from thidua.reminders import missing
from thidua_cli.console import AsOfOption, DataOption, OutOption, PlanOption, clock, console, school_or_exit
from thidua_cli.preflight import source_problems, template_problems

#: Rejects shown on the console; the CSV has them all.
SHOWN_REJECTS = 40


def report(
    plan_path: PlanOption,
    deadline_id: Annotated[str, typer.Argument(help="Mã hạn báo cáo trong kế hoạch, ví dụ D3.")],
    data: DataOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    send: Annotated[bool, typer.Option("--send", help="Gửi thật (qua phê duyệt của Hiệu trưởng và sổ gửi thư: "
                                                      "không bao giờ gửi hai lần).")] = False,
    auto_approve: Annotated[bool, typer.Option("--auto-approve", help="Chỉ để chạy thử: tự phê duyệt thay Hiệu "
                                                                      "trưởng (ghi rõ trong thư và sổ).")] = False,
) -> None:
    """Lập báo cáo của một hạn từ dữ liệu thật của trường (tệp hoặc Google), như lúc này hoặc --as-of: ghi DOCX/PDF/
    phụ lục và các dòng bị loại vào --out, in bảng theo tổ; không gửi gì. Với --send: gửi đúng một lần, như lượt
    chạy theo lịch (có phê duyệt)."""
    from connectors.backends import open_backend

    school = school_or_exit(plan_path, out=out, data=data)
    plan, settings = school.plan, school.settings
    if deadline_id not in {d.id for d in plan.deadlines}:
        console.print(f"[bold red]Không có hạn «{deadline_id}» trong kế hoạch;[/] các hạn: "
                      f"{', '.join(d.id for d in plan.deadlines)}.", highlight=False)
        raise typer.Exit(code=2)
    deadline = plan.deadline(deadline_id)
    now = clock(plan, as_of)
    wanted = set(source_ids_for(plan, deadline.kind))
    problems = source_problems(plan, open_backend(plan, settings).source, [s for s in plan.sources if s.id in wanted])
    if plan.backend == "local":
        problems += template_problems(plan, settings.templates_dir, [deadline_id])
    if problems:
        console.print(f"[bold red]Chưa lập được báo cáo {deadline_id}: {len(problems)} lỗi cần sửa[/] (dữ liệu: "
                      f"{settings.data_dir}):", highlight=False)
        for problem in problems:
            console.print(f"  • {problem.message}", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"Lập báo cáo {deadline_id} «{deadline.title}» từ dữ liệu {settings.data_dir} "
                  f"(như lúc {now:%H:%M %d/%m/%Y}).", highlight=False)
    if send:
        _send(plan, settings, deadline_id, now, as_of is not None, auto_approve)
        return
    from flows.preview import preview_flow

    draft = preview_flow(settings, deadline_id, now)
    _show(plan, deadline_id, draft.collected, settings.out_dir)
    _files(draft.docx, draft.pdf)
    console.print("[bold]Chưa gửi gì[/] (xem trước). Gửi thật: thêm --send.", highlight=False)


def _send(plan: Plan, settings: RunSettings, deadline_id: str, now: dt.datetime, rehearsal: bool,
          auto_approve: bool) -> None:
    """The scheduled send, run here: approval, ledger, mailbox look-up, exactly once."""
    from flows.deadline import deadline_flow

    if plan.delivery.approval_required:
        if auto_approve:
            console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER}.", highlight=False)
        else:
            console.print(f"Báo cáo cần Hiệu trưởng {plan.signer.name} phê duyệt: nếu chưa duyệt, dự thảo được gửi tới "
                          f"{plan.signer.email} và lệnh chờ quyết định.", highlight=False)
    result = deadline_flow(settings, deadline_id, now, auto_approve=auto_approve)
    if result.collected is not None:  # None: already sent, nothing read nor built again
        _show(plan, deadline_id, result.collected, settings.out_dir)
    _files(result.docx, result.pdf)
    scheduled = schedule(plan, plan.deadline(deadline_id))
    timing = send_timing(scheduled.send_at, scheduled.must_arrive_by, result.sent_at or now, rehearsal)
    sent_at = f"{result.sent_at.astimezone(now.tzinfo):%H:%M %d/%m/%Y}" if result.sent_at else "—"
    console.print(f"[bold green]{deadline_id}: {delivery_words(result.delivery_status)}[/] lúc {sent_at} "
                  f"({timing.word}) tới {', '.join(result.recipients)}; phê duyệt: {result.approved_by}; "
                  f"Message-ID {result.message_id}.", highlight=False)


def _show(plan: Plan, deadline_id: str, collected: Collected, out: Path) -> None:
    """The per-team table, the counts and the rejected rows (all of them in OUT/rejects-<D>.csv)."""
    from connectors.local.rejects import write_rejects

    deadline = plan.deadline(deadline_id)
    teams = Table(title=f"{deadline_id} — {deadline.title}: theo tổ")
    rows = team_rows(plan, deadline, collected, missing(plan, deadline, collected.dataset))
    for column in rows[0] if rows else ():
        teams.add_column(column, overflow="fold")
    for row in rows:
        teams.add_row(*(str(v) for v in row.values()))
    console.print(teams)
    console.print(f"Số dòng: {collected.rows_read} đọc, {collected.rows_accepted} hợp lệ, {collected.rows_rejected} "
                  "bị loại.", highlight=False)
    if controls := controls_note(collected):
        console.print(controls, highlight=False)
    path = out / f"rejects-{deadline_id}.csv"
    out.mkdir(parents=True, exist_ok=True)
    write_rejects(path, collected.rejects)
    if not collected.rejects:
        return
    rejects = Table(title=f"Các dòng bị loại, cần sửa ({len(collected.rejects)}; đủ trong {path})")
    for column in ("Nguồn", "Dòng", "Cột", "Giá trị", "Lý do"):
        rejects.add_column(column, overflow="fold")
    for r in collected.rejects[:SHOWN_REJECTS]:
        rejects.add_row(r.source_id, str(r.row_number), r.field, r.value, r.reason)
    console.print(rejects)
    if len(collected.rejects) > SHOWN_REJECTS:
        console.print(f"… và {len(collected.rejects) - SHOWN_REJECTS} dòng nữa trong {path}.", highlight=False)


def _files(docx: Path | None, pdf: Path | None) -> None:
    """Where the report's files are: a version sent earlier may have only its approved copy left, or nothing."""
    from flows.report import annex_of

    report = pdf or docx
    if report is None:
        console.print("Tệp báo cáo không còn trên đĩa.", highlight=False)
        return
    if docx is not None:
        console.print(f"Báo cáo: {docx}", highlight=False)
    console.print(f"PDF: {pdf}" if pdf else "PDF: không có LibreOffice, chỉ có DOCX.", highlight=False)
    if annex_of(report).is_file():
        console.print(f"Phụ lục: {annex_of(report)}", highlight=False)
