"""Prefect flows for one deadline: collect → build report → principal's approval → deliver.

`draft_flow` builds the draft and waits for the principal; `deadline_flow` (the send) sends exactly the approved
file, waiting for the approval itself when none has arrived yet. Flows only orchestrate: each task does one I/O
step (retry-safe) or calls the pure core once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from prefect import flow, get_run_logger, pause_flow_run, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.runtime import flow_run as current_run
from pydantic import Field

from connectors.local.delivery import deliver_once
from connectors.local.documents import ANNEX_SUFFIX
from connectors.local.ledger import Approval
from connectors.ports import DeliveryKey
from flows.common import (
    ALREADY_ALERTED,
    alert_clerk_on_failure,
    backend,
    email_clerk,
    load_plan,
    mailer,
    open_ledger,
    outbox_ids,
    plan_now,
)
from flows.settings import RunSettings
from thidua import mail
from thidua.calendar import schedule
from thidua.district import title_counts
from thidua.pipeline import Collected, collect, source_ids_for
from thidua.plan import Deadline, Plan, ReportKind
from thidua.reminders import INDIVIDUAL_FORM, Missing, missing
from thidua.reports import build_context
from thidua.rows import Table
from thidua.schedule import approval_due, check_at

AUTO_APPROVER = "phê duyệt tự động (chạy thử)"


class ApprovalMissing(Exception):
    """No decision from the principal by the set time; the message is for the clerk."""


class ApprovalDecision(RunInput):
    """What the principal answers in the Prefect UI when the run waits: approve, or reject with a comment."""

    decision: Literal["phê duyệt", "không duyệt"] = Field(title="Quyết định của Hiệu trưởng")
    comment: str = Field(default="", title="Ý kiến (cần ghi khi không duyệt: sửa gì trước khi lập lại dự thảo)")


@dataclass(frozen=True)
class Draft:
    """One build of a deadline's report from the sheets as they stood at `as_of`."""

    collected: Collected
    missing: Missing
    docx: Path
    pdf: Path | None

    @property
    def report(self) -> Path:
        return self.pdf or self.docx


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
    approved_by: str
    version: int = 1


@task(retries=2, retry_delay_seconds=1)
def read_source(settings: RunSettings, source_id: str) -> Table:
    plan = load_plan(settings.plan_path)
    source = next(s for s in plan.sources if s.id == source_id)
    return backend(settings).source.read_many([source])[source.id]


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
                   issued_on: dt.date, baseline: Collected | None) -> Path:
    """The report's content, kept as JSON beside the reports: what was said, and small enough to hand over by
    path (a large school's context exceeds what Prefect accepts as flow parameters)."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    context = build_context(plan, deadline, collected.dataset, issued_on, baseline.dataset if baseline else None)
    context["title_counts"] = title_counts(deadline.kind, collected.dataset)  # read by the district's roll-up
    path = settings.contexts_dir / f"{report_basename(plan, deadline)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(context, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@task(retries=3, retry_delay_seconds=2)
def render_report(settings: RunSettings, template: str, context_path: Path, basename: str) -> tuple[
        Path, Path | None]:
    context = json.loads(context_path.read_text(encoding="utf-8"))
    built = backend(settings).documents.build(template, context, basename)
    return built.docx, built.pdf


@flow(name="thidua-build-report")
def build_report_flow(settings: RunSettings, deadline_id: str, context_path: Path) -> tuple[Path, Path | None]:
    """Fills the deadline's template and converts it to PDF (skipped, and said so, without LibreOffice)."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    docx, pdf = render_report(settings, deadline.template, context_path, report_basename(plan, deadline))
    if pdf is None:
        get_run_logger().warning("Không có LibreOffice: bỏ qua bước xuất PDF, gửi tệp DOCX.")
    return docx, pdf


def report_basename(plan: Plan, deadline: Deadline) -> str:
    return f"{plan.id}_{deadline.id}_{deadline.kind.value}"


def prepare_report(settings: RunSettings, deadline_id: str, now: dt.datetime) -> Draft:
    """Collect, count and render the deadline's report as of `now` (the annual report also reads the start)."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    collected = collect_flow(settings, deadline_id, now)
    baseline = None
    if deadline.kind is ReportKind.ANNUAL:
        first = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
        baseline = collect_flow(settings, first.id, schedule(plan, first).send_at)
    context = compose_report(settings, deadline_id, collected, now.date(), baseline)
    docx, pdf = build_report_flow(settings, deadline_id, context)
    return Draft(collected, missing(plan, deadline, collected.dataset), docx, pdf)


def annex_of(report: Path) -> Path:
    """The annex workbook written beside a report (connectors.local.documents), or beside its approved copy."""
    return report.with_name(f"{report.stem}{ANNEX_SUFFIX}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@task
def record_approval(settings: RunSettings, key: DeliveryKey, report: Path, approved_by: str,
                    comment: str) -> Approval:
    """Keeps a copy of exactly what was approved, so a later rebuild cannot slip into the send."""
    settings.approved_dir.mkdir(parents=True, exist_ok=True)
    kept = settings.approved_dir / f"{report.stem}_v{key.version}{report.suffix}"
    shutil.copyfile(report, kept)
    if annex_of(report).is_file():  # the annex approved with the report is the one sent with it
        shutil.copyfile(annex_of(report), annex_of(kept))
    return open_ledger(settings).approve(key, kept, _sha256(kept), approved_by, comment)


@task(retries=2, retry_delay_seconds=2)
def email_draft(settings: RunSettings, deadline_id: str, report: Path, round_: int, comment: str) -> str:
    """Sends the draft to the principal (copy to the clerk): the only addresses a draft may reach."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    where = current_run.ui_url or "Prefect UI (mục Flow Runs, lượt chạy đang tạm dừng)"
    lines = [
        f"Kính gửi {plan.signer.title.capitalize()} {plan.signer.name},",
        f"Dự thảo báo cáo «{deadline.title}» (lần {round_}) được đính kèm theo thư này.",
        *([f"Đã lập lại theo ý kiến: «{comment}»."] if comment else []),
        f"Kính đề nghị phê duyệt hoặc ghi ý kiến tại: {where}",
        f"Trân trọng,\n{plan.clerk.name}",
    ]
    body = "\n\n".join(lines) + "\n"
    message = mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name,
        recipients=[plan.signer.email, plan.clerk.email], allow_list=[plan.signer.email, plan.clerk.email],
        subject=f"[Dự thảo chờ phê duyệt] {deadline.title}", body_text=body,
        body_html="".join(f"<p>{html.escape(p)}</p>\n" for p in lines), attachment=report.read_bytes(),
        attachment_name=f"Dự thảo {deadline.id}{report.suffix}",
        attachment_mime=mail.ATTACHMENT_MIME_BY_SUFFIX[report.suffix],
        message_id=make_msgid(f"thidua.duthao.{deadline.id}", domain=plan.school.email_domain),
        header_date=plan_now(plan, None),
    )
    mailer(settings).send(message)
    return str(message["Message-ID"])


def obtain_approval(settings: RunSettings, deadline_id: str, version: int, now: dt.datetime, until: dt.datetime,
                    draft: Draft, auto_approve: bool) -> tuple[Approval, Draft]:
    """The approval of this version: already recorded, given by the demo, or asked of the principal (re-drafting
    after each rejection) until `until`; past it the run fails and the clerk is alerted."""
    plan = load_plan(settings.plan_path)
    key = DeliveryKey(plan.id, deadline_id, version)
    found = open_ledger(settings).approval(key)
    if found is not None:
        return found, draft
    if auto_approve:
        get_run_logger().warning("Hạn %s: %s.", deadline_id, AUTO_APPROVER)
        return record_approval(settings, key, draft.report, AUTO_APPROVER, ""), draft
    comment = ""
    for round_ in range(1, 100):
        email_draft(settings, deadline_id, draft.report, round_, comment)
        seconds = int((until - now).total_seconds())
        try:
            if seconds <= 0:
                raise FlowPauseTimeout
            decision = pause_flow_run(wait_for_input=ApprovalDecision, timeout=seconds,
                                      key=f"duyet-v{version}-{round_}", poll_interval=settings.approval_poll_seconds)
        except FlowPauseTimeout:
            message = (f"Hạn {deadline_id}: chưa có phê duyệt của Hiệu trưởng {plan.signer.name} trước "
                       f"{until:%H:%M %d/%m/%Y}; báo cáo chưa được gửi. Hãy liên hệ Hiệu trưởng, rồi chạy lại.")
            email_clerk(settings, f"Cảnh báo: hạn {deadline_id} chưa được phê duyệt", message)
            run_id = current_run.get_id()
            if run_id:
                ALREADY_ALERTED.add(UUID(run_id))
            raise ApprovalMissing(message) from None
        if decision.decision == "phê duyệt":
            return record_approval(settings, key, draft.report, plan.signer.name, decision.comment), draft
        comment = decision.comment or "(không ghi ý kiến)"
        create_markdown_artifact(
            key=f"{plan.id}-{deadline_id}-tu-choi".lower(),
            markdown=f"## {deadline_id}: dự thảo lần {round_} không được duyệt\n\nÝ kiến: {comment}\n",
            description=f"Ý kiến của Hiệu trưởng về dự thảo {deadline_id}",
        )
        get_run_logger().warning("Hạn %s: dự thảo lần %d không được duyệt (%s); lập lại.", deadline_id, round_,
                                 comment)
        draft = prepare_report(settings, deadline_id, now)
    raise ApprovalMissing(f"Hạn {deadline_id}: quá nhiều lần không duyệt.")


def _clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `start` now and moves on in real time: the demo's simulated 2024 keeps ticking."""
    real_start = dt.datetime.now(dt.UTC)
    return lambda: start + (dt.datetime.now(dt.UTC) - real_start)


@task(retries=3, retry_delay_seconds=2)
def send_report(settings: RunSettings, deadline_id: str, attachment: Path, now: dt.datetime,
                version: int = 1, reason: str = "") -> tuple[str, str, dt.datetime | None, tuple[str, ...]]:
    """Sends once: the ledger and the mailbox together decide, so a retry or a re-run never sends twice."""
    plan = load_plan(settings.plan_path)
    deadline = plan.deadline(deadline_id)
    recipients = plan.recipient_emails(deadline)
    texts = mail.compose_report_texts(
        school_name=plan.school.name, report_title=deadline.title,
        recipient_office="; ".join(plan.recipient_names(deadline)), deadline=deadline.due_before,
        signer_title=plan.signer.title, signer_name=plan.signer.name, version=version, reason=reason,
    )
    message_id = mail.report_message_id(plan.id, deadline.id, version, plan.school.email_domain)
    annex = annex_of(attachment)
    message = mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=recipients,
        allow_list=plan.allow_list, subject=texts.subject, body_text=texts.body_text, body_html=texts.body_html,
        attachment=attachment.read_bytes(), attachment_name=f"{deadline.id} - {deadline.title}{attachment.suffix}",
        attachment_mime=mail.ATTACHMENT_MIME_BY_SUFFIX[attachment.suffix], message_id=message_id, header_date=now,
        annex=annex.read_bytes() if annex.is_file() else None,
        annex_name=f"{deadline.id} - Phụ lục số liệu chi tiết.xlsx",
    )
    clock = _clock_from(now)
    outcome = deliver_once(
        open_ledger(settings, clock), mailer(settings), message, DeliveryKey(plan.id, deadline.id, version),
        sent_ids=lambda: outbox_ids(settings, message_id), now=clock,
        stale_after=dt.timedelta(seconds=settings.stale_after_seconds),
    )
    return outcome.status.value, message_id, outcome.record.sent_at, recipients


@flow(name="thidua-deliver")
def deliver_flow(settings: RunSettings, deadline_id: str, attachment: Path, now: dt.datetime,
                 version: int = 1, reason: str = "") -> tuple[str, str, dt.datetime | None, tuple[str, ...]]:
    """Emails the report to the deadline's recipients (only addresses on the plan's allow-list)."""
    status, message_id, sent_at, recipients = send_report(settings, deadline_id, attachment, now, version, reason)
    get_run_logger().info("Gửi %s: %s (%s)", deadline_id, status, message_id)
    return status, message_id, sent_at, recipients


@flow(name="thidua-draft", flow_run_name="{deadline_id}-draft", on_failure=[alert_clerk_on_failure],
      on_crashed=[alert_clerk_on_failure])
def draft_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None, version: int = 1) -> str:
    """Builds the draft, emails it to the principal and waits for the decision until the approval time."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    scheduled = schedule(plan, plan.deadline(deadline_id))
    draft = prepare_report(settings, deadline_id, now)
    approval, draft = obtain_approval(settings, deadline_id, version, now, approval_due(plan, scheduled), draft,
                                      auto_approve=False)
    publish_artifacts(plan, draft, deadline_id, f"Dự thảo đã được {approval.approved_by} phê duyệt.")
    return approval.approved_by


@flow(name="thidua-deadline", flow_run_name="{deadline_id}", on_failure=[alert_clerk_on_failure],
      on_crashed=[alert_clerk_on_failure])
def deadline_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None, version: int = 1,
                  auto_approve: bool = False, late: bool = False, reason: str = "") -> DeadlineResult:
    """The send: one deadline from sheets to the district's inbox, once, as approved; `late` when run after its
    time (deployed too late), `reason` for a replacement version."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    deadline = plan.deadline(deadline_id)
    scheduled = schedule(plan, deadline)
    logger = get_run_logger()
    if late:
        logger.warning("Hạn %s chạy trễ: lịch gửi %s đã qua khi triển khai.", deadline_id,
                       f"{scheduled.send_at:%H:%M %d/%m/%Y}")
    draft = prepare_report(settings, deadline_id, now)
    attachment, approved_by = draft.report, "không yêu cầu phê duyệt (kế hoạch tắt)"
    if plan.delivery.approval_required:
        until = check_at(plan, scheduled)
        if until <= now:  # already late: the principal still gets the usual time to decide
            until = now + dt.timedelta(days=max(1, plan.delivery.approval_lead_days))
        approval, draft = obtain_approval(settings, deadline_id, version, now, until, draft, auto_approve)
        if _sha256(approval.report) != approval.sha256:
            raise ApprovalMissing(f"Hạn {deadline_id}: tệp đã phê duyệt {approval.report} bị thay đổi sau khi duyệt; "
                                  "không gửi. Hãy lập và phê duyệt lại.")
        attachment, approved_by = approval.report, approval.approved_by
    status, message_id, sent_at, recipients = deliver_flow(settings, deadline_id, attachment, now, version, reason)
    result = DeadlineResult(
        deadline_id=deadline.id, due_before=deadline.due_before, send_at=scheduled.send_at,
        late=late or now > scheduled.must_arrive_by, collected=draft.collected, docx=draft.docx, pdf=draft.pdf,
        recipients=recipients, message_id=message_id, delivery_status=status, sent_at=sent_at,
        approved_by=approved_by, version=version,
    )
    note = _delivery_note(result) + (f"\n- Lý do gửi bản thay thế: {reason}" if reason else "")
    publish_artifacts(plan, draft, deadline_id, note)
    return result


DELIVERY_WORDS = {"sent": "đã gửi", "already_sent": "đã gửi trước đó, không gửi lại",
                  "recovered_from_pending": "đã gửi trong lần chạy trước (tìm thấy trong hộp thư), không gửi lại",
                  "resent_after_crash": "gửi lại sau sự cố (lần trước chưa gửi được)"}


def _delivery_note(result: DeadlineResult) -> str:
    return (
        f"- Thời điểm gửi theo lịch: {result.send_at:%d/%m/%Y %H:%M}{' (TRỄ HẠN)' if result.late else ''}\n"
        f"- Phê duyệt: {result.approved_by}\n"
        f"- Gửi tới: {', '.join(result.recipients)} — "
        f"{DELIVERY_WORDS.get(result.delivery_status, result.delivery_status)} (phiên bản {result.version}, "
        f"Message-ID `{result.message_id}`)"
    )


def publish_artifacts(plan: Plan, draft: Draft, deadline_id: str, note: str) -> None:
    """The clerk's view in the Prefect UI: a row per team, every reject, links to the report, and a summary."""
    key = f"{plan.id}-{deadline_id}".lower()
    dataset = draft.collected.dataset
    create_table_artifact(
        key=f"{key}-teams",
        table=[_team_row(plan, draft, team.id) for team in plan.teams],
        description=f"Theo tổ, hạn {deadline_id}: đã nộp, chưa nộp, hợp lệ (dòng bị loại: xem bảng lý do)",
    )
    create_table_artifact(
        key=f"{key}-counts",
        table=[{"Nguồn": c.source_id, "Số dòng": c.rows_read, "Hợp lệ": c.rows_accepted, "Bị loại": c.rows_rejected,
                "Nộp lại (lưu lịch sử)": c.superseded} for c in draft.collected.counts],
        description=f"Số dòng đọc được cho hạn {deadline_id}",
    )
    if draft.collected.rejects:
        create_table_artifact(
            key=f"{key}-rejects",
            table=[{"Nguồn": r.source_id, "Trang": r.sheet, "Dòng": r.row_number, "Cột": r.field, "Giá trị": r.value,
                    "Lý do": r.reason} for r in draft.collected.rejects],
            description=f"Các dòng bị loại, cần thư ký sửa (hạn {deadline_id})",
        )
    create_link_artifact(key=f"{key}-docx", link=draft.docx.resolve().as_uri(), link_text=draft.docx.name,
                         description=f"Báo cáo {deadline_id} (DOCX)")
    if draft.pdf is not None:
        create_link_artifact(key=f"{key}-pdf", link=draft.pdf.resolve().as_uri(), link_text=draft.pdf.name,
                             description=f"Báo cáo {deadline_id} (PDF)")
    deadline = plan.deadline(deadline_id)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=(
            f"## {deadline_id} — {deadline.title} — hạn trước {deadline.due_before:%d/%m/%Y}\n\n"
            f"- Số dòng: {draft.collected.rows_read} đọc, {draft.collected.rows_accepted} hợp lệ, "
            f"{draft.collected.rows_rejected} bị loại\n"
            f"- Chưa nộp: {len(draft.missing.people)} người, {len(draft.missing.teams)} tổ\n"
            f"- Báo cáo: `{draft.report}`\n{note}\n"
        ),
        description=f"Tóm tắt hạn {deadline_id} ({len(dataset.staff)} viên chức)",
    )


def _team_row(plan: Plan, draft: Draft, team_id: str) -> dict[str, Any]:
    dataset = draft.collected.dataset
    staff = [s for s in dataset.staff if s.team_id == team_id]
    missing_people = draft.missing.people_of(team_id)
    individual = plan.deadline(draft.missing.deadline_id).kind in INDIVIDUAL_FORM
    accepted = sum(1 for records in (dataset.registrations, dataset.collective, dataset.achievements,
                                     dataset.exemplars, dataset.initiatives, dataset.evaluations)
                   for r in records if r.team_id == team_id)
    return {
        "Tổ": plan.team(team_id).name,
        "Viên chức": len(staff),
        "Đã nộp": len(staff) - len(missing_people) if individual else "",
        "Chưa nộp": ", ".join(p.full_name for p in missing_people)
        + (" (tổ chưa gửi biểu mẫu của tổ)" if team_id in draft.missing.teams else ""),
        "Câu trả lời hợp lệ": accepted,
    }
