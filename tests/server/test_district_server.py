"""A district as it really runs: schools' plans deployed to one Prefect server on PostgreSQL, a shared ledger
on PostgreSQL, a process work pool with two workers — one killed mid-run with every flow it was running, then
restarted — and every school's every report delivered exactly once, holding only its own school's data.

Two schools are the fewest that can read each other's data or send from each other's address, and three deadlines
a school (six sends for four worker slots) the fewest that keep a worker busy when it is killed while others queue;
the last, D9, is the one the district's roll-up covers. More of either only repeats the same paths (the district
benchmark runs 60 × 9).

The district's Prefect server, on the run's PostgreSQL cluster, is this module's alone: started for it and stopped
after it, instead of idling through the rest of the run."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prefect
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.states import Crashed

from connectors.ledger import SqlLedger
from connectors.local.smtp_server import LoopbackSmtpServer
from connectors.ports import DeliveryState
from flows.district import rollup_flow
from tests.postgres import PostgresCluster
from tests.prefect_server import PrefectServer, pointing_at, serving_prefect
from thidua import mail
from thidua.plan import Plan, parse_plan
from thidua_cli.district_demo import write_district

from .support import (
    REPO,
    Worker,
    assert_only_own_school,
    descendants,
    polling_client,
    received,
    seed_plan,
    wait_for,
)

PREFECT_PG_DATABASE = "prefect"
SCHOOLS = 2
DEADLINES = ("D2", "D5", "D9")  # exemplars, evaluation, exemplars: one in each part of the year
POOL = "thidua-district"
AS_OF = dt.datetime(2024, 12, 9, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))  # after every send time


@pytest.fixture(scope="module")
def prefect_pg_server(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster) -> Iterator[PrefectServer]:
    """The Prefect server as a district runs it, on PostgreSQL (database `prefect` of the run's cluster)."""
    home = tmp_path_factory.mktemp("prefect-pg-home")
    database = postgres.url(PREFECT_PG_DATABASE, "asyncpg")
    with serving_prefect(home, PREFECT_API_DATABASE_CONNECTION_URL=database) as server:
        yield server


@pytest.fixture
def prefect_pg_api(prefect_pg_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the district's server."""
    with pointing_at(prefect_pg_server) as server:
        yield server


@flow(name="thidua-postgres-smoke")
def _add(a: int, b: int) -> int:
    return a + b


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return json.load(response)


def test_the_server_is_healthy_and_migrated_on_postgresql(
    prefect_pg_server: PrefectServer, postgres: PostgresCluster
) -> None:
    assert _get(f"{prefect_pg_server.url}/health") is True
    assert _get(f"{prefect_pg_server.url}/admin/version") == prefect.__version__
    # Prefect's migrations ran in the cluster: its tables and Alembic's mark are in the `prefect` database.
    tables = postgres.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", PREFECT_PG_DATABASE)
    assert {"flow", "flow_run", "deployment", "alembic_version"} <= set(tables.splitlines())
    assert postgres.psql("SELECT count(*) FROM alembic_version", PREFECT_PG_DATABASE) == "1"
    assert not list(prefect_pg_server.home.glob("*.db")), "the server fell back to SQLite in PREFECT_HOME"


def test_a_flow_run_is_recorded_in_postgresql(prefect_pg_api: PrefectServer, postgres: PostgresCluster) -> None:
    state = _add(2, 3, return_state=True)
    assert state.is_completed() and state.result() == 5
    run_id = state.state_details.flow_run_id
    row = postgres.psql(
        f"SELECT f.name, r.state_type FROM flow_run r JOIN flow f ON f.id = r.flow_id WHERE r.id = '{run_id}'",
        PREFECT_PG_DATABASE,
    )
    assert row == "thidua-postgres-smoke|COMPLETED"


def _thidua(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "thidua_cli.main", *args], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return run


def _sends() -> list[FlowRun]:
    found = polling_client().read_flow_runs(
        flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=["thidua", "send"])), limit=200)
    return [r for r in found if r.state is not None]


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _dead_runs(runs: list[FlowRun]) -> list[FlowRun]:
    """Runs the server still calls running or pending whose process is gone: what a killed worker leaves."""
    dead = []
    for run in runs:
        if run.state is None or run.state.type not in (StateType.RUNNING, StateType.PENDING):
            continue
        pid = int((run.infrastructure_pid or "0").rsplit(":", 1)[-1] or 0)
        if pid and not _alive(pid):
            dead.append(run)
    return dead


def _sends_so_far(workers: list[Worker], crashed_by_us: frozenset[Any] = frozenset()) -> list[FlowRun]:
    """The sends, failing the test at once when one ended other than completed (but the runs this test crashed),
    with its state message and the workers' last log lines, rather than waiting out the timeout."""
    runs = _sends()
    ended_badly = [r for r in runs if r.id not in crashed_by_us and r.state is not None and r.state.is_final()
                   and r.state.type is not StateType.COMPLETED]
    if ended_badly:
        states = "; ".join(f"{r.name} {r.parameters.get('deadline_id')} {r.state.type.value}: {r.state.message}"
                           for r in ended_badly if r.state is not None)
        logs = "\n".join(w.log.read_text(encoding="utf-8", errors="replace")[-3000:] for w in workers)
        raise AssertionError(f"a send ended without completing: {states}\n{logs}")
    return runs


def _completed(runs: list[FlowRun]) -> int:
    return len([r for r in runs if r.state is not None and r.state.type is StateType.COMPLETED])


@pytest.mark.timeout(900)
def test_district_two_workers_one_killed_every_report_exactly_once(
        prefect_pg_api: Any, postgres: Any, tmp_path: Path) -> None:
    env = {**prefect_pg_api.env, "COLUMNS": "200"}
    seed = seed_plan()
    base = seed.model_copy(update={"delivery": seed.delivery.model_copy(update={"approval_required": False}),
                                   "deadlines": tuple(d for d in seed.deadlines if d.id in DEADLINES)})
    out = tmp_path / "district"
    plans_dir = write_district(base, out, SCHOOLS, seed=9, staff=24)
    plans = {p.id: p for p in (parse_plan(f.read_text(encoding="utf-8")) for f in plans_dir.glob("*.yaml"))}
    expected = {mail.report_message_id(p.id, d.id, 1, p.school.email_domain): (p.id, d.id)
                for p in plans.values() for d in p.deadlines}
    ledger_url = postgres.url("district_ledger", "psycopg")

    with LoopbackSmtpServer(out / "mail") as smtp:
        deployed = _thidua(env, "deploy", str(plans_dir), "--out", str(out), "--smtp-port", str(smtp.port),
                           "--ledger", ledger_url, "--work-pool", POOL, "--as-of", AS_OF.isoformat())
        assert deployed.stdout.count("chạy ngay vì trễ hạn") == SCHOOLS
        workers = [Worker(env, tmp_path / f"worker-{n}.log", POOL, limit=2) for n in (1, 2)]
        for worker in workers:
            worker.start()
        try:
            # Kill the first worker, and every flow it runs, once a report is out (mid-year) and it is busy.
            wait_for("a report out and the first worker busy", lambda: any((out / "mail").glob("*.eml"))
                     and descendants(workers[0].pid), 300)
            workers[0].kill()
            workers[0].start()
            # Every run ends, or is left running by a process that no longer exists.
            wait_for("every send to finish or be orphaned", lambda: (
                _completed(runs := _sends_so_far(workers)) + len(_dead_runs(runs)) == len(expected)), 400)
            orphans = _dead_runs(_sends())
            assert orphans, "the killed worker was running nothing"
            # What Prefect's zombie detection does (README): mark them crashed; then run them again, later.
            with get_client(sync_client=True) as client:
                for run in orphans:
                    client.set_flow_run_state(run.id, Crashed(message="worker killed"), force=True)
            for run in orphans:
                school = next(t for t in run.tags if t in plans)
                deployment = f"thidua-deadline/{school}-{run.parameters['deadline_id']}-send"
                run_deployment(deployment, parameters={"now": (AS_OF + dt.timedelta(minutes=15)).isoformat(),
                                                       "late": True}, timeout=0)
            crashed = frozenset(run.id for run in orphans)
            wait_for("the re-runs", lambda: _completed(_sends_so_far(workers, crashed)) == len(expected), 400)
        finally:
            for worker in workers:
                worker.stop()
            for run in _sends():  # shown only when the test fails: where each send got to
                print(run.name, run.parameters.get("deadline_id"), run.state and run.state.type.value,
                      run.state and run.state.message)

    messages = received(out / "mail")
    ids = Counter(str(m["Message-ID"]) for m in messages)
    print(f"district: {len(messages)} emails, {len(ids)} distinct Message-IDs, {len(orphans)} runs killed")
    assert set(ids) == set(expected) and all(n == 1 for n in ids.values()), ids.most_common(3)
    records = SqlLedger(ledger_url).all()
    assert {(r.key.school_id, r.key.deadline_id) for r in records} == set(expected.values())
    assert {r.state for r in records} == {DeliveryState.SENT}
    for message in messages:
        school, _ = expected[str(message["Message-ID"])]
        assert message["From"].addresses[0].addr_spec == plans[school].delivery.sender

    assert_only_own_school(out, plans)
    _assert_runs_tagged_by_school(plans)
    rollup = rollup_flow(_school_settings(out, plans_dir, ledger_url), "D9")
    assert (rollup["schools"], rollup["delivered"]) == (SCHOOLS, SCHOOLS)


def _school_settings(out: Path, plans_dir: Path, ledger_url: str) -> list[Any]:
    from flows.district import district_schools
    from flows.settings import RunSettings

    return district_schools(plans_dir, RunSettings(plan_path=plans_dir, data_dir=out, out_dir=out,
                                                   ledger_url=ledger_url), out)


def _assert_runs_tagged_by_school(plans: dict[str, Plan]) -> None:
    """A school's clerk filters the UI by the school's tag and sees its sends, nobody else's."""
    for school, plan in plans.items():
        with get_client(sync_client=True) as client:
            mine = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[school, "send"])))
        completed = [r for r in mine if r.state and r.state.type is StateType.COMPLETED]
        assert sorted(r.parameters["deadline_id"] for r in completed) == sorted(d.id for d in plan.deadlines)
        assert all(Path(r.parameters["settings"]["plan_path"]).stem == school for r in mine)
