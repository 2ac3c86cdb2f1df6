"""What the flow tests share: a sample school on disk, a loopback mailbox, and reading what it received."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType

from connectors.local.files import write_sample
from flows.settings import RunSettings
from thidua.plan import Plan, parse_plan

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
# The flow tests pin runs, approvals and deliveries, none of which depends on the size of the staff; a smaller sample
# makes shorter reports for LibreOffice to convert (the demos run the default 80).
STAFF = 32  # the generator's least for the seed plan's eight teams


def seed_plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def sample_school(out: Path, smtp_port: int, **overrides: object) -> RunSettings:
    write_sample(seed_plan(), out / "data", staff=STAFF)
    return RunSettings(plan_path=PLAN, data_dir=out / "data", out_dir=out, smtp_port=smtp_port,
                       approval_poll_seconds=1, **overrides)  # type: ignore[arg-type]


def received(maildir: Path) -> list[EmailMessage]:
    messages = []
    for path in sorted(maildir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def addresses(message: EmailMessage) -> set[str]:
    return {a.addr_spec.lower() for a in message["To"].addresses}


def wait_for(what: str, check: Callable[[], object], timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


_CLIENTS: dict[str, SyncPrefectClient] = {}


def polling_client() -> SyncPrefectClient:
    """One open client per server for a test's polls (by the Prefect API URL in effect): a new client per poll cost
    54 ms of the test's CPU and 19 ms of the server's, a kept one 2 and 9 (measured on an idle server)."""
    from prefect.settings import PREFECT_API_URL

    url = str(PREFECT_API_URL.value())
    if url not in _CLIENTS:
        _CLIENTS[url] = get_client(sync_client=True).__enter__()
    return _CLIENTS[url]


def runs_in_state(name: str, state: StateType, tag: str) -> list[FlowRun]:
    """Flow runs by name, state and a tag of the test's own: every xdist worker shares the run's one server, and
    another worker may be running the same plan's deadline (the same name) at the same moment."""
    return polling_client().read_flow_runs(flow_run_filter=FlowRunFilter(
        name=FlowRunFilterName(any_=[name]), state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[state])),
        tags=FlowRunFilterTags(all_=[tag])))


def paused_run(name: str, tag: str, round_: int = 1, timeout: float = 180.0) -> uuid.UUID:
    """The id of the flow run called `name` and tagged `tag` once it waits for the principal's decision on draft
    `round_`."""

    def waiting() -> list[FlowRun]:
        return [r for r in runs_in_state(name, StateType.PAUSED, tag)
                if r.state is not None and (r.state.state_details.pause_key or "").endswith(f"-{round_}")]

    runs = wait_for(f"{name} to pause for approval of draft {round_}", waiting, timeout)
    assert isinstance(runs, list)
    return runs[0].id


class HoldingSmtpHandler:
    """A loopback mailbox that can stall deliveries, each before or after filing it, so a test can kill the worker
    at exactly that moment: "after" is the crash between send and record, "before" a crash before the send."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        maildir.mkdir(parents=True, exist_ok=True)
        self.holds: dict[str, str] = {}  # the Message-ID to stall → "before" or "after"
        self.release = threading.Event()
        self._held: set[str] = set()
        self._changed = threading.Condition()

    def hold(self, holds: dict[str, str]) -> None:
        """Stall these deliveries (once each) until `release` is set."""
        with self._changed:
            self.holds, self._held = dict(holds), set()
        self.release.clear()

    def wait_held(self, timeout: float) -> set[str]:
        """The Message-IDs stalled so far, once every one asked for is, or when `timeout` runs out."""
        with self._changed:
            self._changed.wait_for(lambda: self._held == set(self.holds), timeout)
            return set(self._held)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        raw: bytes = envelope.original_content
        message_id = str(BytesHeaderParser().parsebytes(raw)["Message-ID"])
        hold = self.holds.get(message_id, "") if message_id not in self._held else ""
        if hold == "before":
            await self._stall(message_id)
            return "451 stalled"
        temporary = self.maildir / f".{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(raw)
        os.replace(temporary, self.maildir / f"{uuid.uuid4().hex}.eml")
        if hold == "after":
            await self._stall(message_id)
        return "250 Message accepted for delivery"

    async def _stall(self, message_id: str) -> None:
        with self._changed:
            self._held.add(message_id)
            self._changed.notify_all()
        await asyncio.to_thread(self.release.wait, 120)


def descendants(pid: int) -> list[int]:
    """Every process under `pid` (flow runs may sit in their own session, so a process group is not enough)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Worker:
    """`prefect worker start --type process`, killable with everything it started."""

    def __init__(self, env: dict[str, str], log: Path, pool: str, limit: int | None = None) -> None:
        self.env, self.log, self.pool, self.limit = env, log, pool, limit
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", self.pool, "--type", "process",
                 *(["--limit", str(self.limit)] if self.limit else [])],
                env={**self.env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "2"},
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL for the worker and everything under it, as an OOM kill or a power cut would. The tree is frozen
        first (SIGSTOP until a scan finds nothing new), so no process starts a child or dies and leaves its
        children to init between the scan and the kill; their process groups go too (a LibreOffice in its own)."""
        assert self.process is not None
        frozen: set[int] = set()
        while tree := {self.process.pid, *descendants(self.process.pid)} - frozen:
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            frozen |= tree
        groups = set()
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                groups.add(os.getpgid(pid))
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for group in groups - {os.getpgid(0)}:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


def assert_only_own_school(out: Path, plans: dict[str, Plan]) -> None:
    """Each school's reports (OUT/schools/<id>/reports) name their own school and no other, by name or mail domain."""
    from docx import Document

    for school, plan in plans.items():
        reports = sorted((out / "schools" / school / "reports").glob("*.docx"))
        assert len(reports) == len(plan.deadlines), school
        for report in reports:
            assert report.name.startswith(school)
            document = Document(str(report))
            text = "\n".join([p.text for p in document.paragraphs]
                             + [c.text for t in document.tables for row in t.rows for c in row.cells])
            text = text.replace("\u00a0", " ")  # header names are kept whole with no-break spaces
            assert plan.school.header_name in text, report.name
            for other in plans.values():
                if other.id != school:
                    assert other.school.header_name not in text and other.school.email_domain not in text, (
                        report.name, other.id)
