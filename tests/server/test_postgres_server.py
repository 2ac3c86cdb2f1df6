"""The Prefect server as a district runs it, on PostgreSQL: healthy, migrated, and a flow run through it lands in the
PostgreSQL cluster's `prefect` database, not in a SQLite file."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import prefect
from prefect import flow

from tests.conftest import PREFECT_PG_DATABASE, PrefectServer
from tests.postgres import PostgresCluster


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
