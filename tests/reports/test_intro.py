"""A report cites the school's plan only once the plan exists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from thidua.aggregate import Dataset
from thidua.plan import parse_plan
from thidua.reports import build_context

PLAN = parse_plan((Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(
    encoding="utf-8"))


@pytest.mark.parametrize(("issued_on", "cites_plan"), [
    (dt.date(2024, 3, 24), False), (dt.date(2024, 3, 25), True), (dt.date(2024, 5, 20), True)])
def test_intro_cites_the_plan_from_its_date_on(issued_on: dt.date, cites_plan: bool) -> None:
    context = build_context(PLAN, PLAN.deadline("D2"), Dataset(), issued_on)
    assert (PLAN.plan_document.number in context["intro"]) is cites_plan
    assert context["intro"].endswith("báo cáo như sau:")
