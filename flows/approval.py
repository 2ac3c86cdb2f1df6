"""The principal's approval of a deadline's report: the draft emailed, the run paused for the decision, and a copy
of exactly what was approved kept, so a later rebuild cannot slip into the send.

The decision reaches the paused run as its Prefect run input (`flows.decision`), by whichever way it was given: the
Prefect UI, the clerk's `thidua approve`, or (where the backend reads replies, i.e. Gmail) the principal's reply to
the draft email, which `flows.replies` reads beside the paused run and turns into the same run input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from email.utils import make_msgid
from pathlib import Path
from uuid import UUID

from prefect import get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import FlowPauseTimeout
from prefect.runtime import flow_run as current_run

from connectors.ports import Approval, DeliveryKey
from connectors.writing import write_text_whole, written_whole
from flows.common import ALREADY_ALERTED, backend, email_clerk, mailer, plan_now
from flows.decision import ApprovalDecision, approver, pause_key
from flows.ledger import open_ledger
from flows.replies import ReplyWatcher
from flows.report import Draft, annex_of, prepare_report, render_report, report_basename
from flows.settings import RunSettings
from thidua import mail
from thidua.drafts import AUTO_APPROVER, DraftFacts, draft_facts, draft_texts
from thidua.plan import Plan
from thidua.reports import number_line, official_number, report_symbol


class ApprovalMissing(Exception):
    """No decision from the principal by the set time; the message is for the clerk."""


def sha256_of(path: Path) -> str:
    """The digest an approval pins: the file sent must still have it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@task(cache_policy=NO_CACHE)
def record_approval(settings: RunSettings, key: DeliveryKey, report: Path, approved_by: str,
                    comment: str) -> Approval:
    """Keeps a copy of exactly what was approved, so a later rebuild cannot slip into the send."""
    settings.approved_dir.mkdir(parents=True, exist_ok=True)
    kept = settings.approved_dir / f"{report.stem}_v{key.version}{report.suffix}"
    if annex_of(report).is_file():  # the annex approved with the report is the one sent with it
        with written_whole(annex_of(kept), "phụ lục đã duyệt") as partial:
            shutil.copyfile(annex_of(report), partial)
    with written_whole(kept, "báo cáo đã duyệt") as partial:  # a truncated copy is never approved nor sent
        shutil.copyfile(report, partial)
    return open_ledger(settings).approve(key, kept, sha256_of(kept), approved_by, comment)


def _facts_path(settings: RunSettings, plan: Plan, deadline_id: str) -> Path:
    return settings.contexts_dir / f"{report_basename(plan, plan.deadline(deadline_id))}.draft.json"


def draft_facts_of(settings: RunSettings, plan: Plan, deadline_id: str, draft: Draft) -> DraftFacts:
    """The draft's facts for the email, the rule flags read from the report's content as composed."""
    context = settings.contexts_dir / f"{report_basename(plan, plan.deadline(deadline_id))}.json"
    flags = json.loads(context.read_text(encoding="utf-8")).get("flags", []) if context.is_file() else []
    return draft_facts(plan, draft.collected, draft.missing, flags)


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def email_draft(settings: RunSettings, plan: Plan, deadline_id: str, report: Path, round_: int, comment: str,
                facts: DraftFacts, reply_by_email: bool = False) -> str:
    """Sends the draft to the principal (copy to the clerk): the only addresses a draft may reach. It says what
    the report leaves out and what changed since the last draft, which is then kept for the next one."""
    deadline = plan.deadline(deadline_id)
    where = current_run.ui_url or "Prefect UI (mục Flow Runs, lượt chạy đang tạm dừng)"
    kept = _facts_path(settings, plan, deadline_id)
    previous = DraftFacts.from_json(json.loads(kept.read_text(encoding="utf-8"))) if kept.is_file() else None
    texts = draft_texts(plan, deadline, round_, comment, where, facts, previous, reply_by_email)
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
    write_text_whole(kept, json.dumps(facts.to_json(), ensure_ascii=False, indent=1), "dữ kiện dự thảo")
    return str(message["Message-ID"])


def take_number(settings: RunSettings, plan: Plan, deadline_id: str, version: int, now: dt.datetime) -> str:
    """The report version's number ("05"): the plan's fixed one, or the next of the school's register for the year
    of `now`, taken once (the same one on a re-run) and never again for another document."""
    deadline = plan.deadline(deadline_id)
    if deadline.number:
        return deadline.number
    taken = open_ledger(settings).take_number(DeliveryKey(plan.id, deadline_id, version), now.year,
                                              report_symbol(plan))
    return official_number(taken.number)


def number_report(settings: RunSettings, plan: Plan, deadline_id: str, version: int, now: dt.datetime,
                  draft: Draft) -> tuple[str, Draft]:
    """The report's number, written into it: taken now (at approval) unless the draft already carries it, and the
    report rendered again with it, so the file approved and sent carries its number."""
    deadline = plan.deadline(deadline_id)
    number = take_number(settings, plan, deadline_id, version, now)
    basename = report_basename(plan, deadline)
    context_path = settings.contexts_dir / f"{basename}.json"
    context = json.loads(context_path.read_text(encoding="utf-8"))
    if context.get("number") == number_line(plan, number):
        return number, draft
    context["number"] = number_line(plan, number)
    write_text_whole(context_path, json.dumps(context, ensure_ascii=False, indent=1), "nội dung báo cáo")
    docx, pdf = render_report(settings, plan, deadline.template, context_path, basename)
    get_run_logger().info("Hạn %s: văn bản số %s/%s.", deadline_id, number, report_symbol(plan))
    return number, dataclasses.replace(draft, docx=docx, pdf=pdf)


def document_number(settings: RunSettings, plan: Plan, deadline_id: str, version: int) -> str:
    """The number a report version carries ("05/BC-LAX"), or "" when none was taken (a draft never approved)."""
    deadline = plan.deadline(deadline_id)
    if deadline.number:
        return f"{deadline.number}/{report_symbol(plan)}"
    taken = open_ledger(settings).number_of(DeliveryKey(plan.id, deadline_id, version))
    return f"{official_number(taken.number)}/{taken.symbol}" if taken else ""


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
    delivery = DeliveryKey(plan.id, deadline_id, version)
    found = open_ledger(settings).approval(delivery)
    if found is not None:
        return found, draft
    if auto_approve:
        get_run_logger().warning("Hạn %s: %s.", deadline_id, AUTO_APPROVER)
        _, draft = number_report(settings, plan, deadline_id, version, now, draft)
        return record_approval(settings, delivery, draft.report, AUTO_APPROVER, ""), draft
    comment = ""
    inbox = backend(settings, plan).replies
    run_id = current_run.get_id()
    for round_ in range(1, 100):
        facts = draft_facts_of(settings, plan, deadline_id, draft)
        draft_id = email_draft(settings, plan, deadline_id, draft.report, round_, comment, facts, inbox is not None)
        seconds = int((until - now).total_seconds())
        key = pause_key(version, round_)
        watcher = (ReplyWatcher(inbox, plan, draft_id, UUID(run_id), key, settings.approval_poll_seconds)
                   if inbox is not None and run_id else contextlib.nullcontext())
        try:
            if seconds <= 0:
                raise FlowPauseTimeout
            with watcher:
                decision = pause_flow_run(wait_for_input=ApprovalDecision, timeout=seconds, key=key,
                                          poll_interval=settings.approval_poll_seconds)
        except FlowPauseTimeout:
            raise _alert_no_decision(settings, plan, deadline_id, until) from None
        if decision.decision == "phê duyệt":
            _, draft = number_report(settings, plan, deadline_id, version, now, draft)
            return record_approval(settings, delivery, draft.report, approver(plan, decision), decision.comment), draft
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
