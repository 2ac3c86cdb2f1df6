"""Session-wide fixtures: one real Prefect server (`prefect server start`, SQLite, loopback) for the whole run, and,
for what a district shares, a throwaway PostgreSQL cluster and a second Prefect server on it.

Start them once, not per test: tests that run flows in this process use `prefect_api`, which points Prefect's client
at the server; tests that start workers or the CLI pass `PrefectServer.env` to their subprocesses.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import PG_ROOT, PostgresCluster, find_bindir, temporary_cluster

REPO = Path(__file__).resolve().parents[1]
PREFECT_PG_DATABASE = "prefect"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PrefectServer:
    url: str
    ui_url: str
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_API_URL": self.url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO"}


@contextmanager
def _serving_prefect(home: Path, **settings: str) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port, healthy before it is yielded, stopped with its process group.

    `settings` reach the server process only (e.g. its database URL); clients get `PrefectServer.env`.
    """
    port = free_port()
    server = PrefectServer(f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}", home)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**server.env, "PREFECT_API_URL": "", "PREFECT_UI_API_URL": server.url, **settings}, cwd=REPO,
        stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = (home / "server.log").read_text(errors="replace")
                raise RuntimeError(f"prefect server did not start:\n{log_text}")
            time.sleep(0.5)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    with _serving_prefect(tmp_path_factory.mktemp("prefect-home")) as server:
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
    with _serving_prefect(home, PREFECT_API_DATABASE_CONNECTION_URL=database) as server:
        yield server


@contextmanager
def _pointing_at(server: PrefectServer) -> Iterator[PrefectServer]:
    """Prefect settings that send this process's flows to `server` rather than a server of their own."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )

    # Logs stay local: a log batch flushed at exit would find the session's server already stopped.
    with temporary_settings(updates={PREFECT_API_URL: server.url, PREFECT_SERVER_ANALYTICS_ENABLED: False,
                                     PREFECT_LOGGING_TO_API_ENABLED: False}):
        yield server


@pytest.fixture
def prefect_api(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the session's server."""
    with _pointing_at(prefect_server) as server:
        yield server


@pytest.fixture
def prefect_pg_api(prefect_pg_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the session's PostgreSQL-backed server."""
    with _pointing_at(prefect_pg_server) as server:
        yield server
