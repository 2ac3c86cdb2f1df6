"""The district's pieces that need no server: title counts per school, the roll-up's email text, a plan folder."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from flows.district import DistrictError, load_plans, school_settings
from flows.settings import RunSettings
from sample_data.generator import generate, staff_counts
from thidua.district import SchoolDelivery, district_rollup, rollup_text, school_variants, title_counts
from thidua.pipeline import collect
from thidua.plan import Plan, ReportKind, parse_plan
from thidua.rows import Table
from thidua_cli.google_demo import write_plan

PLAN = Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml"
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def seed() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def test_title_counts_are_registrations_or_proposals_one_per_person_and_team(seed: Plan) -> None:
    sample = generate(seed, seed=5)
    tables = {s.id: Table.from_cells(s.id, s.sheet, sample.grids[s.id]) for s in seed.sources}
    data = collect(seed, tables, dt.datetime(2025, 1, 1, tzinfo=VN)).dataset
    registered = title_counts(ReportKind.REGISTRATION, data)
    assert registered == Counter([r.title_id for r in data.registrations] + [c.title_id for c in data.collective])
    assert len({r.email for r in data.registrations}) == len(data.registrations)  # latest answer per person
    proposed = title_counts(ReportKind.EVALUATION, data)
    individual = sum(n for t, n in proposed.items() if t in {x.id for x in seed.titles.individual})
    assert individual == sum(1 for e in data.evaluations if e.proposed_title_id)


def test_staff_counts_keep_the_base_school_vary_the_others_and_respect_the_generators_floor(seed: Plan) -> None:
    plans = school_variants(seed, 10, seed=1)
    counts = staff_counts(plans, 80, seed=1)
    assert counts[0] == 80 and len(counts) == 10
    assert all(40 <= n <= 120 for n in counts) and len(set(counts)) > 3
    assert counts == staff_counts(plans, 80, seed=1)
    assert all(n >= 4 * len(p.teams) for n, p in zip(staff_counts(plans, 10), plans, strict=True))


def test_rollup_email_lists_every_school_and_the_district_totals_the_vietnamese_way(seed: Plan) -> None:
    due = dt.datetime(2024, 3, 14, 23, 59, tzinfo=VN)
    deliveries = [SchoolDelivery("a", "Trường A", "D1", due, dt.datetime(2024, 3, 13, 8, tzinfo=VN), {"LDTT": 1200}),
                  SchoolDelivery("b", "Trường B", "D1", due, None, {"LDTT": 34})]
    subject, body = rollup_text(district_rollup(seed, "D1", deliveries), "Phòng Giáo dục và Đào tạo quận Tân Phú")
    assert subject.endswith("1/2 trường đã gửi")
    assert "1/2 trường đã gửi, 1 đúng hạn, 1 trễ hạn hoặc chưa gửi" in body
    assert "1. Trường A — 08:00 13/03/2024 — Đúng hạn" in body
    assert "2. Trường B — Chưa gửi — Trễ hạn" in body
    assert "- Lao động tiên tiến: 1.234" in body


def test_a_plan_folder_is_refused_whole_naming_the_bad_plan_and_the_duplicate_school(seed: Plan,
                                                                                     tmp_path: Path) -> None:
    plans = school_variants(seed, 3, seed=2)
    for plan in plans:
        write_plan(plan, tmp_path / f"{plan.id}.yaml")
    loaded = load_plans(tmp_path)
    assert [p.id for _, p in loaded] == sorted(p.id for p in plans)
    settings = school_settings(RunSettings(plan_path=tmp_path, data_dir=tmp_path, out_dir=tmp_path / "out"),
                               *loaded[1], tmp_path / "out")
    assert settings.out_dir == tmp_path / "out" / "schools" / loaded[1][1].id
    assert settings.mail_dir == tmp_path / "out" / "mail"  # one district mailbox
    assert settings.ledger_database == f"sqlite:///{tmp_path / 'out' / 'deliveries.sqlite'}"

    write_plan(plans[1], tmp_path / "zz-copy.yaml")
    (tmp_path / "broken.yaml").write_text("id: x\nyear: nam-nay\n", encoding="utf-8")
    with pytest.raises(DistrictError) as error:
        load_plans(tmp_path)
    message = str(error.value)
    assert f"mã kế hoạch «{plans[1].id}» trùng với" in message
    assert "broken.yaml" in message
    with pytest.raises(DistrictError, match="không có tệp kế hoạch"):
        load_plans(tmp_path / "out")
