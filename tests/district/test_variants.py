from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sample_data.generator import generate
from thidua.calendar import calendar
from thidua.district import SchoolDelivery, district_rollup, school_variants
from thidua.pipeline import collect
from thidua.plan import Plan, parse_plan
from thidua.rows import Table

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def schools() -> list[Plan]:
    return school_variants(parse_plan(PLAN.read_text(encoding="utf-8")), 25, seed=3)


def test_variants_are_distinct_schools_with_the_same_calendar(schools: list[Plan]) -> None:
    assert len({p.id for p in schools}) == 25
    assert len({p.school.email_domain for p in schools}) == 25
    assert len({p.delivery.sender for p in schools}) == 25
    base = [(s.id, s.send_at) for s in calendar(schools[0])]
    assert all([(s.id, s.send_at) for s in calendar(p)] == base for p in schools)
    assert {len(p.teams) for p in schools} > {8}  # some schools merged teams
    assert all(p.allow_list == schools[0].allow_list for p in schools)


def test_every_variant_runs_through_the_core_with_exactly_the_spoiled_rows_rejected(schools: list[Plan]) -> None:
    for plan in schools[:6]:
        sample = generate(plan, seed=11)
        tables = {s.id: Table.from_cells(s.id, s.sheet, sample.grids[s.id]) for s in plan.sources}
        result = collect(plan, tables, dt.datetime(2025, 1, 1, tzinfo=VN))
        rejected = {(r.source_id, r.row_number) for r in result.rejects}
        expected = {(sid, row) for sid, rows in sample.expected_rejects.items() for row in rows}
        assert rejected == expected, plan.id


def test_rollup_counts_delivered_on_time_and_sums_titles(schools: list[Plan]) -> None:
    due = dt.datetime(2024, 3, 14, 23, 59, tzinfo=VN)
    deliveries = [
        SchoolDelivery("a", "Trường A", "D1", due, dt.datetime(2024, 3, 13, 8, tzinfo=VN), {"LDTT": 40, "CSTDCS": 6}),
        SchoolDelivery("b", "Trường B", "D1", due, dt.datetime(2024, 3, 15, 9, tzinfo=VN), {"LDTT": 30}),
        SchoolDelivery("c", "Trường C", "D1", due, None, {}),
    ]
    rollup = district_rollup(schools[0], "D1", deliveries)
    assert (rollup["schools"], rollup["delivered"], rollup["on_time"]) == (3, 2, 1)
    assert rollup["table"]["rows"] == [["Trường A", "08:00 13/03/2024", "Đúng hạn"],
                                       ["Trường B", "09:00 15/03/2024", "Trễ hạn"],
                                       ["Trường C", "Chưa gửi", "Trễ hạn"]]
    assert ["Lao động tiên tiến", "70"] in rollup["titles"]["rows"]
    assert ["Chiến sĩ thi đua cơ sở", "6"] in rollup["titles"]["rows"]
