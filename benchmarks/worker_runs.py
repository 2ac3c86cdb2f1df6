"""What a deadline's flow run costs on a process worker, as a school's or a district's worker runs it: the CPU of
the worker's whole process tree (the flow-run processes it starts and reaps) and each run's wall time.

Baseline: the deployments as Prefect makes them without a command, so the worker starts each flow run as Prefect's
workspace supervisor, which imports Prefect, runs the pull step and execs the engine. Against it: the deployments
as `thidua deploy` makes them (`flows.deploy.ENGINE_JOB_VARIABLES`: the engine started at once). Same server, same
plan and data, runs one after another, each way alternately.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.process_cpu import TICKS, stat_fields
from connectors.local.files import write_sample
from connectors.local.smtp_server import LoopbackSmtpServer
from flows.settings import DEFAULT_PLAN, REPO_ROOT, RunSettings
from tests.prefect_server import pointing_at, serving_prefect
from tests.server.support import descendants
from thidua.calendar import schedule
from thidua.plan import parse_plan

POOL = "thidua-benchmark"
DEADLINES = ("D2", "D5")


def _tree_cpu(pid: int) -> float:
    """The process's own CPU and its reaped children's (the flow runs the worker started and waited for)."""
    return sum(int(v) for v in stat_fields(pid)[11:15]) / TICKS


def _wait_reaped(pid: int, timeout: float = 60) -> None:
    """Until the worker has no child left: a finished run's process is reaped, its CPU counted in the worker's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not descendants(pid):
            return
        time.sleep(0.2)
    raise TimeoutError("the worker's flow-run process did not end")


@contextlib.contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type",
                                   "process"], env={**env, "PREFECT_WORKER_QUERY_SECONDS": "1"}, cwd=REPO_ROOT,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            yield worker
        finally:
            worker.terminate()
            worker.wait(60)


def run(repeats: int = 2) -> list[dict[str, Any]]:
    from prefect.deployments import run_deployment

    from flows.deploy import ENGINE_JOB_VARIABLES

    ways = {"workspace supervisor (Prefect's default, baseline)": {}, "engine command (thidua deploy)":
            ENGINE_JOB_VARIABLES}
    cpu: dict[str, list[float]] = {way: [] for way in ways}
    wall: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        plan_text = DEFAULT_PLAN.read_text(encoding="utf-8").replace("approval_required: true",
                                                                     "approval_required: false")
        plan = parse_plan(plan_text)
        (root / "plan.yaml").write_text(plan_text, encoding="utf-8")
        write_sample(plan, root / "data", staff=32)
        (root / "prefect").mkdir()
        with serving_prefect(root / "prefect") as server, pointing_at(server), \
                LoopbackSmtpServer(root / "mail") as smtp, _worker(server.env, root / "worker.log") as worker:
            settings = RunSettings(plan_path=root / "plan.yaml", data_dir=root / "data", smtp_port=smtp.port,
                                   out_dir=root / "out")  # each run gets a folder of its own: nothing already sent
            deployments = _deploy(ways, settings)
            for _ in range(repeats + 1):  # the first round warms the worker and the files' cache
                for way, deployment in deployments.items():
                    for deadline_id in DEADLINES:
                        fresh = settings.model_copy(update={"out_dir": root / f"out-{len(cpu[way])}-{way[:6]}"})
                        parameters = {"deadline_id": deadline_id, "settings": fresh.model_dump(mode="json"),
                                      "now": schedule(plan, plan.deadline(deadline_id)).send_at.isoformat()}
                        before, start = _tree_cpu(worker.pid), time.perf_counter()
                        run_deployment(deployment, parameters=parameters, timeout=600)
                        wall[way].append(time.perf_counter() - start)
                        _wait_reaped(worker.pid)
                        cpu[way].append(_tree_cpu(worker.pid) - before)
    rows: list[dict[str, Any]] = []
    for way in ways:
        kept = slice(len(DEADLINES), None)
        rows.append({"benchmark": f"deadline flow run on a process worker, {way}", "runs": repeats * len(DEADLINES),
                     "seconds": statistics.median(wall[way][kept]),
                     "cpu_seconds_per_run": statistics.median(cpu[way][kept])})
    rows[1]["ratio_to_baseline"] = rows[1]["cpu_seconds_per_run"] / rows[0]["cpu_seconds_per_run"]
    return rows


def _deploy(ways: dict[str, dict[str, str]], settings: RunSettings) -> dict[str, str]:
    """One send deployment per way, the same but for its job variables."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from flows.deadline import deadline_flow
    from flows.deploy import PULL_STEPS

    names = {}
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
        flow_id = client.create_flow_from_name(deadline_flow.name)
        for n, (way, job_variables) in enumerate(ways.items()):
            client.create_deployment(
                flow_id=flow_id, name=f"benchmark-{n}", entrypoint="flows/deadline.py:deadline_flow",
                path=str(REPO_ROOT), work_pool_name=POOL, parameters={"settings": settings.model_dump(mode="json")},
                pull_steps=PULL_STEPS,
                job_variables=job_variables, enforce_parameter_schema=False)
            names[way] = f"{deadline_flow.name}/benchmark-{n}"
    return names
