"""The seed plan on a real Prefect server with a process worker: deployed with every run scheduled, late deadlines
started at once and marked late, runs triggered through the API delivered to a real loopback SMTP server with the
worker killed mid-delivery and restarted — one email, not zero and not two. Ends with a screenshot of the UI."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    DeploymentFilter,
    DeploymentFilterTags,
)
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run

from connectors.local.files import write_sample
from connectors.local.smtp_server import message_ids_in
from flows.deploy import ENGINE_JOB_VARIABLES
from flows.settings import RunSettings
from tests.prefect_server import free_port
from thidua import mail
from thidua.calendar import schedule
from thidua.schedule import runs

from .support import (
    PLAN,
    REPO,
    STAFF,
    HoldingSmtpHandler,
    Worker,
    descendants,
    paused_run,
    received,
    runs_in_state,
    seed_plan,
    wait_for,
)

SEED = seed_plan()
POOL = "thidua-test"
APPROVE = {"decision": "phê duyệt", "comment": ""}
TAG = SEED.id  # runs inherit their deployment's tags; other tests share the server but not this tag
SCREENSHOT = REPO / "tests" / "artifacts" / "prefect-ui-runs.png"


@pytest.fixture(scope="module")
def env(prefect_server: Any) -> dict[str, str]:
    return {**prefect_server.env, "COLUMNS": "200"}


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[tuple[HoldingSmtpHandler, int]]:
    handler = HoldingSmtpHandler(tmp_path / "out" / "mail")
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    handler.release.set()
    controller.stop()


def _thidua(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "thidua_cli.main", *args], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def _report_ids(maildir: Path, deadline_id: str) -> list[str]:
    wanted = mail.report_message_id(SEED.id, deadline_id, 1, SEED.school.email_domain)
    return [str(m["Message-ID"]) for m in received(maildir) if str(m["Message-ID"]) == wanted]


def _completed(name: str, count: int = 1) -> None:
    wait_for(f"{name} to complete", lambda: len(runs_in_state(name, StateType.COMPLETED, TAG)) >= count, 300)


def _send_deployment(plan_id: str, deadline_id: str) -> str:
    return f"thidua-deadline/{plan_id}-{deadline_id}-send"


@pytest.mark.timeout(1800)  # six flow-run processes and three worker starts: slow on a loaded 2-core machine
def test_seed_plan_on_a_real_server_and_worker(prefect_api: Any, env: dict[str, str], tmp_path: Path,
                                               mailbox: tuple[HoldingSmtpHandler, int]) -> None:
    from prefect.deployments import run_deployment

    handler, port = mailbox
    out = tmp_path / "out"
    write_sample(SEED, out / "data", staff=STAFF)
    common = ["--out", str(out), "--smtp-port", str(port), "--work-pool", POOL]

    # 1. Deploy as on the plan's own date: D1 and D2 are already past their send time.
    deployed = _thidua(env, "deploy", str(PLAN), *common, "--as-of", "2024-03-25T09:00:00+07:00")
    assert "Trễ hạn:" in deployed.stdout and "D1 lẽ ra gửi lúc 08:00 13/03/2024" in deployed.stdout
    with get_client(sync_client=True) as client:
        deployments = client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["thidua", SEED.id])))
    assert {d.name for d in deployments} == {f"{SEED.id}-{r.name}" for r in runs(SEED)}
    # The worker starts the engine at once, not Prefect's workspace supervisor first (flows/deploy.py).
    assert all(d.job_variables == ENGINE_JOB_VARIABLES for d in deployments)
    scheduled = {d.name: d.schedules[0].schedule for d in deployments if d.schedules}
    late_sends = {f"{SEED.id}-D1-send", f"{SEED.id}-D2-send"}
    assert late_sends.isdisjoint(scheduled)
    d8 = scheduled[f"{SEED.id}-D8-send"]
    assert d8.rrule.startswith("DTSTART:20241113T080000") and d8.timezone == "Asia/Ho_Chi_Minh"  # type: ignore[union-attr]

    worker = Worker(env, tmp_path / "worker.log", POOL)
    worker.start()
    try:
        # 2. The late sends run at once, wait for the principal, and go out marked late.
        for deadline_id in ("D1", "D2"):
            resume_flow_run(paused_run(deadline_id, TAG, timeout=240), run_input=APPROVE)
        for deadline_id in ("D1", "D2"):
            _completed(deadline_id)
            assert len(_report_ids(handler.maildir, deadline_id)) == 1
        d1_runs = [r.id for r in runs_in_state("D1", StateType.COMPLETED, TAG)]
        with get_client(sync_client=True) as client:
            summary = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[f"{SEED.id}-d1-summary"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=d1_runs)))
        assert summary and all("TRỄ HẠN" in str(a.data) for a in summary)

        # 3. Runs triggered through the API (as the clerk's re-run is), killed between send and record (D4: the
        #    mail server has it; D6: not yet; the ledger says pending for both), then re-run: one email each, not
        #    zero and not two. Both are stalled at the mail server, so one kill crashes both.
        fast = RunSettings(plan_path=PLAN.resolve(), data_dir=(out / "data").resolve(), out_dir=out.resolve(),
                           smtp_port=port, approval_poll_seconds=1)  # the decision is seen within a second
        settings = fast.model_copy(update={"stale_after_seconds": 3})
        crashed = {"D4": "after", "D6": "before"}
        handler.hold({mail.report_message_id(SEED.id, d, 1, SEED.school.email_domain): hold
                      for d, hold in crashed.items()})
        parameters = {d: {"now": schedule(SEED, SEED.deadline(d)).send_at.isoformat(),
                          "settings": settings.model_dump(mode="json")} for d in crashed}
        for deadline_id in crashed:
            run_deployment(_send_deployment(SEED.id, deadline_id), parameters=parameters[deadline_id], timeout=0)
        for deadline_id in crashed:
            resume_flow_run(paused_run(deadline_id, TAG, timeout=240), run_input=APPROVE)
        assert len(handler.wait_held(240)) == len(crashed), "a report never reached the mail server"
        worker.kill()
        handler.release.set()
        assert {d: len(_report_ids(handler.maildir, d)) for d in crashed} == {"D4": 1, "D6": 0}
        worker.start()
        # The clerk re-runs ten (simulated) minutes later: the killed runs' claims are stale by then.
        for deadline_id in crashed:
            send_at = dt.datetime.fromisoformat(parameters[deadline_id]["now"])
            rerun = {**parameters[deadline_id], "now": (send_at + dt.timedelta(minutes=10)).isoformat()}
            run_deployment(_send_deployment(SEED.id, deadline_id), parameters=rerun, timeout=0)
        crash_counts = {}
        for deadline_id in crashed:
            _completed(deadline_id)
            ids = _report_ids(handler.maildir, deadline_id)
            crash_counts[deadline_id] = (len(ids), len(set(ids)))
        assert crash_counts == {"D4": (1, 1), "D6": (1, 1)}, crash_counts
        print(f"crash tests: {crash_counts} (emails, distinct Message-IDs)")
        assert len(message_ids_in(handler.maildir)) == len(list(handler.maildir.glob("*.eml")))

        # 4. A run's own process killed (the worker lives on): the worker marks it crashed and runs the run's hook,
        #    which tells the clerk. The worker starts the engine itself (flows/deploy.py), so it runs the hooks.
        d3 = {"now": schedule(SEED, SEED.deadline("D3")).send_at.isoformat(), "settings": fast.model_dump(mode="json")}
        run_deployment(_send_deployment(SEED.id, "D3"), parameters=d3, timeout=0)
        _kill_engine(worker, paused_run("D3", TAG, timeout=240))
        wait_for("the clerk's alert for D3", lambda: [m for m in received(handler.maildir) if str(m["Subject"])
                                                      .endswith("Cảnh báo: hạn D3 – lượt chạy không hoàn thành")], 120)
        assert len(runs_in_state("D3", StateType.CRASHED, TAG)) == 1
        # ...and says so in the run's log, not that it failed to (it ran with no run context: flows/common.py).
        wait_for("the hook's log line", lambda: "Đã gửi cảnh báo cho thư ký" in (tmp_path / "worker.log").read_text(
            encoding="utf-8", errors="replace"), 30)
        assert "Không gửi được cảnh báo" not in (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")

        status = _thidua(env, "status", str(PLAN), "--out", str(out), "--as-of", "2024-06-08T09:00:00+07:00")
        assert "D4" in status.stdout and "đã gửi" in status.stdout
        _screenshot(env, str(env["PREFECT_API_URL"]).removesuffix("/api"), tmp_path)
    finally:
        worker.stop()

    # 5. A moved date and a dropped reminder: re-deploying moves the schedule and leaves no stale deployment.
    moved = tmp_path / "plan.yaml"
    moved.write_text(PLAN.read_text(encoding="utf-8").replace("due_before: 2024-12-10", "due_before: 2024-12-17")
                     .replace("reminder_days: [7, 3]", "reminder_days: [5]"), encoding="utf-8")
    redeployed = _thidua(env, "deploy", str(moved), *common, "--as-of", "2024-06-08T09:00:00+07:00")
    assert "lịch cũ" in redeployed.stdout
    with get_client(sync_client=True) as client:
        names = {d.name: d for d in client.read_deployments(
            deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=["thidua", SEED.id])))}
    assert not [n for n in names if n.endswith(("-reminder-7d", "-reminder-3d"))]
    assert f"{SEED.id}-D9-reminder-5d" in names
    d9 = names[f"{SEED.id}-D9-send"].schedules
    assert len(d9) == 1 and d9[0].schedule.rrule.startswith("DTSTART:20241215T080000")  # type: ignore[union-attr]


def _kill_engine(worker: Worker, run_id: uuid.UUID) -> None:
    """SIGKILL the flow-run process the worker started for `run_id`, and nothing else (what it started, a
    LibreOffice say, inherits its environment but not its command)."""
    for pid in descendants(worker.pid):
        with contextlib.suppress(OSError):
            proc = Path(f"/proc/{pid}")
            if b"prefect.engine" in (proc / "cmdline").read_bytes().split(b"\0") and \
                    f"PREFECT__FLOW_RUN_ID={run_id}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(pid, signal.SIGKILL)
                return
    raise AssertionError(f"no process of the worker runs {run_id}")


def _screenshot(env: dict[str, str], ui_url: str, tmp_path: Path) -> None:
    """The Prefect UI's runs page in headless Chromium, kept under tests/artifacts/."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (scripts/bootstrap.sh installs it)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,800", "--virtual-time-budget=20000",
         f"--screenshot={SCREENSHOT}", f"{ui_url}/runs"],
        env=env, capture_output=True, timeout=120, check=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
