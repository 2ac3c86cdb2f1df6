"""A real Prefect server (`prefect server start`) on a free loopback port, independent of pytest.

A test run starts one on SQLite for all its xdist workers and one on PostgreSQL for the district's module
(tests/conftest.py); the district benchmark starts one on PostgreSQL, as a district runs it:

    with temporary_cluster() as cluster, serving_prefect(home, PREFECT_API_DATABASE_CONNECTION_URL=...) as server,
            pointing_at(server):
        ...  # flows run in this process report to `server`
"""

from __future__ import annotations

import json
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

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "ui_url": self.ui_url, "home": str(self.home)})

    @classmethod
    def from_json(cls, text: str) -> PrefectServer:
        found = json.loads(text)
        return cls(found["url"], found["ui_url"], Path(found["home"]))

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_API_URL": self.url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO"}


@contextmanager
def serving_prefect(home: Path, **settings: str) -> Iterator[PrefectServer]:
    """`prefect server start` on a free loopback port, healthy before it is yielded, stopped with its process group.

    `settings` reach the server process only (e.g. its database URL); clients get `PrefectServer.env`.
    """
    with starting_prefect(home, **settings) as (server, process):
        wait_until_healthy(server, process)
        yield server


@contextmanager
def starting_prefect(home: Path, **settings: str) -> Iterator[tuple[PrefectServer, subprocess.Popen[bytes]]]:
    """`prefect server start`, yielded at once (not yet answering: `wait_until_healthy`), stopped on exit."""
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
        yield server, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def wait_until_healthy(server: PrefectServer, process: subprocess.Popen[bytes] | None = None,
                       timeout: float = 120.0) -> None:
    """Returns once the server answers its health check; raises with its log if it exits (`process`, when this
    process started it) or does not answer within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            log_text = (server.home / "server.log").read_text(errors="replace")
            raise RuntimeError(f"prefect server did not start:\n{log_text}")
        time.sleep(0.5)


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
