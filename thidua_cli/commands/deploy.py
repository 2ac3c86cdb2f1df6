"""`thidua deploy`: register a plan's (or a district's) runs on the Prefect server."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.settings import RunSettings
from thidua.plan import Plan
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
    print_warnings,
    run_settings,
    school_or_exit,
)


def deploy(
    plan_path: Annotated[Path | None, typer.Argument(
        help="Tệp kế hoạch (YAML), hoặc thư mục kế hoạch của cả quận (mỗi trường một tệp); bỏ trống: kế hoạch ghi "
             "trong thidua.toml ở thư mục hiện tại.", exists=True)] = None,
    out: OutOption = None,
    data: DataOption = None,
    smtp_host: SmtpHostOption = None,
    smtp_port: SmtpPortOption = None,
    ledger: LedgerOption = None,
    work_pool: Annotated[str | None, typer.Option(
        "--work-pool", help="Work pool (loại process) chạy các lượt; mặc định theo thidua.toml, không có thì thidua.")]
    = None,
    as_of: AsOfOption = None,
    rollup_to: Annotated[str, typer.Option("--rollup-to", help="Với thư mục kế hoạch: mã nơi nhận thư tổng hợp "
                                                                "toàn quận mỗi hạn (bỏ trống: chỉ lưu artifact).")]
    = "",
    google_secret_block: Annotated[str, typer.Option("--google-secret-block", help="Kế hoạch backend: google: tên "
                                                     "Prefect Secret block chứa khóa tài khoản dịch vụ.")] = "",
) -> None:
    """Đăng ký lịch chạy lên máy chủ Prefect (PREFECT_API_URL): mỗi hạn, mỗi loại lượt chạy một deployment,
    gắn thẻ mã trường; lịch cũ không còn trong kế hoạch bị xoá; hạn đã quá giờ gửi chạy ngay, đánh dấu trễ hạn.
    Với một thư mục kế hoạch: mỗi trường một thư mục OUT/schools/<mã>, dữ liệu DATA/<mã>, chung một sổ gửi thư,
    và mỗi hạn một lượt tổng hợp toàn quận lúc hết hạn."""
    from prefect.settings import get_current_settings

    from flows.deploy import deploy_plan, deploy_rollups
    from flows.district import DistrictError, district_schools

    if not get_current_settings().api.url:
        console.print("[bold red]Chưa đặt PREFECT_API_URL:[/] hãy trỏ tới máy chủ Prefect (ví dụ "
                      "http://127.0.0.1:4200/api) rồi chạy lại.", highlight=False)
        raise typer.Exit(code=2)
    district = plan_path is not None and plan_path.is_dir()
    if plan_path is not None and district:
        base = run_settings(plan_path, out, data, smtp_host, smtp_port, ledger)
        try:
            schools = district_schools(plan_path, base, base.out_dir, data.resolve() if data else None)
        except DistrictError as error:
            console.print(f"[bold red]Thư mục kế hoạch có lỗi:[/]\n{error}", highlight=False)
            raise typer.Exit(code=2) from None
    else:
        school = school_or_exit(plan_path, out=out, data=data, ledger=ledger, smtp_host=smtp_host,
                                smtp_port=smtp_port)
        schools = [school.settings]
        work_pool = work_pool or school.school.work_pool
    pool = work_pool or "thidua"
    plans = []
    for index, settings in enumerate(schools):
        plan = load_or_exit(settings.plan_path)
        if google_secret_block:
            schools[index] = settings.model_copy(update={"google_secret_block": google_secret_block})
        print_warnings(plan)
        plans.append(plan)

    async def deploy_all() -> list[tuple[list[Any], list[str]]]:
        # A few schools at a time: one school's upserts are sequential round trips, the server takes several.
        gate = asyncio.Semaphore(4)

        async def one(plan: Plan, settings: RunSettings) -> tuple[list[Any], list[str]]:
            async with gate:
                return await deploy_plan(plan, settings, pool, clock(plan, as_of), rehearsal=as_of is not None)

        return list(await asyncio.gather(*(one(p, s) for p, s in zip(plans, schools, strict=True))))

    for plan, (deployed, removed) in zip(plans, asyncio.run(deploy_all()), strict=True):
        _print_deployed(plan, clock(plan, as_of), deployed, removed, brief=len(schools) > 1)
    if district:
        rollups = asyncio.run(deploy_rollups(schools, pool, clock(plans[0], as_of), rollup_to))
        console.print(f"[green]Tổng hợp toàn quận:[/] {sum(s for _, _, s in rollups)}/{len(rollups)} hạn lên lịch "
                      f"({len(schools)} trường).", highlight=False)


def _print_deployed(plan: Plan, now: dt.datetime, deployed: list[Any], removed: list[str], brief: bool) -> None:
    """What was scheduled, started late or skipped; brief (one line) per school of a district."""
    late = [d for d in deployed if d.started_late and d.late]
    at_once = [d for d in deployed if d.started_late and not d.late]
    if not brief:
        table = Table(title=f"Lịch đã đăng ký — {plan.id} (đồng hồ: {now.isoformat(timespec='minutes')})")
        for column in ("Lượt chạy", "Thời điểm", "Deployment", "Trạng thái"):
            table.add_column(column, overflow="fold")
        for d in deployed:
            state = "[green]đã lên lịch[/]" if d.scheduled else (
                f"[bold red]TRỄ HẠN – {d.note}[/]" if d.started_late and d.late else f"[yellow]{d.note}[/]")
            table.add_row(d.run.label, d.run.at.isoformat(timespec="minutes"), d.deployment, state)
        console.print(table)
        for d in late:
            console.print(f"[bold red]Trễ hạn:[/] {d.run.deadline_id} lẽ ra gửi lúc {d.run.at:%H:%M %d/%m/%Y}; "
                          f"đã cho chạy ngay (lượt chạy {d.started_late}).", highlight=False)
        for d in at_once:
            console.print(f"Chạy ngay: {d.run.deadline_id} — {d.note} (lượt chạy {d.started_late}).", highlight=False)
    if removed:
        console.print(f"Đã xoá {len(removed)} lịch cũ không còn trong kế hoạch: {', '.join(removed)}", highlight=False)
    console.print(f"[green]{plan.id}: đã đăng ký {len(deployed)} lượt chạy[/] ({sum(d.scheduled for d in deployed)} "
                  f"lên lịch, {len(late)} chạy ngay vì trễ hạn"
                  + (f", {len(at_once)} chạy ngay, vẫn trước hạn" if at_once else "") + ").", highlight=False)
