"""A real Prefect server (`prefect server start`) on a free loopback port, independent of pytest.

The test session starts one on SQLite and one on PostgreSQL (tests/conftest.py); the district benchmark starts
one on PostgreSQL, as a district runs it:

    with temporary_cluster() as cluster, serving_prefect(home, PREFECT_API_DATABASE_CONNECTION_URL=...) as server,
            pointing_at(server):
        ...  # flows run in this process report to `server`
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

REPO = Path(__file__).resolve().parents[1]


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
def serving_prefect(home: Path, **settings: str) -> Iterator[PrefectServer]:
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


@contextmanager
def pointing_at(server: PrefectServer) -> Iterator[PrefectServer]:
    """Prefect settings that send this process's flows to `server` rather than a server of their own."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )

    # Logs stay local: a log batch flushed at exit would find the server already stopped.
    with temporary_settings(updates={PREFECT_API_URL: server.url, PREFECT_SERVER_ANALYTICS_ENABLED: False,
                                     PREFECT_LOGGING_TO_API_ENABLED: False}):
        yield server
