"""`thidua demo`: the whole 2024 year on sample data (one school, or a district with --schools N)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connectors.backends import BACKENDS
from connectors.writing import write_text_whole
from flows.settings import DEFAULT_PLAN, RunSettings
from thidua.calendar import calendar
from thidua.drafts import AUTO_APPROVER
from thidua.plan import Plan
from thidua_cli.console import console, load_or_exit, print_warnings
from thidua_cli.summary import print_summary, say_not_rebuilt, summary_row, write_built_rejects

if TYPE_CHECKING:
    from flows.deadline import DeadlineResult
    from thidua_cli.google_demo import GoogleDemo


def demo(
    out: Annotated[Path, typer.Option(help="Thư mục kết quả.")] = Path("out"),
    plan_path: Annotated[Path, typer.Option("--plan", help="Tệp kế hoạch.")] = DEFAULT_PLAN,
    seed: Annotated[int, typer.Option(help="Hạt giống sinh dữ liệu mẫu.")] = 2024,
    staff: Annotated[int, typer.Option(help="Số viên chức trong dữ liệu mẫu.")] = 80,
    backend: Annotated[str, typer.Option(help="local (tệp + SMTP cục bộ) hoặc google (Google Workspace giả lập).")]
    = "local",
    schools: Annotated[int, typer.Option(min=1, help="Số trường (biến thể của trường mẫu, cùng lịch) chạy trên một "
                                                   "máy chủ Prefect; lớn hơn 1 là chạy thử cả quận.")] = 1,
    rollup_to: Annotated[str, typer.Option("--rollup-to", help="Khi chạy cả quận: mã nơi nhận (trong kế hoạch) "
                                                                "nhận thư tổng hợp mỗi hạn, ví dụ phong-gddt.")] = "",
) -> None:
    """Chạy cả năm 2024 trên dữ liệu mẫu: 9 hạn báo cáo, Prefect, SMTP cục bộ; chạy lại không gửi trùng."""
    if backend not in BACKENDS:
        console.print(f"[bold red]--backend chỉ nhận {' hoặc '.join(sorted(BACKENDS))}, không phải «{backend}».[/]")
        raise typer.Exit(code=2)
    plan = load_or_exit(plan_path)
    print_warnings(plan)
    if plan.delivery.approval_required:
        by_reply = (f" Riêng hạn {calendar(plan)[0].id} chờ Hiệu trưởng phê duyệt bằng thư trả lời dự thảo, như khi "
                    "chạy thật." if backend == "google" and schools == 1 else "")
        console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER} — bản chạy thử tự phê duyệt thay Hiệu trưởng "
                      f"{plan.signer.name}; khi chạy thật, báo cáo chờ Hiệu trưởng phê duyệt.{by_reply}",
                      highlight=False)
    out = out.resolve()
    _refuse_foreign_data(out / "data")
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if schools > 1:
            from thidua_cli.district_demo import district_demo

            district_demo(plan, out, stack, seed, staff, schools, rollup_to, backend)
            return
        _one_school(plan, plan_path, out, stack, seed, staff, backend)


def _one_school(plan: Plan, plan_path: Path, out: Path, stack: ExitStack, seed: int, staff: int,
                backend: str) -> None:
    """Every deadline of the year in calendar order; a failed deadline is reported and the year goes on."""
    from flows.deadline import deadline_flow

    settings, count_calls, workspace = _workspace(plan, plan_path, out, stack, seed, staff, backend)
    settings = _signing(settings, out, backend)
    results: list[DeadlineResult] = []
    calls: dict[str, int] = {}
    failures: list[str] = []
    schedule = calendar(plan)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        bar = progress.add_task("Khởi động Prefect…", total=len(schedule))
        for item in schedule:
            progress.update(bar, description=f"{item.id} — {item.deadline.title[:48]}")
            before = count_calls()
            try:
                if workspace is not None and item is schedule[0] and plan.delivery.approval_required:
                    results.append(_approved_by_reply(workspace, settings, item.id, item.send_at, failures))
                else:
                    results.append(deadline_flow(settings, item.id, item.send_at, auto_approve=True))
            except Exception as error:  # the clerk gets one line per failed deadline, the run goes on
                failures.append(f"{item.id}: {type(error).__name__}: {error}")
            calls[item.id] = count_calls() - before
            progress.advance(bar)
    if workspace is not None:
        from thidua_cli.google_demo import save_sent_mail

        save_sent_mail(workspace, load_or_exit(settings.plan_path), out / "mail")
    summary = [summary_row(out, r) | ({"api_calls": calls[r.deadline_id]} if workspace is not None else {})
               for r in results]
    write_text_whole(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2), "bản tóm tắt")
    skipped = write_built_rejects(out / "rejects.csv", results)
    print_summary(summary, plan.year)
    say_not_rebuilt(skipped, rejects_kept=len(skipped) == len(results))
    for failure in failures:
        console.print(f"[bold red]Lỗi[/] {failure}", highlight=False)
    if failures:
        raise typer.Exit(code=1)


def _approved_by_reply(workspace: GoogleDemo, settings: RunSettings, deadline_id: str, send_at: dt.datetime,
                       failures: list[str]) -> DeadlineResult:
    """The first deadline as it runs for real: the draft emailed, the run waiting, and the principal's emailed reply
    (after the clerk's, which must not count) read from the draft's Gmail thread; polled each second."""
    from prefect.client.orchestration import get_client

    from flows.deadline import deadline_flow
    from thidua_cli.demo_reply import DemoPrincipal

    settings = settings.model_copy(update={"approval_poll_seconds": 1})
    provisioned = load_or_exit(settings.plan_path)
    # Prefect's temporary server starts on the first call, and two threads' first calls at once would start two (one
    # left running after the demo): the API is up here, in this thread, before the principal's thread asks it.
    with get_client(sync_client=True) as client:
        client.api_healthcheck()
    with DemoPrincipal(provisioned, settings.plan_path, workspace.emulator.base_url, deadline_id) as principal:
        result = deadline_flow(settings, deadline_id, send_at)
    if principal.error:
        failures.append(f"{deadline_id}: {principal.error}")
    elif "trả lời thư dự thảo" in result.approved_by:  # not on a re-run, where the approval was already recorded
        console.print(f"[bold green]{deadline_id}:[/] phê duyệt bằng thư trả lời — {result.approved_by}.",
                      highlight=False)
    return result


def _workspace(plan: Plan, plan_path: Path, out: Path, stack: ExitStack, seed: int, staff: int, backend: str
               ) -> tuple[RunSettings, Callable[[], int], GoogleDemo | None]:
    """Where the demo's school lives: the Workspace emulator, provisioned and seeded, or files and a loopback
    mail server. Returns the settings, an API-call counter and the emulated workspace (None on files)."""
    if backend == "google":
        from thidua_cli.google_demo import google_workspace

        workspace = stack.enter_context(google_workspace(plan, out, seed, staff))
        console.print(f"Google Workspace giả lập tại {workspace.emulator.base_url}: đã khởi tạo "
                      f"{len(workspace.created)} mục (biểu mẫu, bảng tính, thư mục, mẫu báo cáo).")
        return workspace.settings, workspace.api_calls, workspace
    from connectors.local.files import write_sample
    from connectors.local.smtp_server import LoopbackSmtpServer

    write_sample(plan, out / "data", seed=seed, staff=staff)
    (out / "data" / DEMO_MARKER).write_text("Dữ liệu mẫu do «thidua demo» sinh ra; demo được ghi đè thư mục này.\n",
                                           encoding="utf-8")
    (out / "mail").mkdir(parents=True, exist_ok=True)
    smtp = stack.enter_context(LoopbackSmtpServer(out / "mail"))
    settings = RunSettings(plan_path=plan_path.resolve(), data_dir=out / "data", out_dir=out, smtp_port=smtp.port)
    return settings, _no_api_calls, None


#: Left in a data folder the demo generated: the only kind it may overwrite.
DEMO_MARKER = ".thidua-demo"


def _refuse_foreign_data(data: Path) -> None:
    """The demo writes sample answers into OUT/data, the default data folder of every other command: it must never
    overwrite a school's real answers there."""
    if data.is_dir() and any(data.iterdir()) and not (data / DEMO_MARKER).is_file():
        console.print(f"[bold red]Không chạy demo:[/] thư mục {data} đã có dữ liệu không do demo sinh ra (có thể là "
                      "câu trả lời thật của trường). Hãy chọn thư mục khác với --out.", highlight=False)
        raise typer.Exit(code=2)


def _signing(settings: RunSettings, out: Path, backend: str) -> RunSettings:
    """Every report signed with throwaway TEST certificates, when there is a PDF to sign; said so either way."""
    from connectors.pdf import find_soffice
    from thidua_cli.demo_signing import with_test_signing

    if backend == "local" and find_soffice() is None:
        console.print("[bold yellow]Không có LibreOffice:[/] báo cáo là DOCX nên không ký số.", highlight=False)
        return settings
    return with_test_signing(settings, out)


def _no_api_calls() -> int:
    return 0
