"""Prefect flows for one deadline: collect → build report → principal's approval → deliver.

`draft_flow` builds the draft and waits for the principal; `deadline_flow` (the send) sends exactly the approved
file, waiting for the approval itself when none has arrived yet. Each reads as a checklist; the steps live in
flows/report.py, flows/approval.py, flows/delivery.py and flows/artifacts.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger

from flows.approval import approved_file, obtain_approval, take_number
from flows.artifacts import delivery_note, publish_artifacts, publish_not_rebuilt
from flows.common import alert_clerk_on_failure, load_plan, plan_now
from flows.delivery import Sending, already_delivered, deliver, not_sent_again, sent_report
from flows.ledger import open_ledger
from flows.report import prepare_report
from flows.settings import RunSettings
from flows.signing import sign_for_sending
from thidua.calendar import ScheduledDeadline, schedule
from thidua.delivery_state import deadline_state
from thidua.drafts import NO_APPROVAL
from thidua.pipeline import Collected
from thidua.plan import Plan
from thidua.schedule import approval_due, approval_until


@dataclass(frozen=True)
class DeadlineResult:
    """What the clerk and summary.json need to know about one deadline's run. `collected` is None when nothing was
    read: the version was already delivered, and the files are then those kept from the build that was sent."""

    deadline_id: str
    due_before: dt.date
    send_at: dt.datetime
    late: bool
    collected: Collected | None
    docx: Path | None
    pdf: Path | None
    recipients: tuple[str, ...]
    message_id: str
    delivery_status: str
    sent_at: dt.datetime | None
    approved_by: str
    version: int = 1
    signed_sha256: str = ""  # the SHA-256 of the signed file sent, when the plan signs


@flow(name="thidua-draft", flow_run_name="{deadline_id}-draft", on_failure=[alert_clerk_on_failure],
      on_crashed=[alert_clerk_on_failure])
def draft_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None, version: int = 1) -> str:
    """Builds the draft, emails it to the principal and waits for the decision until the approval time."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    scheduled = schedule(plan, plan.deadline(deadline_id))
    if (earlier := already_delivered(settings, plan, deadline_id, version)) is not None:
        return _not_built_again(settings, plan, deadline_id, version, scheduled, now, earlier, "").approved_by
    draft = prepare_report(settings, plan, deadline_id, now)
    approval, draft = obtain_approval(settings, plan, deadline_id, version, now, approval_due(plan, scheduled),
                                      draft, auto_approve=False)
    publish_artifacts(plan, draft, deadline_id, f"Dự thảo đã được {approval.approved_by} phê duyệt.")
    return approval.approved_by


@flow(name="thidua-deadline", flow_run_name="{deadline_id}", on_failure=[alert_clerk_on_failure],
      on_crashed=[alert_clerk_on_failure])
def deadline_flow(settings: RunSettings, deadline_id: str, now: dt.datetime | None = None, version: int = 1,
                  auto_approve: bool = False, late: bool = False, reason: str = "") -> DeadlineResult:
    """The send: one deadline from sheets to the district's inbox, once, as approved; `late` when started after
    its time (deployed too late), `reason` for a replacement version. The plan read here is the one sent."""
    plan = load_plan(settings.plan_path)
    now = plan_now(plan, now)
    deadline = plan.deadline(deadline_id)
    scheduled = schedule(plan, deadline)
    if (earlier := already_delivered(settings, plan, deadline_id, version)) is not None:
        return _not_built_again(settings, plan, deadline_id, version, scheduled, now, earlier, reason)
    if late:
        get_run_logger().warning("Hạn %s chạy trễ: lịch gửi %s đã qua khi triển khai.", deadline_id,
                                 f"{scheduled.send_at:%H:%M %d/%m/%Y}")
    # No one to wait for (no approval asked, or the demo's): the number is taken now and rendered in at once;
    # otherwise it is taken at the approval.
    automatic = auto_approve or not plan.delivery.approval_required
    number = take_number(settings, plan, deadline_id, version, now) if automatic else ""
    draft = prepare_report(settings, plan, deadline_id, now, number)
    attachment, approved_by = draft.report, NO_APPROVAL
    if plan.delivery.approval_required:
        approval, draft = obtain_approval(settings, plan, deadline_id, version, now,
                                          approval_until(plan, scheduled, now), draft, auto_approve)
        attachment, approved_by = approved_file(deadline_id, approval), approval.approved_by
    signed = sign_for_sending(settings, plan, deadline_id, attachment)
    attachment = signed.report
    sending = deliver(settings, plan, deadline_id, attachment, now, version, reason)
    arrived_after = _arrived_late(settings, plan, deadline_id, scheduled, now)
    publish_artifacts(plan, draft, deadline_id,
                      delivery_note(scheduled.send_at, arrived_after, approved_by, sending, version, reason))
    return DeadlineResult(
        deadline_id=deadline.id, due_before=deadline.due_before, send_at=scheduled.send_at, late=arrived_after,
        collected=draft.collected, docx=draft.docx, pdf=draft.pdf, recipients=sending.recipients,
        message_id=sending.message_id, delivery_status=sending.status, sent_at=sending.sent_at,
        approved_by=approved_by, version=version, signed_sha256=signed.sha256,
    )


def _arrived_late(settings: RunSettings, plan: Plan, deadline_id: str, scheduled: ScheduledDeadline,
                  now: dt.datetime) -> bool:
    """Late or not: judged by when the report first arrived, whichever version and run sent it."""
    history = open_ledger(settings).history(plan.id, deadline_id)
    return deadline_state(history, scheduled.send_at, scheduled.must_arrive_by, True, now).late


def _not_built_again(settings: RunSettings, plan: Plan, deadline_id: str, version: int,
                     scheduled: ScheduledDeadline, now: dt.datetime, earlier: Sending, reason: str) -> DeadlineResult:
    """A version already delivered to every recipient: said in the log and the summary, the files kept from the
    build that was sent returned, and nothing read, rendered, approved, signed nor sent."""
    said = not_sent_again(plan, deadline_id, version, earlier)
    get_run_logger().info(said)
    kept = sent_report(settings, plan, deadline_id, version)
    late = _arrived_late(settings, plan, deadline_id, scheduled, now)
    publish_not_rebuilt(plan, kept, deadline_id, said,
                        delivery_note(scheduled.send_at, late, kept.approved_by, earlier, version, reason))
    return DeadlineResult(
        deadline_id=deadline_id, due_before=scheduled.deadline.due_before, send_at=scheduled.send_at, late=late,
        collected=None, docx=kept.docx, pdf=kept.pdf, recipients=earlier.recipients, message_id=earlier.message_id,
        delivery_status=earlier.status, sent_at=earlier.sent_at, approved_by=kept.approved_by, version=version,
        signed_sha256=kept.signed_sha256,
    )
