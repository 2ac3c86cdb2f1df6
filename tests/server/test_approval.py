"""The send waits for the principal: approve sends exactly the approved file; reject with a comment re-drafts and
waits again; no decision by the set time alerts the clerk and sends nothing; a replacement says "bản thay thế"."""

from __future__ import annotations

import base64
import contextvars
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from prefect import tags
from prefect.flow_runs import resume_flow_run

from connectors.ledger import SqlLedger
from connectors.local.smtp_server import LoopbackSmtpServer
from connectors.ports import DeliveryKey
from flows.deadline import deadline_flow
from flows.report import annex_of
from flows.settings import RunSettings
from thidua.calendar import schedule
from thidua.schedule import check_at

from .support import REPO, addresses, paused_run, received, sample_school, seed_plan, wait_for

PLAN = seed_plan()


@pytest.fixture
def school(prefect_api: Any, tmp_path: Path) -> Iterator[tuple[RunSettings, Path, Any]]:
    with LoopbackSmtpServer(tmp_path / "mail") as smtp:
        yield sample_school(tmp_path, smtp.port), tmp_path / "mail", prefect_api


def _send_in_background(settings: RunSettings, deadline_id: str,
                        now: dt.datetime) -> tuple[ThreadPoolExecutor, Future[Any], str]:
    """The send in a thread, its run tagged for this test alone: other workers run the same plan's deadlines on the
    run's one Prefect server."""
    tag = f"approval-test-{uuid.uuid4().hex[:12]}"

    def send() -> Any:
        with tags(tag):
            return deadline_flow(settings, deadline_id, now)

    pool = ThreadPoolExecutor(max_workers=1)
    # The thread must see this test's Prefect settings (a context variable), or it would start its own server.
    return pool, pool.submit(contextvars.copy_context().run, send), tag


def _subjects(maildir: Path) -> list[str]:
    return [str(m["Subject"]) for m in received(maildir)]


def test_approve_sends_exactly_the_approved_file(school: tuple[RunSettings, Path, Any]) -> None:
    settings, maildir, server = school
    now = schedule(PLAN, PLAN.deadline("D3")).send_at
    pool, future, tag = _send_in_background(settings, "D3", now)
    with pool:
        resume_flow_run(paused_run("D3", tag), run_input={"decision": "phê duyệt", "comment": ""})
        result = future.result(timeout=300)
    assert result.delivery_status == "sent" and result.approved_by == PLAN.signer.name
    drafts = [m for m in received(maildir) if str(m["Subject"]).startswith("[Dự thảo chờ phê duyệt]")]
    assert len(drafts) == 1 and addresses(drafts[0]) == {PLAN.signer.email, PLAN.clerk.email}
    (report,) = [m for m in received(maildir) if addresses(m) <= PLAN.allow_list]
    approval = SqlLedger(settings.ledger_database).approval(DeliveryKey(PLAN.id, "D3", 1))
    assert approval is not None
    attachment, annex = list(report.iter_attachments())
    assert attachment.get_content() == approval.report.read_bytes()
    assert annex.get_content() == annex_of(approval.report).read_bytes()  # the annex approved with it
    number = f"01/BC-{PLAN.school.symbol}"  # the register's first number, taken at approval
    assert f"(số {number})" in str(report["Subject"])
    text = subprocess.run(["pdftotext", str(approval.report), "-"], capture_output=True, text=True, check=True)
    assert f"Số: {number}" in text.stdout

    # A replacement, asked for by the clerk, goes out as version 2 and says so.
    run = subprocess.run(
        [sys.executable, "-m", "thidua_cli.main", "resend", "D3", "--reason", "Sửa số liệu tổ Toán",
         "--plan", str(settings.plan_path), "--out", str(settings.out_dir), "--smtp-port", str(settings.smtp_port),
         "--auto-approve", "--as-of", now.isoformat()],
        cwd=REPO, env={**server.env, "COLUMNS": "200"},
        capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "phê duyệt tự động (chạy thử)" in run.stdout
    replacements = [s for s in _subjects(maildir) if "bản thay thế, phiên bản 2" in s]
    assert len(replacements) == 1 and f"(số 02/BC-{PLAN.school.symbol})" in replacements[0]  # a new number


def test_reject_with_a_comment_redrafts_and_waits_again(school: tuple[RunSettings, Path, Any]) -> None:
    settings, maildir, _ = school
    now = schedule(PLAN, PLAN.deadline("D4")).send_at
    pool, future, tag = _send_in_background(settings, "D4", now)
    with pool:
        rejection = {"decision": "không duyệt", "comment": "Bổ sung gương tổ Văn phòng"}
        resume_flow_run(paused_run("D4", tag), run_input=rejection)
        second = paused_run("D4", tag, round_=2)
        drafts = [m for m in received(maildir) if str(m["Subject"]).startswith("[Dự thảo")]
        assert len(drafts) == 2
        body = drafts[1].get_body(("plain",))
        assert body is not None and "Bổ sung gương tổ Văn phòng" in body.get_content()
        assert not [m for m in received(maildir) if addresses(m) <= PLAN.allow_list], "sent before approval"
        resume_flow_run(second, run_input={"decision": "phê duyệt", "comment": "Đồng ý"})
        result = future.result(timeout=300)
    assert result.delivery_status == "sent"
    assert len([m for m in received(maildir) if addresses(m) <= PLAN.allow_list]) == 1


def test_no_approval_by_the_set_time_alerts_the_clerk_and_sends_nothing(
        school: tuple[RunSettings, Path, Any]) -> None:
    settings, maildir, _ = school
    scheduled = schedule(PLAN, PLAN.deadline("D6"))
    with pytest.raises(Exception, match="chưa có phê duyệt"):
        deadline_flow(settings, "D6", check_at(PLAN, scheduled) - dt.timedelta(seconds=3))
    assert not [m for m in received(maildir) if addresses(m) <= PLAN.allow_list]
    alerts = [m for m in received(maildir) if addresses(m) == {PLAN.clerk.email} and "Cảnh báo" in str(m["Subject"])]
    assert len(alerts) == 1
    body = alerts[0].get_body(("plain",))
    assert body is not None and "chưa có phê duyệt" in body.get_content()


def test_the_clerk_enters_the_principals_word_with_thidua_approve(school: tuple[RunSettings, Path, Any]) -> None:
    settings, maildir, server = school
    now = schedule(PLAN, PLAN.deadline("D7")).send_at
    pool, future, tag = _send_in_background(settings, "D7", now)

    def approve(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "thidua_cli.main", "approve", str(settings.plan_path), "D7",
                               *extra], cwd=REPO, env={**server.env, "COLUMNS": "200"}, capture_output=True,
                              text=True, timeout=120, check=False)

    with pool:
        paused_run("D7", tag)
        refused = approve("--reject", "Thiếu gương tổ Toán")
        assert refused.returncode == 0, refused.stdout + refused.stderr
        assert "không duyệt" in refused.stdout and PLAN.clerk.name in refused.stdout
        paused_run("D7", tag, round_=2)
        body = [m for m in received(maildir) if str(m["Subject"]).startswith("[Dự thảo")][1].get_body(("plain",))
        assert body is not None and "Thiếu gương tổ Toán" in body.get_content()
        approved = approve("--by", "Nguyễn Văn Thư")
        assert approved.returncode == 0, approved.stdout + approved.stderr
        result = future.result(timeout=300)
    assert result.delivery_status == "sent"
    assert result.approved_by == f"{PLAN.signer.name} (Nguyễn Văn Thư nhập theo ý kiến của Hiệu trưởng)"
    nothing = approve()  # nothing waits any more: said, and a non-zero exit
    assert nothing.returncode == 1 and "Không có lượt chạy nào" in nothing.stdout


def _mailbox(user: str, base_url: str) -> Any:
    from connectors.google import endpoints
    from connectors.google.auth import ENV_VAR, SCOPES, load_credentials

    credentials = load_credentials(json.loads(os.environ[ENV_VAR]), user, base_url, SCOPES)
    return endpoints.build_service("gmail", "v1", credentials, base_url).users().messages()


def _drafts_received(mailbox: Any) -> list[dict[str, str]]:
    """The drafts in a mailbox's inbox, oldest first, as their headers."""
    listed = mailbox.list(userId="me", q="in:inbox").execute().get("messages", [])
    found = [mailbox.get(userId="me", id=m["id"], format="metadata").execute() for m in reversed(listed)]
    return [{h["name"]: h["value"] for h in m["payload"]["headers"]} | {"threadId": m["threadId"]} for m in found]


def _reply(mailbox: Any, sender: str, draft: dict[str, str], text: str, thread: str | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, draft["From"], "Re: " + draft["Subject"]
    message["In-Reply-To"] = message["References"] = draft["Message-ID"]
    message.set_content(text + "\n\nVào ngày 13/5/2024, Văn thư đã viết:\n> Kính đề nghị phê duyệt\n")
    body = {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode(), **({"threadId": thread} if thread else {})}
    mailbox.send(userId="me", body=body).execute()


def test_the_principal_decides_by_replying_to_the_draft_and_nobody_else_can(prefect_api: Any, tmp_path: Path) -> None:
    from thidua_cli.google_demo import google_workspace

    with google_workspace(PLAN, tmp_path, seed=2024, staff=40) as workspace:
        settings = workspace.settings.model_copy(update={"approval_poll_seconds": 1})
        base_url = workspace.emulator.base_url
        principal = _mailbox(PLAN.signer.email, base_url)
        now = schedule(PLAN, PLAN.deadline("D3")).send_at
        pool, future, tag = _send_in_background(settings, "D3", now)
        with pool:
            paused_run("D3", tag)
            (draft,) = _drafts_received(principal)
            assert draft["Subject"].startswith("[Dự thảo chờ phê duyệt]")
            impostor = "pho.hieutruong@lax.example.edu.vn"
            _reply(_mailbox(impostor, base_url), f"Phó Hiệu trưởng <{impostor}>", draft, "Duyệt")
            # Two more reads of the thread by the run's watcher: the first saw the impostor's word, and it did not
            # resume the run.
            polls = workspace.emulator.log.count("gmail.users.threads.get")
            wait_for("two more polls of the draft's thread",
                     lambda: workspace.emulator.log.count("gmail.users.threads.get") >= polls + 2, 60)
            assert paused_run("D3", tag, timeout=1)
            assert not future.done()
            _reply(principal, f"{PLAN.signer.name} <{PLAN.signer.email}>", draft, "Không duyệt: thiếu tổ Toán",
                   draft["threadId"])
            paused_run("D3", tag, round_=2)
            first, second = _drafts_received(principal)
            assert first == draft
            _reply(principal, PLAN.signer.email, second, "duyet", second["threadId"])
            result = future.result(timeout=300)
        ledger = SqlLedger(settings.ledger_database)
        approval = ledger.approval(DeliveryKey(PLAN.id, "D3", 1))
    assert result.delivery_status == "sent"
    assert result.approved_by.startswith(f"{PLAN.signer.name} (trả lời thư dự thảo từ {PLAN.signer.email} lúc ")
    assert approval is not None and approval.approved_by == result.approved_by
    assert approval.sha256 == hashlib.sha256(approval.report.read_bytes()).hexdigest()
