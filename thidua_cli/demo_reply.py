"""The Google demo's principal: one draft is approved the way the principal approves from her phone, by replying
"Duyệt" to the draft email, after the clerk has replied "Duyệt" himself, which must not count.

Both replies are real Gmail sends (users.messages.send with the draft's threadId, In-Reply-To and References, as
Gmail's threading guide asks) from each person's own mailbox on the emulated Workspace; the waiting run learns of
them only by reading the draft's thread, as it would on Google.
"""

from __future__ import annotations

import base64
import contextvars
import json
import os
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from connectors.google import endpoints
from connectors.google.auth import ENV_VAR, SCOPES, load_credentials
from thidua.mail import UNFOLDED_HEADERS
from thidua.plan import Plan
from thidua_cli.commands.approve import waiting_runs
from thidua_cli.console import console

T = TypeVar("T")

#: The words the run logs when it refuses a reply (flows.replies); the demo waits for them before going on.
REFUSAL_LOGGED = "Bỏ qua thư trả lời từ"


class DemoPrincipal:
    """Beside a deadline run that waits for approval: the clerk's reply, seen refused by the run, then the
    principal's. `error` says what went wrong, if anything; the run is then approved in the demo's name, so the demo
    ends (and reports the failure) instead of waiting for hours."""

    def __init__(self, plan: Plan, plan_path: Path, base_url: str, deadline_id: str, timeout: float = 900) -> None:
        self._plan, self._plan_path, self._base_url = plan, plan_path, base_url
        self._deadline_id, self._timeout = deadline_id, timeout
        self.error = ""
        self._over = threading.Event()  # the run has ended (approved earlier, or failed): nothing left to answer
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,), daemon=True,
                                        name=f"thidua-demo-principal-{deadline_id}")

    def __enter__(self) -> DemoPrincipal:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._over.set()
        self._thread.join(timeout=self._timeout)

    def _run(self) -> None:
        try:
            self._act()
        except _RunOver:
            return
        except Exception as error:  # the demo must end: approve in its own name, and say what failed
            self.error = f"không phê duyệt được bằng thư trả lời: {type(error).__name__}: {error}"
            self._approve_in_demo_name()

    def _act(self) -> None:
        plan, deadline = self._plan, self._plan.deadline(self._deadline_id)
        principal, clerk = self._mailbox(plan.signer.email), self._mailbox(plan.clerk.email)
        subject = f"[Dự thảo chờ phê duyệt] {deadline.title}"
        # The run pauses only once the draft is sent: wait on Prefect, then read each mailbox once.
        run = self._wait("lượt chạy chờ phê duyệt", lambda: waiting_runs(self._plan_path, self._deadline_id))[0]
        draft = self._wait("thư dự thảo đến hộp thư Hiệu trưởng", lambda: _find(principal, subject))
        key = run.state.state_details.pause_key
        clerk_copy = _find(clerk, subject)
        assert clerk_copy is not None, f"hộp thư {plan.clerk.email} không có thư dự thảo"
        _reply(clerk, f"{plan.clerk.name} <{plan.clerk.email}>", plan.signer.email, clerk_copy, "Duyệt")
        self._wait("lượt chạy ghi nhận thư không được tính", lambda: _refusal_logged(run.id))
        still = waiting_runs(self._plan_path, self._deadline_id)
        if not still or still[0].state.state_details.pause_key != key:
            raise RuntimeError(f"thư của {plan.clerk.email} đã làm lượt chạy tiếp tục")
        console.print(f"[bold]{self._deadline_id}:[/] {plan.clerk.name} ({plan.clerk.email}) trả lời dự thảo "
                      "«Duyệt»: lượt chạy bỏ qua vì không phải địa chỉ của Hiệu trưởng, và vẫn chờ.", highlight=False)
        _reply(principal, f"{plan.signer.name} <{plan.signer.email}>", draft["From"], draft, "Duyệt")
        console.print(f"[bold]{self._deadline_id}:[/] Hiệu trưởng {plan.signer.name} trả lời dự thảo «Duyệt» từ "
                      f"{plan.signer.email}.", highlight=False)
        self._wait("lượt chạy nhận thư trả lời của Hiệu trưởng",
                   lambda: not waiting_runs(self._plan_path, self._deadline_id))

    def _mailbox(self, user: str) -> Any:
        credentials = load_credentials(json.loads(os.environ[ENV_VAR]), user, self._base_url, SCOPES)
        return endpoints.build_service("gmail", "v1", credentials, self._base_url).users().messages()

    def _wait(self, what: str, check: Callable[[], T | None]) -> T:
        until = time.monotonic() + self._timeout
        while time.monotonic() < until:
            found = check()
            if found:
                return found
            if self._over.wait(0.5):
                raise _RunOver
        raise TimeoutError(f"quá {self._timeout:.0f} giây chờ {what}")

    def _approve_in_demo_name(self) -> None:
        from prefect.flow_runs import resume_flow_run

        from flows.decision import ApprovalDecision

        decision = ApprovalDecision(decision="phê duyệt", entered_by=f"chạy thử, {self.error}")
        for run in waiting_runs(self._plan_path, self._deadline_id):
            resume_flow_run(run.id, run_input=decision.model_dump())


class _RunOver(Exception):
    """The run ended without waiting (already approved on an earlier demo run, or failed)."""


def _find(mailbox: Any, subject: str) -> dict[str, str] | None:
    """The newest message of a mailbox with this subject, as its headers and threadId."""
    for item in mailbox.list(userId="me", maxResults=50).execute().get("messages", []):
        message = mailbox.get(userId="me", id=item["id"], format="metadata").execute()
        headers = {h["name"]: h["value"] for h in message["payload"]["headers"]}
        if headers.get("Subject") == subject:
            return headers | {"threadId": message["threadId"]}
    return None


def _reply(mailbox: Any, sender: str, to: str, draft: dict[str, str], text: str) -> None:
    """A reply in the draft's thread, quoting it as a phone's mail client does."""
    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = sender, to, "Re: " + draft["Subject"]
    message["In-Reply-To"] = message["References"] = draft["Message-ID"]
    message.set_content(f"{text}\n\nVào {draft.get('Date', '')}, {draft['From']} đã viết:\n> {draft['Subject']}\n")
    message.policy = UNFOLDED_HEADERS  # as thidua.mail: CPython's folder can drop spaces in Vietnamese subjects
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    mailbox.send(userId="me", body={"raw": raw, "threadId": draft["threadId"]}).execute()


def _refusal_logged(run_id: UUID) -> str:
    """The run's log line refusing a reply, once the run has sent it to the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return next((log.message for log in logs if REFUSAL_LOGGED in log.message), "")
