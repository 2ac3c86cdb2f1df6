"""`thidua check` is where a clerk meets a wrong plan: Vietnamese problems and exit code 2, never a traceback,
and the addresses each report goes to shown, so a look-alike can be seen before the send morning."""

from __future__ import annotations

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
