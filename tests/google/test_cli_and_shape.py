"""`thidua google provision` twice through the CLI, and a renamed form question stopping a Google read."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.google.api import GoogleApi
from connectors.google.auth import ENV_VAR
from connectors.google.sheets import SheetsSource
from emulator.accounts import fake_service_account
from emulator.testing import WorkspaceClients
from thidua.pipeline import collect
from thidua.plan import parse_plan
from thidua.validate import SourceShapeError
from thidua_cli.main import app

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"


def test_provision_command_twice_creates_nothing_the_second_time(workspace: WorkspaceClients, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, json.dumps(fake_service_account().info(workspace.base_url)))
    runner = CliRunner()
    args = ["google", "provision", str(PLAN), "--base-url", workspace.base_url]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a.yaml")])
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b.yaml")])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Đã tạo 22 mục" in first.output
    assert "không tạo thêm gì" in second.output
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == (tmp_path / "b.yaml").read_text(encoding="utf-8")
    provisioned = parse_plan((tmp_path / "a.yaml").read_text(encoding="utf-8"))
    assert provisioned.backend == "google"
    assert all(s.spreadsheet_id for s in provisioned.sources)


def test_missing_credentials_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    result = CliRunner().invoke(app, ["google", "provision", str(PLAN), "--out", str(tmp_path / "p.yaml"),
                                      "--base-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert ENV_VAR in result.output


def test_a_renamed_question_in_a_google_sheet_is_named_not_miscounted(workspace: WorkspaceClients) -> None:
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    roster = next(s for s in plan.sources if s.id == "roster")
    headers = list(roster.columns.values())
    headers[2] = "Tổ chuyên môn"
    spreadsheet = workspace.gspread().create("Danh sách")
    spreadsheet.sheet1.update([headers, ["Lan", "lan@x.vn", "Toán", "Giáo viên", ""]], "A1")
    source = roster.model_copy(update={"spreadsheet_id": spreadsheet.id, "sheet": "Sheet1"})
    tables = SheetsSource(workspace.gspread(), GoogleApi(sleep=lambda s: None)).read_many([source])
    with pytest.raises(SourceShapeError) as caught:
        collect(plan, tables, dt.datetime(2024, 12, 31, tzinfo=dt.UTC))
    assert "thiếu cột: «Tổ»" in str(caught.value) and "«Tổ chuyên môn»" in str(caught.value)
