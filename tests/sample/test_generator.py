"""The generator's promises: deterministic, shaped like the plan, and a realistic school year."""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

import sample_data.generator
from sample_data.generator import EXCELLENT, RECOGNISED, SampleData, generate
from thidua.plan import Plan, ReportKind

from .support import rows_by_field

GOOGLE_TIMESTAMP = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})$")
D1_SENT = dt.datetime(2024, 3, 13, 8, 0)


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%d/%m/%Y %H:%M:%S")


def test_same_seed_gives_identical_sample(plan: Plan) -> None:
    assert generate(plan, seed=7) == generate(plan, seed=7)


def test_another_seed_gives_another_sample(plan: Plan) -> None:
    assert generate(plan, seed=7).grids != generate(plan, seed=8).grids


def test_headers_are_the_plan_columns_in_order(plan: Plan, sample: SampleData) -> None:
    assert list(sample.grids) == [s.id for s in plan.sources]
    for source in plan.sources:
        grid = sample.grids[source.id]
        assert grid[0] == list(source.columns.values())
        assert all(len(line) == len(grid[0]) for line in grid)
        if source.id != "roster":
            assert grid[0][0] == "Dấu thời gian"


def test_every_usable_timestamp_looks_like_a_google_sheets_export(plan: Plan, sample: SampleData) -> None:
    for source in plan.sources[1:]:
        rejects = sample.expected_rejects[source.id]
        stamps = [line[0] for n, line in enumerate(sample.grids[source.id][1:], start=2) if n not in rejects]
        assert stamps and all(GOOGLE_TIMESTAMP.match(s) for s in stamps), source.id
        assert [parse_timestamp(s) for s in stamps] == sorted(parse_timestamp(s) for s in stamps), source.id


@pytest.mark.parametrize("staff", [60, 80, 100])
def test_staff_count_and_team_spread(plan: Plan, staff: int) -> None:
    roster = list(rows_by_field(plan, generate(plan, staff=staff).grids["roster"], "roster"))
    assert len(roster) == staff
    sizes = Counter(row["team"] for _, row in roster)
    assert set(sizes) == {t.name for t in plan.teams}
    assert min(sizes["Toán"], sizes["Ngữ văn"]) > max(sizes["Lịch sử – Địa lý"], sizes["Văn phòng"])
    assert sizes["Văn phòng"] == min(sizes.values())
    emails = [row["email"] for _, row in roster]
    assert len(set(emails)) == staff
    assert all(e.isascii() and e.endswith("@" + plan.school.email_domain) for e in emails)
    assert len({row["full_name"] for _, row in roster}) == staff


def test_team_heads_from_the_plan_lead_their_teams(plan: Plan, sample: SampleData) -> None:
    roster = {row["email"]: row for _, row in rows_by_field(plan, sample.grids["roster"], "roster")}
    for team in plan.teams:
        assert roster[team.head_email]["team"] == team.name
        assert roster[team.head_email]["position"] == "Tổ trưởng"
    assert roster[plan.signer.email]["full_name"] == plan.signer.name


def test_registrations_look_like_a_real_school(plan: Plan, sample: SampleData) -> None:
    roster = {row["email"] for _, row in rows_by_field(plan, sample.grids["roster"], "roster")}
    rejects = sample.expected_rejects["F1"]
    latest: dict[str, tuple[dt.datetime, str]] = {}
    late = 0
    for number, row in rows_by_field(plan, sample.grids["F1"], "F1"):
        if number in rejects:
            continue
        when, email = parse_timestamp(row["timestamp"]), row["email"].strip().lower()
        late += when > D1_SENT
        if email not in latest or when > latest[email][0]:
            latest[email] = (when, row["title"])
    titles = Counter(title for _, title in latest.values())
    assert 0.05 <= 1 - len(latest) / len(roster) <= 0.10
    assert 0.15 <= titles["Chiến sĩ thi đua cơ sở"] / len(latest) <= 0.25
    assert 1 <= titles["Chiến sĩ thi đua cấp thành phố"] <= 2
    assert late >= 2


def test_exemplars_arrive_inside_their_quarter_before_its_deadline(plan: Plan, sample: SampleData) -> None:
    due = {d.quarter: d.due_before for d in plan.deadlines if d.kind is ReportKind.EXEMPLARS}
    labels = {"Quý I": 1, "Quý II": 2, "Quý III": 3, "Quý IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
    per_quarter = Counter[int]()
    for _, row in rows_by_field(plan, sample.grids["F4"], "F4"):
        quarter, when = labels[row["quarter"]], parse_timestamp(row["timestamp"]).date()
        per_quarter[quarter] += 1
        assert (when.month - 1) // 3 + 1 == quarter and when < due[quarter]
    assert set(per_quarter) == {1, 2, 3, 4} and all(n >= 3 for n in per_quarter.values())


def test_evaluation_holds_rule_problems_for_the_core_to_flag(plan: Plan, sample: SampleData) -> None:
    recognised = {
        row["email"].strip().lower()
        for _, row in rows_by_field(plan, sample.grids["F5"], "F5") if row["result"] == RECOGNISED
    }
    evaluations = [row for _, row in rows_by_field(plan, sample.grids["F6"], "F6")]
    assert len(evaluations) == len(sample.grids["roster"]) - 1
    base = [row for row in evaluations if row["proposed_title"] == "Chiến sĩ thi đua cơ sở"]
    advanced = [row for row in evaluations if row["proposed_title"] == "Lao động tiên tiến"]
    assert any(row["email"].strip().lower() not in recognised for row in base)
    assert any(row["completion"] != EXCELLENT for row in base)
    assert len(base) > plan.rules.cstdcs_share_of_ldtt * (len(base) + len(advanced))
    assert Counter(row["discipline"] for row in evaluations)["Khiển trách"] == 1


def test_sample_module_is_pure_core() -> None:
    tree = ast.parse(Path(sample_data.generator.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    forbidden = ("connectors", "flows", "prefect", "gspread", "googleapiclient", "pathlib", "os", "io")
    assert not {m for m in imported if m.split(".")[0] in forbidden}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "open" not in called


def test_each_team_head_registers_the_team_once_or_twice(plan: Plan, sample: SampleData) -> None:
    answers = Counter(row["email"].strip().lower() for _, row in rows_by_field(plan, sample.grids["F2"], "F2"))
    assert set(answers) == {t.head_email for t in plan.teams}
    assert set(answers.values()) == {1, 2}
    titles = {row["title"] for _, row in rows_by_field(plan, sample.grids["F2"], "F2")}
    assert titles == {"Tập thể lao động tiên tiến", "Tập thể lao động xuất sắc"}


def test_achievements_cover_both_phases_and_initiatives_get_mixed_verdicts(plan: Plan, sample: SampleData) -> None:
    phases = Counter(row["phase"] for _, row in rows_by_field(plan, sample.grids["F3"], "F3"))
    assert all(phases[p.name] > len(sample.grids["roster"]) / 2 for p in plan.phases)
    verdicts = Counter(row["result"] for _, row in rows_by_field(plan, sample.grids["F5"], "F5"))
    assert verdicts["Được công nhận"] > verdicts["Không công nhận"] >= 1 and verdicts[""] >= 1


def test_too_few_staff_for_the_teams_is_refused(plan: Plan) -> None:
    with pytest.raises(ValueError, match="cần ít nhất 32 người"):
        generate(plan, staff=20)


def test_plan_without_a_cstdcs_cap_gets_a_sample_too(plan: Plan) -> None:
    uncapped = plan.model_copy(update={"rules": plan.rules.model_copy(update={"cstdcs_share_of_ldtt": 1})})
    sample = generate(uncapped, seed=3)
    assert len(sample.grids[uncapped.source_of_kind(uncapped.sources[-1].kind).id]) > 1
