"""Fixtures for the sample generator and the file source: the seed plan and its default sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from sample_data.generator import SampleData, generate
from thidua.plan import Plan, parse_plan

SEED_PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"


@pytest.fixture(scope="session")
def plan() -> Plan:
    return parse_plan(SEED_PLAN.read_text(encoding="utf-8"), filename=str(SEED_PLAN))


@pytest.fixture(scope="session")
def sample(plan: Plan) -> SampleData:
    return generate(plan)
