"""`thidua check` is where a clerk meets a wrong plan: Vietnamese problems and exit code 2, never a traceback,
and the addresses each report goes to shown, so a look-alike can be seen before the send morning."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thidua_cli.main import app

SEED = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"


def test_check_shows_every_recipient_address() -> None:
    result = CliRunner().invoke(app, ["check", str(SEED)], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert "thuongtruc.tdkt@tanphu.example.gov.vn" in result.output


@pytest.mark.parametrize(("content", "says"), [
    ("id: x\n".encode("utf-16"), "UTF-16"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "không phải tệp văn bản YAML"),
    (b"x: " + b"[" * 5000 + b"]" * 5000, "lồng quá sâu"),
    ("id: café\n".encode("latin-1"), "không phải văn bản UTF-8"),
], ids=["utf16", "png", "deep", "latin1"])
def test_check_refuses_a_file_that_is_no_plan_without_a_traceback(tmp_path: Path, content: bytes, says: str) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_bytes(content)
    result = CliRunner().invoke(app, ["check", str(plan)], terminal_width=300)
    assert result.exit_code == 2
    assert says in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)


def _thidua(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script as a clerk runs it (CliRunner would bypass the app's own handling of failures)."""
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    env.pop("THIDUA_DEBUG", None)
    return subprocess.run([sys.executable, "-c", "from thidua_cli.main import app; app()", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_status_on_a_damaged_ledger_says_so_without_a_traceback(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    ledger = out / "deliveries.sqlite"
    if damage == "garbage":
        ledger.write_bytes(b"\x13\x37" * 2000)
    else:
        sqlite3.connect(ledger).executescript("CREATE TABLE t(x); INSERT INTO t VALUES (zeroblob(100000));").close()
        ledger.write_bytes(ledger.read_bytes()[:1500])
    result = _thidua("status", str(SEED), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Sổ gửi thư (ledger) hỏng" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_status_on_a_broken_export_names_the_file_and_line_without_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "roster.csv").write_text('Họ và tên,Email,Tổ,Chức vụ\r\n"Lan,lan@x.vn,Toán,GV\r\n', encoding="utf-8")
    result = _thidua("status", str(SEED), "--out", str(tmp_path / "out"), "--data", str(data),
                     "--as-of", "2024-03-10T08:00:00+07:00", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "roster.csv" in result.stdout and "dòng 2" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
