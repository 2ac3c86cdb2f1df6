"""The `thidua` command: check a plan, run the demo year, start the Workspace emulator."""

from __future__ import annotations

import csv
import datetime as dt
import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from emulator.cli import emulator_command
from flows.settings import DEFAULT_PLAN, RunSettings
from thidua.calendar import calendar, warnings
from thidua.plan import Plan, PlanError, parse_plan
from thidua.records import Reject
from thidua.text import looks_like_formula

app = typer.Typer(help="Thi đua – khen thưởng: báo cáo đúng hạn, đúng số liệu, gửi một lần.", no_args_is_help=True)
console = Console()
PlanOption = Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML).", exists=True, dir_okay=False)]


def _load_or_exit(path: Path) -> Plan:
    try:
        return parse_plan(path.read_text(encoding="utf-8"), filename=str(path))
    except PlanError as error:
        console.print(f"[bold red]Kế hoạch {path} có {len(error.problems)} lỗi:[/]")
        for problem in error.problems:
            console.print(f"  • {problem}", highlight=False)
        raise typer.Exit(code=2) from None


def _print_warnings(plan: Plan) -> None:
    for warning in warnings(plan):
        console.print(f"[yellow]Cảnh báo:[/] {warning.message}", highlight=False)


@app.command()
def check(plan_path: PlanOption) -> None:
    """Kiểm tra tệp kế hoạch: lỗi ghi rõ tệp, dòng, trường; cảnh báo hạn trước ngày kế hoạch hoặc ngoài đợt."""
    plan = _load_or_exit(plan_path)
    _print_warnings(plan)
    table = Table(title=f"Lịch gửi báo cáo — {plan.school.name} năm {plan.year}")
    for column in ("Hạn", "Báo cáo", "Phải đến trước", "Gửi lúc", "Nơi nhận"):
        table.add_column(column)
    for item in calendar(plan):
        table.add_row(item.id, item.deadline.title, item.deadline.due_before.strftime("%d/%m/%Y"),
                      item.send_at.strftime("%d/%m/%Y %H:%M"), "\n".join(plan.recipient_names(item.deadline)))
    console.print(table)
    console.print(f"[green]Kế hoạch hợp lệ:[/] {len(plan.deadlines)} hạn báo cáo, {len(plan.teams)} tổ.")


def _csv_safe(value: str) -> str:
    """A reject's value is what a teacher typed; never let a spreadsheet execute it when the clerk opens the file."""
    return "'" + value if looks_like_formula(value) else value


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    unique = sorted(set(rejects), key=lambda r: (r.source_id, r.row_number, r.field))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["source", "sheet", "row", "field", "value", "reason"])
        for r in unique:
            writer.writerow([r.source_id, r.sheet, r.row_number, r.field, _csv_safe(r.value), r.reason])


@app.command()
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
    from connectors.local.files import write_sample
    from connectors.local.smtp_server import LoopbackSmtpServer
    from flows.deadline import AUTO_APPROVER, DeadlineResult, deadline_flow

    if backend not in ("local", "google"):
        console.print(f"[bold red]--backend chỉ nhận local hoặc google, không phải «{backend}».[/]")
        raise typer.Exit(code=2)
    plan = _load_or_exit(plan_path)
    _print_warnings(plan)
    if plan.delivery.approval_required:
        console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER} — bản chạy thử tự phê duyệt thay Hiệu trưởng "
                      f"{plan.signer.name}; khi chạy thật, báo cáo chờ Hiệu trưởng phê duyệt.", highlight=False)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results: list[DeadlineResult] = []
    calls: dict[str, int] = {}
    failures: list[str] = []
    with ExitStack() as stack:
        if schools > 1:
            _district_demo(plan, out, stack, seed, staff, schools, rollup_to, backend)
            return
        if backend == "google":
            from thidua_cli.google_demo import google_workspace, save_sent_mail

            workspace = stack.enter_context(google_workspace(plan, out, seed, staff))
            settings, count_calls = workspace.settings, workspace.api_calls
            console.print(f"Google Workspace giả lập tại {workspace.emulator.base_url}: đã khởi tạo "
                          f"{len(workspace.created)} mục (biểu mẫu, bảng tính, thư mục, mẫu báo cáo).")
        else:
            write_sample(plan, out / "data", seed=seed, staff=staff)
            (out / "mail").mkdir(parents=True, exist_ok=True)
            smtp = stack.enter_context(LoopbackSmtpServer(out / "mail"))
            settings = RunSettings(plan_path=plan_path.resolve(), data_dir=out / "data", out_dir=out,
                                   smtp_port=smtp.port)
            count_calls = _no_api_calls
        schedule = calendar(plan)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            bar = progress.add_task("Khởi động Prefect…", total=len(schedule))
            for item in schedule:
                progress.update(bar, description=f"{item.id} — {item.deadline.title[:48]}")
                before = count_calls()
                try:
                    results.append(deadline_flow(settings, item.id, item.send_at, auto_approve=True))
                except Exception as error:  # the clerk gets one line per failed deadline, the run goes on
                    failures.append(f"{item.id}: {type(error).__name__}: {error}")
                calls[item.id] = count_calls() - before
                progress.advance(bar)
        if backend == "google":
            save_sent_mail(workspace, parse_plan(settings.plan_path.read_text(encoding="utf-8")), out / "mail")
    summary = [_summary_row(out, r) | ({"api_calls": calls[r.deadline_id]} if backend == "google" else {})
               for r in results]
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    write_rejects(out / "rejects.csv", [r for result in results for r in result.collected.rejects])
    _print_summary(summary)
    for failure in failures:
        console.print(f"[bold red]Lỗi[/] {failure}", highlight=False)
    if failures:
        raise typer.Exit(code=1)


def _district_demo(plan: Plan, out: Path, stack: ExitStack, seed: int, staff: int, schools: int,
                   rollup_to: str, backend: str) -> None:
    from connectors.local.smtp_server import LoopbackSmtpServer
    from flows.district import DistrictError
    from thidua.district import school_variants, staff_counts
    from thidua_cli.district_demo import district_summary_rows, local_district, run_district
    from thidua_cli.google_demo import google_district

    if rollup_to and rollup_to not in {r.id for r in plan.recipients}:
        console.print(f"[bold red]--rollup-to «{rollup_to}» không có trong danh sách nơi nhận của kế hoạch:[/] "
                      f"{', '.join(r.id for r in plan.recipients)}", highlight=False)
        raise typer.Exit(code=2)
    try:
        if backend == "google":
            plans = school_variants(plan, schools, seed)
            workspace = stack.enter_context(google_district(plans, staff_counts(plans, staff, seed), out, seed))
            settings = workspace.schools
            console.print(f"Google Workspace giả lập tại {workspace.emulator.base_url}: {schools} trường, "
                          f"{len(workspace.created)} mục đã khởi tạo.", highlight=False)
        else:
            (out / "mail").mkdir(parents=True, exist_ok=True)
            smtp = stack.enter_context(LoopbackSmtpServer(out / "mail"))
            settings = local_district(plan, out, smtp.port, schools, seed, staff)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            run = run_district(settings, rollup_to, progress)
    except DistrictError as error:
        console.print(f"[bold red]{error}[/]", highlight=False)
        raise typer.Exit(code=2) from None
    summary = district_summary_rows(run, _summary_row)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "rollup.json").write_text(json.dumps(run.rollups, ensure_ascii=False, indent=2), encoding="utf-8")
    for school in run.schools:
        write_rejects(school.out_dir / "rejects.csv", [r for o in run.outcomes if o.result is not None
                                                       and o.school_id == school.out_dir.name
                                                       for r in o.result.collected.rejects])
    table = Table(title=f"Toàn quận: {schools} trường × {len(run.rollups)} hạn báo cáo")
    for column in ("Hạn", "Số trường", "Đã gửi", "Đúng hạn", "Lỗi"):
        table.add_column(column)
    for deadline_id, rollup in run.rollups.items():
        failed = sum(1 for o in run.outcomes if o.deadline_id == deadline_id and o.error)
        table.add_row(deadline_id, str(rollup["schools"]), str(rollup["delivered"]), str(rollup["on_time"]),
                      str(failed))
    console.print(table)
    failures = [o for o in run.outcomes if o.error]
    for outcome in failures:
        console.print(f"[bold red]Lỗi[/] {outcome.school_id} {outcome.deadline_id}: {outcome.error}", highlight=False)
    if failures:
        raise typer.Exit(code=1)


def _no_api_calls() -> int:
    return 0


def _summary_row(out: Path, result: Any) -> dict[str, Any]:
    report = result.pdf or result.docx
    return {
        "id": result.deadline_id,
        "due_before": result.due_before.isoformat(),
        "send_at": result.send_at.isoformat(),
        "sent_at": result.sent_at.isoformat() if result.sent_at else None,
        "late": result.late,
        "delivery": result.delivery_status,
        "recipients": list(result.recipients),
        "rows_read": result.collected.rows_read,
        "rows_accepted": result.collected.rows_accepted,
        "rows_rejected": result.collected.rows_rejected,
        "report": str(report.relative_to(out)),
        "docx": str(result.docx.relative_to(out)),
        "message_id": result.message_id,
        "approval": result.approved_by,
    }


_DELIVERY_WORDS = {"sent": "đã gửi", "already_sent": "đã gửi trước đó", "recovered_from_pending": "đã gửi (khôi phục)",
                   "resent_after_crash": "gửi lại sau sự cố"}


def _print_summary(summary: list[dict[str, Any]]) -> None:
    table = Table(title="Kết quả các hạn báo cáo năm 2024")
    for column in ("Hạn", "Trước ngày", "Đã gửi lúc", "Gửi", "Phê duyệt", "Đọc", "Hợp lệ", "Loại", "Báo cáo"):
        table.add_column(column, overflow="fold")
    for row in summary:
        sent_at = dt.datetime.fromisoformat(row["sent_at"]).strftime("%d/%m/%Y %H:%M") if row["sent_at"] else ""
        table.add_row(row["id"], dt.date.fromisoformat(row["due_before"]).strftime("%d/%m/%Y"), sent_at,
                      _DELIVERY_WORDS.get(row["delivery"], row["delivery"]), row["approval"], str(row["rows_read"]),
                      str(row["rows_accepted"]), str(row["rows_rejected"]), Path(row["report"]).name)
    console.print(table)


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


def _settings(plan_path: Path, out: Path, data: Path | None, smtp_host: str, smtp_port: int,
              ledger: str) -> RunSettings:
    out = out.resolve()
    return RunSettings(plan_path=plan_path.resolve(), data_dir=(data or out / "data").resolve(), out_dir=out,
                       smtp_host=smtp_host, smtp_port=smtp_port, ledger_url=ledger)


def _clock(plan: Plan, as_of: dt.datetime | None) -> dt.datetime:
    """The clock a command reads: the one given (a date alone is its start, in the plan's zone) or real time."""
    zone = ZoneInfo(plan.timezone)
    if as_of is None:
        return dt.datetime.now(zone)
    return as_of.astimezone(zone) if as_of.tzinfo else as_of.replace(tzinfo=zone)


@app.command(name="calendar")
def calendar_command(
    plan_path: PlanOption,
    as_json: Annotated[bool, typer.Option("--json", help="In mọi lượt chạy theo lịch dạng JSON.")] = False,
    ics: Annotated[Path | None, typer.Option("--ics", help="Ghi lịch ra tệp iCalendar (.ics).")] = None,
) -> None:
    """Lịch các lượt chạy: nhắc nộp, dự thảo chờ phê duyệt, gửi báo cáo, kiểm tra — giờ Việt Nam (+07:00)."""
    from thidua.schedule import runs

    plan = _load_or_exit(plan_path)
    scheduled = runs(plan)
    if ics is not None:
        ics.write_bytes(_ics(plan, scheduled))
        console.print(f"Đã ghi {len(scheduled)} sự kiện vào {ics}.", highlight=False)
    if as_json:
        rows = [{"deadline": r.deadline_id, "kind": r.kind.value, "at": r.at.isoformat(),
                 **({"days_before": r.days_before} if r.days_before is not None else {}), "label": r.label}
                for r in scheduled]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif ics is None:
        table = Table(title=f"Lịch chạy — {plan.school.name} năm {plan.year}")
        for column in ("Lượt chạy", "Thời điểm"):
            table.add_column(column)
        for r in scheduled:
            table.add_row(r.label, r.at.isoformat(timespec="minutes"))
        console.print(table)



def _ics(plan: Plan, scheduled: list[Any]) -> bytes:
    """An RFC 5545 calendar (icalendar writes CRLF, folding and the VTIMEZONE), stable across re-exports."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", f"-//thidua//{plan.id}//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Thi đua – khen thưởng {plan.year} – {plan.school.name}")
    cal.add("x-wr-timezone", plan.timezone)
    stamp = dt.datetime.combine(plan.plan_document.date, dt.time(0, 0), dt.UTC)
    for run in scheduled:
        event = icalendar.Event()
        event.add("uid", f"{plan.id}-{run.name}@{plan.school.email_domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", run.at)
        event.add("dtend", run.at + dt.timedelta(minutes=30))
        event.add("summary", f"{run.label}: {run.deadline.deadline.title}")
        event.add("description", f"Báo cáo phải đến nơi nhận trước ngày {run.deadline.deadline.due_before:%d/%m/%Y}.")
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


@app.command()
def deploy(
    plan_path: Annotated[Path, typer.Argument(help="Tệp kế hoạch (YAML), hoặc thư mục kế hoạch của cả quận "
                                                   "(mỗi trường một tệp).", exists=True)],
    out: OutOption = Path("out"),
    data: DataOption = None,
    smtp_host: SmtpHostOption = "127.0.0.1",
    smtp_port: SmtpPortOption = 25,
    ledger: LedgerOption = "",
    work_pool: Annotated[str, typer.Option("--work-pool", help="Work pool (loại process) chạy các lượt.")] = "thidua",
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
    import asyncio

    from prefect.settings import get_current_settings

    from flows.deploy import deploy_plan, deploy_rollups
    from flows.district import DistrictError, district_schools

    if not get_current_settings().api.url:
        console.print("[bold red]Chưa đặt PREFECT_API_URL:[/] hãy trỏ tới máy chủ Prefect (ví dụ "
                      "http://127.0.0.1:4200/api) rồi chạy lại.", highlight=False)
        raise typer.Exit(code=2)
    if plan_path.is_dir():
        base = _settings(plan_path, out, data, smtp_host, smtp_port, ledger)
        try:
            schools = district_schools(plan_path, base, base.out_dir, data.resolve() if data else None)
        except DistrictError as error:
            console.print(f"[bold red]Thư mục kế hoạch có lỗi:[/]\n{error}", highlight=False)
            raise typer.Exit(code=2) from None
    else:
        schools = [_settings(plan_path, out, data, smtp_host, smtp_port, ledger)]
    plans = []
    for index, settings in enumerate(schools):
        plan = _load_or_exit(settings.plan_path)
        schools[index] = settings.model_copy(update={"backend": plan.backend,
                                                     "google_secret_block": google_secret_block})
        _print_warnings(plan)
        plans.append(plan)

    async def deploy_all() -> list[tuple[list[Any], list[str]]]:
        # A few schools at a time: one school's upserts are sequential round trips, the server takes several.
        gate = asyncio.Semaphore(4)

        async def one(plan: Plan, settings: RunSettings) -> tuple[list[Any], list[str]]:
            async with gate:
                return await deploy_plan(plan, settings, work_pool, _clock(plan, as_of), rehearsal=as_of is not None)

        return list(await asyncio.gather(*(one(p, s) for p, s in zip(plans, schools, strict=True))))

    for plan, (deployed, removed) in zip(plans, asyncio.run(deploy_all()), strict=True):
        _print_deployed(plan, _clock(plan, as_of), deployed, removed, brief=len(schools) > 1)
    if plan_path.is_dir():
        rollups = asyncio.run(deploy_rollups(schools, work_pool, _clock(plans[0], as_of), rollup_to))
        console.print(f"[green]Tổng hợp toàn quận:[/] {sum(s for _, _, s in rollups)}/{len(rollups)} hạn lên lịch "
                      f"({len(schools)} trường).", highlight=False)


def _print_deployed(plan: Plan, now: dt.datetime, deployed: list[Any], removed: list[str], brief: bool) -> None:
    late = [d for d in deployed if d.started_late]
    if not brief:
        table = Table(title=f"Lịch đã đăng ký — {plan.id} (đồng hồ: {now.isoformat(timespec='minutes')})")
        for column in ("Lượt chạy", "Thời điểm", "Deployment", "Trạng thái"):
            table.add_column(column, overflow="fold")
        for d in deployed:
            state = "[green]đã lên lịch[/]" if d.scheduled else (
                f"[bold red]TRỄ HẠN – {d.note}[/]" if d.started_late else f"[yellow]{d.note}[/]")
            table.add_row(d.run.label, d.run.at.isoformat(timespec="minutes"), d.deployment, state)
        console.print(table)
        for d in late:
            console.print(f"[bold red]Trễ hạn:[/] {d.run.deadline_id} lẽ ra gửi lúc {d.run.at:%H:%M %d/%m/%Y}; "
                          f"đã cho chạy ngay (lượt chạy {d.started_late}).", highlight=False)
    if removed:
        console.print(f"Đã xoá {len(removed)} lịch cũ không còn trong kế hoạch: {', '.join(removed)}", highlight=False)
    console.print(f"[green]{plan.id}: đã đăng ký {len(deployed)} lượt chạy[/] ({sum(d.scheduled for d in deployed)} "
                  f"lên lịch, {len(late)} chạy ngay vì trễ hạn).", highlight=False)


def _deadline_state(scheduled: Any, records: list[Any], approved: bool, now: dt.datetime) -> tuple[str, str]:
    """The state word and sent-at the clerk reads for one deadline."""
    sent = sorted((r for r in records if r.sent_at is not None), key=lambda r: r.key.version)
    if sent:
        first, last = sent[0], sent[-1]
        word = "đã gửi" if first.sent_at <= scheduled.must_arrive_by else "đã gửi (TRỄ)"
        if last.key.version > 1:
            word += f", bản thay thế v{last.key.version}"
        return word, f"{first.sent_at.astimezone(scheduled.send_at.tzinfo):%d/%m/%Y %H:%M}"
    if records:
        return "đang gửi (chưa xác nhận)", ""
    if now > scheduled.must_arrive_by:
        return "QUÁ HẠN, chưa gửi", ""
    if now >= scheduled.send_at:
        return "đã đến giờ gửi, chưa gửi", ""
    return ("đã phê duyệt, chờ gửi" if approved else "chưa đến hạn"), ""


@app.command()
def status(
    plan_path: PlanOption,
    out: OutOption = Path("out"),
    data: DataOption = None,
    ledger: LedgerOption = "",
    as_of: AsOfOption = None,
) -> None:
    """Lịch các hạn báo cáo và tình trạng: đã gửi lúc nào, đã phê duyệt chưa, ai/tổ nào chưa nộp."""
    from connectors.local.files import FileSource
    from connectors.ports import DeliveryKey
    from flows.common import open_ledger
    from thidua.pipeline import collect, source_ids_for
    from thidua.reminders import has_reminders, missing

    plan = _load_or_exit(plan_path)
    now = _clock(plan, as_of)
    settings = _settings(plan_path, out, data, "127.0.0.1", 25, ledger)
    book = open_ledger(settings)
    records = book.all()
    files = FileSource(settings.data_dir) if settings.data_dir.is_dir() else None
    table = Table(title=f"Tình trạng các hạn báo cáo — {plan.school.name} (lúc {now:%H:%M %d/%m/%Y})")
    for column in ("Hạn", "Báo cáo", "Phải đến trước", "Gửi theo lịch", "Trạng thái", "Đã gửi lúc", "Còn thiếu"):
        table.add_column(column, overflow="fold")
    for item in calendar(plan):
        mine = [r for r in records if r.key.school_id == plan.id and r.key.deadline_id == item.id]
        approved = book.approval(DeliveryKey(plan.id, item.id, 1)) is not None
        state, sent_at = _deadline_state(item, mine, approved, now)
        lacking = "—"
        if files is not None and has_reminders(item.deadline):
            sources = {s.id: s for s in plan.sources}
            tables = {sid: files.read(sources[sid]) for sid in source_ids_for(plan, item.deadline.kind)}
            found = missing(plan, item.deadline, collect(plan, tables, min(now, item.send_at)).dataset)
            parts = [f"{len(found.people)} người chưa nộp"] if found.people else []
            parts += [f"tổ chưa nộp: {', '.join(plan.team(t).name for t in found.teams)}"] if found.teams else []
            lacking = "; ".join(parts) or "đủ"
        table.add_row(item.id, item.deadline.title, f"{item.must_arrive_by:%d/%m/%Y %H:%M}",
                      f"{item.send_at:%d/%m/%Y %H:%M}", state, sent_at, lacking)
    console.print(table)
    if files is None:
        console.print(f"(Không có thư mục dữ liệu {settings.data_dir}: bỏ qua cột «Còn thiếu».)", highlight=False)


@app.command()
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
    from flows.deadline import AUTO_APPROVER, deadline_flow

    plan = _load_or_exit(plan_path)
    if deadline_id not in {d.id for d in plan.deadlines}:
        console.print(f"[bold red]Không có hạn «{deadline_id}» trong kế hoạch.[/]", highlight=False)
        raise typer.Exit(code=2)
    if not reason.strip():
        console.print("[bold red]Cần ghi lý do gửi bản thay thế (--reason).[/]")
        raise typer.Exit(code=2)
    settings = _settings(plan_path, out, data, smtp_host, smtp_port, ledger)
    versions = [r.key.version for r in open_ledger(settings).all()
                if r.key.school_id == plan.id and r.key.deadline_id == deadline_id]
    if not versions:
        console.print(f"[bold red]Báo cáo {deadline_id} chưa được gửi lần nào:[/] không có gì để thay thế.",
                      highlight=False)
        raise typer.Exit(code=2)
    if auto_approve:
        console.print(f"[bold yellow]Chạy thử:[/] {AUTO_APPROVER}.", highlight=False)
    version = max(versions) + 1
    result = deadline_flow(settings, deadline_id, _clock(plan, as_of), version=version, auto_approve=auto_approve,
                           reason=reason.strip())
    console.print(f"Đã gửi bản thay thế {deadline_id} phiên bản {version} ({result.delivery_status}), "
                  f"Message-ID {result.message_id}; lý do: {reason.strip()}", highlight=False)


app.command(name="emulator")(emulator_command)
google_app = typer.Typer(help="Google Workspace: khởi tạo biểu mẫu, bảng tính, thư mục và mẫu báo cáo từ kế hoạch.",
                         no_args_is_help=True)
app.add_typer(google_app, name="google")


@google_app.command("provision")
def google_provision(
    plan_path: PlanOption,
    out: Annotated[Path, typer.Option("--out", help="Bản sao kế hoạch có ghi mã các mục đã tạo.")],
    base_url: Annotated[str, typer.Option("--base-url", help="Địa chỉ Workspace giả lập (bỏ trống: Google thật).")]
    = "",
    secret_block: Annotated[str, typer.Option("--secret-block", help="Tên Prefect Secret block chứa khóa.")] = "",
) -> None:
    """Tạo (hoặc tìm lại) mọi mục Google mà kế hoạch cần; chạy lại không tạo thêm gì."""
    from connectors.google import endpoints
    from connectors.google.api import GoogleApi, GoogleApiError
    from connectors.google.auth import SCOPES, credential_info, load_credentials, prefect_secret
    from connectors.google.provision import Provisioner
    from flows.settings import DEFAULT_TEMPLATES
    from thidua.plan import GoogleSettings
    from thidua_cli.google_demo import write_plan

    plan = _load_or_exit(plan_path)
    google = plan.google or GoogleSettings(user=plan.delivery.sender)
    plan = plan.model_copy(update={"google": google})
    url = base_url or None
    try:
        credentials = load_credentials(credential_info(prefect_secret(secret_block) if secret_block else None),
                                       google.user, url, SCOPES)
        done = Provisioner(plan, endpoints.build_service("drive", "v3", credentials, url),
                           endpoints.build_service("forms", "v1", credentials, url),
                           endpoints.gspread_client(credentials, url), GoogleApi(), DEFAULT_TEMPLATES).run()
    except GoogleApiError as error:
        console.print(f"[bold red]Không khởi tạo được:[/] {error}", highlight=False)
        raise typer.Exit(code=1) from None
    write_plan(done.plan, out)
    if done.created:
        console.print(f"Đã tạo {len(done.created)} mục:", highlight=False)
        for name in done.created:
            console.print(f"  • {name}", highlight=False)
    else:
        console.print("Mọi mục đã có sẵn: không tạo thêm gì.")
    console.print(f"Kế hoạch kèm mã các mục: {out}", highlight=False)


if __name__ == "__main__":
    app()
