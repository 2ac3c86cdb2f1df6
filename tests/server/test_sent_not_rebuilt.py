"""A deadline whose version is already delivered to every recipient is not built again: a re-run reads no sheet,
renders nothing, converts nothing and sends nothing, and says so. Anything short of that — a "maybe sent" record, a
send a recipient refused — still goes the whole way through deliver_once, as before (issue 14)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from connectors.delivery import DeliveryPartlyRefused
from connectors.ledger import SqlLedger
from connectors.local.smtp_server import LoopbackSmtpServer
from connectors.ports import DeliveryKey, DeliveryState
from flows.deadline import DeadlineResult, deadline_flow, draft_flow
from flows.settings import RunSettings
from thidua import mail
from thidua.calendar import schedule

from .support import received, sample_school, seed_plan

PLAN = seed_plan()
D3 = PLAN.deadline("D3")
NOW = schedule(PLAN, D3).send_at
KEY = DeliveryKey(PLAN.id, "D3", 1)
MESSAGE_ID = mail.report_message_id(PLAN.id, "D3", 1, PLAN.school.email_domain)
UBND = next(r.email for r in PLAN.recipients if r.id == "ubnd-quan")


@pytest.fixture
def school(prefect_api: Any, tmp_path: Path) -> Iterator[tuple[RunSettings, LoopbackSmtpServer]]:
    with LoopbackSmtpServer(tmp_path / "mail") as smtp:
        yield sample_school(tmp_path, smtp.port), smtp


def _files(out: Path) -> dict[Path, int]:
    """Every file the run wrote (reports, contents, approved copies), with its modification time."""
    return {p: p.stat().st_mtime_ns for folder in ("reports", "contexts", "approved")
            for p in sorted((out / folder).rglob("*")) if p.is_file()}


def _run(settings: RunSettings, flow: Any = deadline_flow, **kwargs: Any) -> tuple[Any, list[str]]:
    """The flow's result and the markdown of the artifacts its run published."""
    state = flow(settings, "D3", NOW, return_state=True, **kwargs)
    result = state.result()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return result, [str(a.data) for a in artifacts if a.type == "markdown"]


def test_a_second_run_of_a_sent_deadline_builds_nothing_sends_nothing_and_says_so(
        school: tuple[RunSettings, LoopbackSmtpServer]) -> None:
    settings, smtp = school
    first, _ = _run(settings, auto_approve=True)
    assert first.delivery_status == "sent" and first.collected is not None
    written, ledger_rows = _files(settings.out_dir), SqlLedger(settings.ledger_database).all()
    assert any(p.suffix == ".pdf" for p in written) and any(p.suffix == ".docx" for p in written)
    # The sheets are gone: a run that read them would fail; one that rendered or converted would touch the files.
    shutil.rmtree(settings.data_dir)

    again, notes = _run(settings, auto_approve=True)

    assert isinstance(again, DeadlineResult)
    assert again.delivery_status == "already_sent" and again.collected is None
    assert (again.sent_at, again.message_id, again.recipients) == (first.sent_at, first.message_id, first.recipients)
    assert (again.docx, again.pdf, again.approved_by, again.late) == (first.docx, first.pdf, first.approved_by,
                                                                       first.late)
    assert _files(settings.out_dir) == written  # no DOCX rendered, no PDF converted, no approved copy made
    assert SqlLedger(settings.ledger_database).all() == ledger_rows
    assert smtp.received == 1 and len(received(settings.mail_dir)) == 1
    summary = next(n for n in notes if "không dựng lại báo cáo" in n)
    assert f"D3 phiên bản 1 đã gửi lúc {first.sent_at.astimezone(ZoneInfo(PLAN.timezone)):%H:%M %d/%m/%Y}" in summary
    assert "đã gửi trước đó, không gửi lại" in summary and first.message_id in summary
    assert all(r in summary for r in first.recipients)

    # The draft run of a sent version does not build a draft nor email the principal either.
    approved_by, notes = _run(settings, flow=draft_flow)
    assert approved_by == first.approved_by
    assert _files(settings.out_dir) == written and smtp.received == 1
    assert any("không dựng lại báo cáo" in n for n in notes)


def test_a_maybe_sent_delivery_is_not_taken_for_done_and_goes_through_deliver_once(
        school: tuple[RunSettings, LoopbackSmtpServer]) -> None:
    settings, smtp = school
    settings = settings.model_copy(update={"stale_after_seconds": 600})
    # A run killed before its send, an hour ago on the run's clock: its `pending` row, and nothing in the mailbox.
    crashed = SqlLedger(settings.ledger_database, clock=lambda: NOW - dt.timedelta(hours=1))
    crashed.begin(KEY, MESSAGE_ID, PLAN.recipient_emails(D3))

    result, _ = _run(settings, auto_approve=True)

    assert result.delivery_status == "resent_after_crash" and result.collected is not None
    assert smtp.received == 1 and [m["Message-ID"] for m in received(settings.mail_dir)] == [MESSAGE_ID]
    record = SqlLedger(settings.ledger_database).get(KEY)
    assert record is not None and record.state is DeliveryState.SENT and record.attempt == 2


def test_a_send_a_recipient_refused_is_not_done_and_each_run_fails_for_that_recipient(
        prefect_api: Any, tmp_path: Path) -> None:
    with LoopbackSmtpServer(tmp_path / "mail", refused_recipients=[UBND]) as smtp:
        settings = sample_school(tmp_path, smtp.port)
        for run in range(2):  # the first send, then a re-run: both go to deliver_once, which names the refused one
            with pytest.raises(DeliveryPartlyRefused) as caught:
                deadline_flow(settings, "D3", NOW, auto_approve=True)
            assert caught.value.refused == (UBND,), run
    reports = [m for m in received(settings.mail_dir) if m["Message-ID"] == MESSAGE_ID]  # the rest: clerk alerts
    assert len(reports) == 1
    record = SqlLedger(settings.ledger_database).get(KEY)
    assert record is not None and record.state is DeliveryState.SENT and UBND not in record.recipients
