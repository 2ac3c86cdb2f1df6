from __future__ import annotations

from pathlib import Path

import pytest

from thidua.plan import Plan, parse_plan

SEED_PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"


@pytest.fixture(scope="session")
def plan_text() -> str:
    return SEED_PLAN.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def plan(plan_text: str) -> Plan:
    return parse_plan(plan_text, filename="plan.yaml")
