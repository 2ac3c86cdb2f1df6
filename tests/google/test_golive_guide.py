"""The going-live guide and its example plan stay true to the code: the plan passes `thidua check`, and the exact
strings the guide tells a clerk to paste are the ones the code uses."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from connectors.google.auth import SCOPES
from connectors.google.doctor import APIS, scope_string
from thidua.plan import parse_plan
from thidua_cli.main import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "le-anh-xuan-2024-google" / "plan.yaml"
GUIDE = REPO / "docs" / "di-vao-hoat-dong-google.md"


def test_the_google_example_plan_passes_check() -> None:
    result = CliRunner().invoke(app, ["check", str(EXAMPLE)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Kế hoạch hợp lệ" in result.output


def test_the_google_example_is_the_seed_plan_with_a_google_section() -> None:
    google = parse_plan(EXAMPLE.read_text(encoding="utf-8"))
    seed = parse_plan((REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    assert google.backend == "google" and google.google is not None
    assert google.google.user == google.delivery.sender
    assert google.model_copy(update={"backend": "local", "google": None}) == seed


def test_the_guide_gives_the_scope_string_the_code_requests_and_every_api() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert scope_string() == ",".join(SCOPES)
    assert scope_string() in [line.strip() for line in guide.splitlines()]  # whole, on a line of its own
    for api in APIS:
        assert api.service in guide, api.service
    for command in ("thidua google provision", "thidua google doctor", "thidua google login", "thidua deploy"):
        assert command in guide, command
