"""`thidua check --data` names what would fail on the send day (a renamed column with the columns present, a
missing file, a missing template), and the plan reference in docs/ is what the models say."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.backends import UnknownBackend, open_backend
from connectors.local.files import write_sample
from flows.settings import RunSettings
from thidua.plan import parse_plan
from thidua_cli.main import app
from thidua_cli.plan_reference import REFERENCE, render

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"


@pytest.fixture
def school(tmp_path: Path) -> Path:
    (tmp_path / "plan.yaml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    write_sample(parse_plan(SEED.read_text(encoding="utf-8")), tmp_path / "data", staff=32)
    for extra in (tmp_path / "data").glob("*.xlsx"):
        extra.unlink()
    return tmp_path


def _check(school: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", str(school / "plan.yaml"), *args], env={"COLUMNS": "300"})
    return result.exit_code, result.output


def test_check_with_data_passes_on_a_complete_school(school: Path) -> None:
    code, output = _check(school, "--data", str(school / "data"))
    assert code == 0, output
    assert "Kế hoạch hợp lệ" in output and "đã đọc dòng tiêu đề của 7 nguồn" in output


def test_check_names_each_missing_column_file_and_template(school: Path) -> None:
    f1 = school / "data" / "F1_dang_ky_ca_nhan.csv"
    f1.write_text(f1.read_text(encoding="utf-8").replace("Danh hiệu thi đua đăng ký", "Danh hiệu", 1), encoding="utf-8")
    (school / "data" / "F5_sang_kien.csv").unlink()
    plan = school / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("template: exemplars.docx", "template: guong.docx"),
                    encoding="utf-8")
    code, output = _check(school, "--data", str(school / "data"))
    assert code == 1, output
    assert "Kế hoạch hợp lệ" not in output
    assert "nguồn F1" in output and "thiếu cột: «Danh hiệu thi đua đăng ký»" in output and "Các cột hiện có:" in output
    assert "nguồn F5" in output and "F5_sang_kien.csv" in output
    assert "mẫu guong.docx" in output


def test_check_refuses_a_backend_nobody_registered_and_names_those_that_are(school: Path) -> None:
    plan = school / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8") + "\nbackend: onedrive\n", encoding="utf-8")
    code, output = _check(school, "--data", str(school / "data"))
    assert code == 1, output
    assert "Kế hoạch hợp lệ" not in output
    said = " ".join(output.split())  # the console may wrap between words, whatever COLUMNS says
    assert "backend «onedrive» chưa được đăng ký" in said and "google, local" in said


def test_a_run_refuses_to_open_a_backend_nobody_registered(tmp_path: Path) -> None:
    plan = parse_plan(SEED.read_text(encoding="utf-8")).model_copy(update={"backend": "onedrive"})
    settings = RunSettings(plan_path=SEED, data_dir=tmp_path, out_dir=tmp_path)
    with pytest.raises(UnknownBackend, match=r"«onedrive» chưa được đăng ký.*google, local"):
        open_backend(plan, settings)


def test_committed_plan_reference_is_the_generated_one() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), \
        "docs/plan-reference.md is stale: run `uv run python -m thidua_cli.plan_reference`"


def test_plan_reference_lists_every_columns_field_of_every_source_kind() -> None:
    from thidua.plan import OPTIONAL_FIELDS, REQUIRED_FIELDS

    text = render()
    for kind, fields in REQUIRED_FIELDS.items():
        section = text.split(f"### `kind: {kind.value}`")[1].split("###")[0]
        assert all(f"`{f}`" in section for f in (*fields, *OPTIONAL_FIELDS[kind]))
