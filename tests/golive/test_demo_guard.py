"""`thidua demo` writes sample answers into OUT/data, every other command's default data folder: it refuses a
folder holding answers it did not generate."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from thidua_cli.main import app


def test_demo_refuses_to_overwrite_a_schools_own_data(tmp_path: Path) -> None:
    roster = tmp_path / "data" / "roster.csv"
    roster.parent.mkdir()
    answers = "Họ và tên,Email\r\nNguyễn Thị Thật,that@truong.edu.vn".encode()
    roster.write_bytes(answers)
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "không do demo sinh ra" in result.output
    assert roster.read_bytes() == answers
    assert not (tmp_path / "summary.json").exists()
