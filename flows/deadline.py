"""Prefect flows for one deadline: collect → build report → deliver, chained by `deadline_flow`.

Flows only orchestrate: each task does one I/O step (retry-safe) or calls the pure core once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from connectors.local.delivery import deliver_once
from connectors.local.documents import LocalDocumentBuilder
from connectors.local.files import FileSource
from connectors.local.ledger import SqliteLedger
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import message_ids_in
from connectors.ports import DeliveryKey
from flows.settings import RunSettings
from thidua import mail
from thidua.calendar import schedule
from thidua.pipeline import Collected, collect, source_ids_for
from thidua.plan import Deadline, Plan, ReportKind, parse_plan
from thidua.reports import build_context
from thidua.rows import Table


@dataclass(frozen=True)
class DeadlineResult:
    """What the clerk and summary.json need to know about one deadline's run."""

    deadline_id: str
    due_before: dt.date
    send_at: dt.datetime
    late: bool
    collected: Collected
    docx: Path
    pdf: Path | None
    recipients: tuple[str, ...]
    message_id: str
    delivery_status: str
    sent_at: dt.datetime | None


def load_plan(path: Path) -> Plan:
    return parse_plan(path.read_text(encoding="utf-8"), filename=str(path))


@task(retries=2, retry_delay_seconds=1)
def read_source(settings: RunSettings, source_id: str) -> Table:
    plan = load_plan(settings.plan_path)
    source = next(s for s in plan.sources if s.id == source_id)
    return FileSource(settings.data_dir).read(source)


@task
def validate_rows(settings: RunSettings, tables: dict[str, Table], as_of: dt.datetime) -> Collected:
    return collect(load_plan(settings.plan_path), tables, as_of)


@flow(name="thidua-collect", log_prints=True)
def collect_flow(settings: RunSettings, deadline_id: str, as_of: dt.datetime) -> Collected:
    """Reads every source the deadline's report needs, as the sheets stood at `as_of`, and validates them."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    futures = {sid: read_source.submit(settings, sid) for sid in source_ids_for(plan, deadline.kind)}
    tables = {sid: future.result() for sid, future in futures.items()}
    return validate_rows(settings, tables, as_of)


@task
def compose_report(settings: RunSettings, deadline_id: str, collected: Collected,
                   issued_on: dt.date, baseline: Collected | None) -> dict[str, Any]:
    plan = load_plan(settings.plan_path)
    return build_context(plan, plan.deadline(deadline_id), collected.dataset, issued_on,
                         baseline.dataset if baseline else None)


@task(retries=1, retry_delay_seconds=2)
def render_report(settings: RunSettings, template: str, context: dict[str, Any], basename: str) -> tuple[
        Path, Path | None]:
    built = LocalDocumentBuilder(settings.templates_dir, settings.reports_dir).build(template, context, basename)
    return built.docx, built.pdf


@flow(name="thidua-build-report")
def build_report_flow(settings: RunSettings, deadline_id: str, context: dict[str, Any]) -> tuple[Path, Path | None]:
    """Fills the deadline's template and converts it to PDF (skipped, and said so, without LibreOffice)."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    docx, pdf = render_report(settings, deadline.template, context, report_basename(plan, deadline))
    if pdf is None:
        get_run_logger().warning("Không có LibreOffice: bỏ qua bước xuất PDF, gửi tệp DOCX.")
    return docx, pdf


def report_basename(plan: Plan, deadline: Deadline) -> str:
    return f"{plan.id}_{deadline.id}_{deadline.kind.value}"


def _clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `start` now and moves on in real time: the demo's simulated 2024 keeps ticking."""
    real_start = dt.datetime.now(dt.UTC)
    return lambda: start + (dt.datetime.now(dt.UTC) - real_start)


@task(retries=3, retry_delay_seconds=2)
def send_report(settings: RunSettings, deadline_id: str, attachment: Path, now: dt.datetime,
                version: int = 1) -> tuple[str, str, dt.datetime | None, tuple[str, ...]]:
    """Sends once: the ledger and the mailbox together decide, so a retry or a re-run never sends twice."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    recipients = plan.recipient_emails(deadline)
    texts = mail.compose_report_texts(
        school_name=plan.school.name, report_title=deadline.title,
        recipient_office="; ".join(plan.recipient_names(deadline)), deadline=deadline.due_before,
        signer_title=plan.signer.title, signer_name=plan.signer.name, version=version,
    )
    message_id = mail.report_message_id(plan.id, deadline.id, version, plan.school.email_domain)
    message = mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=recipients,
        allow_list=plan.allow_list, subject=texts.subject, body_text=texts.body_text, body_html=texts.body_html,
        attachment=attachment.read_bytes(), attachment_name=f"{deadline.id} - {deadline.title}{attachment.suffix}",
        attachment_mime=mail.ATTACHMENT_MIME_BY_SUFFIX[attachment.suffix], message_id=message_id, header_date=now,
    )
    clock = _clock_from(now)
    outcome = deliver_once(
        SqliteLedger(settings.ledger_path, clock=clock), SmtpMailer(settings.smtp_host, settings.smtp_port),
        message, DeliveryKey(plan.id, deadline.id, version), sent_ids=lambda: message_ids_in(settings.mail_dir),
        now=clock,
    )
    return outcome.status.value, message_id, outcome.record.sent_at, recipients


@flow(name="thidua-deliver")
def deliver_flow(settings: RunSettings, deadline_id: str, attachment: Path,
                 now: dt.datetime) -> tuple[str, str, dt.datetime | None, tuple[str, ...]]:
    """Emails the report to the deadline's recipients (only addresses on the plan's allow-list)."""
    status, message_id, sent_at, recipients = send_report(settings, deadline_id, attachment, now)
    get_run_logger().info("Gửi %s: %s (%s)", deadline_id, status, message_id)
    return status, message_id, sent_at, recipients


@flow(name="thidua-deadline", flow_run_name="{deadline_id}")
def deadline_flow(settings: RunSettings, deadline_id: str, now: dt.datetime) -> DeadlineResult:
    """One deadline from sheets to the district's inbox, as the clock `now` says."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    scheduled = schedule(plan, deadline)
    collected = collect_flow(settings, deadline_id, now)
    baseline = None
    if deadline.kind is ReportKind.ANNUAL:
        first = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
        baseline = collect_flow(settings, first.id, schedule(plan, first).send_at)
    context = compose_report(settings, deadline_id, collected, now.date(), baseline)
    docx, pdf = build_report_flow(settings, deadline_id, context)
    status, message_id, sent_at, recipients = deliver_flow(settings, deadline_id, pdf or docx, now)
    result = DeadlineResult(
        deadline_id=deadline.id, due_before=deadline.due_before, send_at=scheduled.send_at,
        late=now > scheduled.must_arrive_by, collected=collected, docx=docx, pdf=pdf, recipients=recipients,
        message_id=message_id, delivery_status=status, sent_at=sent_at,
    )
    publish_artifacts(plan, result)
    return result


def publish_artifacts(plan: Plan, result: DeadlineResult) -> None:
    """The clerk's view in the Prefect UI: counts per source, every reject, and the delivery."""
    key = f"{plan.id}-{result.deadline_id}".lower()
    create_table_artifact(
        key=f"{key}-counts",
        table=[{"Nguồn": c.source_id, "Số dòng": c.rows_read, "Hợp lệ": c.rows_accepted, "Bị loại": c.rows_rejected,
                "Nộp lại (lưu lịch sử)": c.superseded} for c in result.collected.counts],
        description=f"Số dòng đọc được cho hạn {result.deadline_id}",
    )
    if result.collected.rejects:
        create_table_artifact(
            key=f"{key}-rejects",
            table=[{"Nguồn": r.source_id, "Trang": r.sheet, "Dòng": r.row_number, "Cột": r.field, "Giá trị": r.value,
                    "Lý do": r.reason} for r in result.collected.rejects],
            description=f"Các dòng cần thư ký sửa (hạn {result.deadline_id})",
        )
    state = {"sent": "đã gửi", "already_sent": "đã gửi trước đó, không gửi lại",
             "recovered_from_pending": "đã gửi trong lần chạy trước (tìm thấy trong hộp thư), không gửi lại",
             "resent_after_crash": "gửi lại sau sự cố (lần trước chưa gửi được)"}.get(result.delivery_status,
                                                                                     result.delivery_status)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=(
            f"## {result.deadline_id} — hạn trước {result.due_before:%d/%m/%Y}\n\n"
            f"- Thời điểm gửi theo lịch: {result.send_at:%d/%m/%Y %H:%M}{' (TRỄ HẠN)' if result.late else ''}\n"
            f"- Số dòng: {result.collected.rows_read} đọc, {result.collected.rows_accepted} hợp lệ, "
            f"{result.collected.rows_rejected} bị loại\n"
            f"- Báo cáo: `{result.pdf or result.docx}`\n"
            f"- Gửi tới: {', '.join(result.recipients)} — {state} (Message-ID `{result.message_id}`)\n"
        ),
        description=f"Tóm tắt hạn {result.deadline_id}",
    )
