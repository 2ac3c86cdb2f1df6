"""The principal's decision read from her emailed reply to the draft: a watcher beside the paused run reads the
draft's thread through the ReplyInbox port, lets `thidua.replies` decide, and resumes the run with the same run input
the Prefect UI and `thidua approve` give."""

from __future__ import annotations

import contextvars
import threading
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.flow_runs import resume_flow_run

from connectors.ports import ReplyInbox
from flows.decision import ApprovalDecision
from thidua.plan import Plan
from thidua.replies import decide


class ReplyWatcher:
    """Reads the draft's email thread while the run waits, and resumes the run with the principal's decision.

    Replies from any address but the principal's are logged once and never decide. Runs in a thread beside the
    paused run (which only polls Prefect for its input), so the UI and `thidua approve` keep working alongside.
    """

    def __init__(self, inbox: ReplyInbox, plan: Plan, draft_id: str, run_id: UUID, key: str, poll: float) -> None:
        self._inbox, self._plan, self._draft_id = inbox, plan, draft_id
        self._run_id, self._key, self._poll = run_id, key, poll
        self._stop = threading.Event()
        self._logged: set[str] = set()
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._watch,), daemon=True,
                                        name=f"thidua-reply-{key}")

    def __enter__(self) -> ReplyWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._poll + 30)

    def _watch(self) -> None:
        logger = get_run_logger()
        while not self._stop.wait(self._poll):
            try:
                if self._check(logger):
                    return
            except Exception as error:  # a Gmail or API hiccup: the next poll tries again
                logger.warning("Chưa đọc được thư trả lời dự thảo: %s", error)

    def _check(self, logger: Any) -> bool:
        verdict = decide(self._inbox.replies(self._draft_id), self._plan.signer.email, exclude=[self._draft_id])
        for reply, why in verdict.ignored:
            if reply.message_id not in self._logged:
                self._logged.add(reply.message_id)
                logger.warning("Bỏ qua %s.", why)
        if verdict.decision is None or verdict.reply is None:
            return False
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(self._run_id).state
        if state is None or not state.is_paused() or state.state_details.pause_key != self._key:
            return False  # not yet waiting for this draft (or no longer): look again at the next poll
        when = verdict.reply.received_at.astimezone(ZoneInfo(self._plan.timezone))
        resume_flow_run(self._run_id, run_input=ApprovalDecision(
            decision="phê duyệt" if verdict.decision.approved else "không duyệt",
            comment=verdict.decision.reason,
            entered_by=f"trả lời thư dự thảo từ {self._plan.signer.email} lúc {when:%H:%M %d/%m/%Y}",
        ).model_dump())
        logger.info("Hạn %s: đã nhận ý kiến của Hiệu trưởng qua thư trả lời.", self._key)
        return True
