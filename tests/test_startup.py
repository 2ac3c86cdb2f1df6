"""A CLI or flow-run process imports only what its job needs: every test that starts the CLI, and every flow run a
process worker starts, pays for each library imported at start-up (matplotlib, openpyxl and the Google clients took
about half of a `thidua` start). Each check runs in a fresh interpreter, since this one has imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
GOOGLE = ["gspread", "googleapiclient", "google.auth", "google.oauth2", "httplib2"]


def _loaded_after(code: str, watched: list[str]) -> list[str]:
    """Which of `watched` a fresh Python has in sys.modules after running `code` in the repository."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {watched!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_prefect_charts_workbooks_signing_google_or_emulator() -> None:
    watched = ["prefect", "matplotlib", "numpy", "openpyxl", "pyhanko", "cryptography", "docx", "emulator.server",
               *GOOGLE]
    assert _loaded_after("import thidua_cli.main", watched) == []


def test_thidua_check_on_a_plan_reads_templates_without_prefect_charts_workbooks_or_google() -> None:
    run = ("import runpy, sys\nsys.argv = ['thidua', 'check', " + repr(str(PLAN)) + "]\n"
           "try:\n    runpy.run_module('thidua_cli.main', run_name='__main__')\nexcept SystemExit as end:\n"
           "    assert not end.code, end.code")
    watched = ["prefect", "matplotlib", "openpyxl", "pyhanko", *GOOGLE, "docx"]
    assert _loaded_after(run, watched) == ["docx"]  # the templates are checked: python-docx is its job


def test_a_flow_run_process_loads_no_charts_workbooks_signing_or_google_until_it_uses_them() -> None:
    watched = ["matplotlib", "openpyxl", "pyhanko", *GOOGLE, "prefect"]
    assert _loaded_after("import flows.deadline", watched) == ["prefect"]
