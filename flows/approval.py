"""The principal's approval of a deadline's report: the draft emailed, the run paused for the decision, and a copy
of exactly what was approved kept, so a later rebuild cannot slip into the send."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from email.utils import make_msgid
from pathlib import Path
from typing import Literal
from uuid import UUID

from prefect import get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import FlowPauseTimeout
from prefect.input import RunInput
from prefect.runtime import flow_run as current_run
from pydantic import Field

from connectors.ports import Approval, DeliveryKey
from flows.common import ALREADY_ALERTED, email_clerk, mailer, open_ledger, plan_now
from flows.report import Draft, annex_of, prepare_report
from flows.settings import RunSettings
from thidua import mail
from thidua.drafts import AUTO_APPROVER, draft_texts
from thidua.plan import Plan


class ApprovalMissing(Exception):
    """No decision from the principal by the set time; the message is for the clerk."""


class ApprovalDecision(RunInput):
    """What the principal answers in the Prefect UI when the run waits: approve, or reject with a comment."""

    decision: Literal["phê duyệt", "không duyệt"] = Field(title="Quyết định của Hiệu trưởng")
    comment: str = Field(default="", title="Ý kiến (cần ghi khi không duyệt: sửa gì trước khi lập lại dự thảo)")


def sha256_of(path: Path) -> str:
    """The digest an approval pins: the file sent must still have it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@task(cache_policy=NO_CACHE)
def record_approval(settings: RunSettings, key: DeliveryKey, report: Path, approved_by: str,
                    comment: str) -> Approval:
    """Keeps a copy of exactly what was approved, so a later rebuild cannot slip into the send."""
    settings.approved_dir.mkdir(parents=True, exist_ok=True)
    kept = settings.approved_dir / f"{report.stem}_v{key.version}{report.suffix}"
    shutil.copyfile(report, kept)
    if annex_of(report).is_file():  # the annex approved with the report is the one sent with it
        shutil.copyfile(annex_of(report), annex_of(kept))
    return open_ledger(settings).approve(key, kept, sha256_of(kept), approved_by, comment)


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def email_draft(settings: RunSettings, plan: Plan, deadline_id: str, report: Path, round_: int, comment: str) -> str:
    """Sends the draft to the principal (copy to the clerk): the only addresses a draft may reach."""
    deadline = plan.deadline(deadline_id)
    where = current_run.ui_url or "Prefect UI (mục Flow Runs, lượt chạy đang tạm dừng)"
    texts = draft_texts(plan, deadline, round_, comment, where)
    message = mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name,
        recipients=[plan.signer.email, plan.clerk.email], allow_list=[plan.signer.email, plan.clerk.email],
        subject=texts.subject, body_text=texts.body_text, body_html=texts.body_html, attachment=report.read_bytes(),
        attachment_name=f"Dự thảo {deadline.id}{report.suffix}",
        attachment_mime=mail.ATTACHMENT_MIME_BY_SUFFIX[report.suffix],
        message_id=make_msgid(f"thidua.duthao.{deadline.id}", domain=plan.school.email_domain),
        header_date=plan_now(plan, None),
    )
    mailer(settings, plan).send(message)
    return str(message["Message-ID"])


def _alert_no_decision(settings: RunSettings, plan: Plan, deadline_id: str, until: dt.datetime) -> ApprovalMissing:
    """Tells the clerk the principal has not decided in time, once (the failure hook then stays quiet)."""
    message = (f"Hạn {deadline_id}: chưa có phê duyệt của Hiệu trưởng {plan.signer.name} trước "
               f"{until:%H:%M %d/%m/%Y}; báo cáo chưa được gửi. Hãy liên hệ Hiệu trưởng, rồi chạy lại.")
    email_clerk(settings, plan, f"Cảnh báo: hạn {deadline_id} chưa được phê duyệt", message)
    run_id = current_run.get_id()
    if run_id:
        ALREADY_ALERTED.add(UUID(run_id))
    return ApprovalMissing(message)


def obtain_approval(settings: RunSettings, plan: Plan, deadline_id: str, version: int, now: dt.datetime,
                    until: dt.datetime, draft: Draft, auto_approve: bool) -> tuple[Approval, Draft]:
    """The approval of this version: already recorded, given by the demo, or asked of the principal (re-drafting
    after each rejection) until `until`; past it the run fails and the clerk is alerted."""
    key = DeliveryKey(plan.id, deadline_id, version)
    found = open_ledger(settings).approval(key)
    if found is not None:
        return found, draft
    if auto_approve:
        get_run_logger().warning("Hạn %s: %s.", deadline_id, AUTO_APPROVER)
        return record_approval(settings, key, draft.report, AUTO_APPROVER, ""), draft
    comment = ""
    for round_ in range(1, 100):
        email_draft(settings, plan, deadline_id, draft.report, round_, comment)
        seconds = int((until - now).total_seconds())
        try:
            if seconds <= 0:
                raise FlowPauseTimeout
            decision = pause_flow_run(wait_for_input=ApprovalDecision, timeout=seconds,
                                      key=f"duyet-v{version}-{round_}", poll_interval=settings.approval_poll_seconds)
        except FlowPauseTimeout:
            raise _alert_no_decision(settings, plan, deadline_id, until) from None
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
        draft = prepare_report(settings, plan, deadline_id, now)
    raise ApprovalMissing(f"Hạn {deadline_id}: quá nhiều lần không duyệt.")


def approved_file(deadline_id: str, approval: Approval) -> Path:
    """The approved copy, provided it is still exactly what was approved; otherwise nothing may be sent."""
    if sha256_of(approval.report) != approval.sha256:
        raise ApprovalMissing(f"Hạn {deadline_id}: tệp đã phê duyệt {approval.report} bị thay đổi sau khi duyệt; "
                              "không gửi. Hãy lập và phê duyệt lại.")
    return approval.report
