"""The demo run once per test run through the real CLI, so several test modules, perhaps on different xdist
workers, can read its output (tests/run_once.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.prefect_server import PrefectServer
from tests.run_once import once_per_run

REPO = Path(__file__).resolve().parents[2]


def run_demo(out: Path, *extra: str, server: PrefectServer | None = None) -> subprocess.CompletedProcess[str]:
    """`thidua demo` in a subprocess: on Prefect's embedded default, or reporting to `server` (the test run's
    server), which spares a Prefect start and keeps concurrent demos off one SQLite file."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    if server is not None:
        env |= {"PREFECT_API_URL": server.url}
    # Output to files, not pipes: a grandchild that outlives the demo cannot hold the wait open. The timeout kills
    # the demo before pytest-timeout (900 s) would, so no orphan keeps writing into `out` after the test gave up.
    command = [sys.executable, "-m", "thidua_cli.main", "demo", "--out", str(out), *extra]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        run = subprocess.run(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, timeout=840, check=False)
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(command, run.returncode, stdout.read().decode(), stderr.read().decode())


@pytest.fixture(scope="session")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    def demo(out: Path) -> dict[str, Any]:
        run = run_demo(out)
        return {"args": run.args, "returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}

    out, done = once_per_run(tmp_path_factory, "local-demo", demo)
    return out, subprocess.CompletedProcess(done["args"], done["returncode"], done["stdout"], done["stderr"])
