"""What the flow tests share: a sample school on disk, a loopback mailbox, and reading what it received."""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import FlowRun, StateType

from connectors.local.files import write_sample
from flows.settings import RunSettings
from thidua.plan import Plan, parse_plan

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"


def seed_plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def sample_school(out: Path, smtp_port: int, **overrides: object) -> RunSettings:
    write_sample(seed_plan(), out / "data")
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


def runs_in_state(name: str, state: StateType) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[name]), state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[state]))))


def paused_run(name: str, timeout: float = 180.0) -> uuid.UUID:
    """The id of the flow run called `name` once it waits for the principal."""
    runs = wait_for(f"{name} to pause for approval", lambda: runs_in_state(name, StateType.PAUSED), timeout)
    assert isinstance(runs, list)
    return runs[0].id
