"""Session-wide fixtures: one real Prefect server (`prefect server start`, SQLite, loopback) for the whole run, and,
for what a district shares, a throwaway PostgreSQL cluster and a second Prefect server on it.

Start them once, not per test: tests that run flows in this process use `prefect_api`, which points Prefect's client
at the server; tests that start workers or the CLI pass `PrefectServer.env` to their subprocesses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PG_ROOT, PostgresCluster, find_bindir, temporary_cluster
from tests.prefect_server import PrefectServer, pointing_at, serving_prefect

REPO = Path(__file__).resolve().parents[1]
PREFECT_PG_DATABASE = "prefect"


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with serving_prefect(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster for the run (tests/postgres.py); each user creates its own databases."""
    if find_bindir() is None:
        pytest.skip(f"PostgreSQL is not installed: no server binaries under {PG_ROOT}/*/bin "
                    "(scripts/bootstrap.sh installs Debian's postgresql)")
    with temporary_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def prefect_pg_server(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster) -> Iterator[PrefectServer]:
    """The Prefect server as a district runs it, on PostgreSQL (database `prefect` of the `postgres` cluster)."""
    home = tmp_path_factory.mktemp("prefect-pg-home")
    database = postgres.url(PREFECT_PG_DATABASE, "asyncpg")
    with serving_prefect(home, PREFECT_API_DATABASE_CONNECTION_URL=database) as server:
        yield server


@pytest.fixture
def prefect_api(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the session's server."""
    with pointing_at(prefect_server) as server:
        yield server


@pytest.fixture
def prefect_pg_api(prefect_pg_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the session's PostgreSQL-backed server."""
    with pointing_at(prefect_pg_server) as server:
        yield server
