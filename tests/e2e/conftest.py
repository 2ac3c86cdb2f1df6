"""The demo run once per session through the real CLI, so several test modules can read its output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_demo(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "thidua_cli.main", "demo", "--out", str(out), *extra], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1200, check=False)


@pytest.fixture(scope="session")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out)
