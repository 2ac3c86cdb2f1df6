from __future__ import annotations

import datetime as dt

import pytest

from thidua.calendar import calendar, warnings
from thidua.plan import Plan, PlanError, parse_plan


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, filename="ke-hoach.yaml")
    return caught.value.problems


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_seed_plan_holds_the_nine_deadlines_of_the_domain(plan: Plan) -> None:
    due = {d.id: d.due_before for d in plan.deadlines}
    assert due == {
        "D1": dt.date(2024, 3, 15), "D2": dt.date(2024, 3, 15), "D3": dt.date(2024, 5, 22),
        "D4": dt.date(2024, 6, 10), "D5": dt.date(2024, 6, 15), "D6": dt.date(2024, 8, 21),
        "D7": dt.date(2024, 9, 10), "D8": dt.date(2024, 11, 15), "D9": dt.date(2024, 12, 10),
    }
    assert [p.id for p in plan.phases] == ["dot1", "dot2"]
    assert len(plan.teams) == 8


def test_deadlines_before_the_plans_own_date_are_warned_about(plan: Plan) -> None:
    warned = {w.deadline_id for w in warnings(plan)}
    assert warned == {"D1", "D2"}
    assert all("25/03/2024" in w.message for w in warnings(plan))


def test_before_a_date_means_by_the_end_of_the_previous_day_in_vietnam(plan: Plan) -> None:
    first = calendar(plan)[0]
    assert first.must_arrive_by.isoformat().startswith("2024-03-14T23:59:59")
    assert first.must_arrive_by.utcoffset() == dt.timedelta(hours=7)
    assert first.send_at == dt.datetime(2024, 3, 13, 8, 0, tzinfo=first.send_at.tzinfo)


def test_missing_field_names_the_line_and_the_field(plan_text: str) -> None:
    broken = plan_text.replace("  name: Mai Thanh Bình\n", "")
    problems = _problems(broken)
    assert len(problems) == 1
    assert problems[0].startswith(f"ke-hoach.yaml, dòng {_line_of(broken, 'signer:')}, trường signer.name")
    assert "thiếu trường bắt buộc" in problems[0]


def test_wrong_date_names_the_deadline_line_and_value(plan_text: str) -> None:
    broken = plan_text.replace("due_before: 2024-05-22", "due_before: 2024-02-30")
    problems = _problems(broken)
    assert problems == [
        f"ke-hoach.yaml, dòng {_line_of(broken, '2024-02-30')}, trường deadlines[2].due_before: "
        "ngày không hợp lệ (cần dạng YYYY-MM-DD) (giá trị: «2024-02-30»)"
    ]


def test_unknown_team_in_team_aliases_is_named(plan_text: str) -> None:
    broken = plan_text.replace("Văn phòng trường: van-phong", "Toán-Tin: toan-tin")
    problems = _problems(broken)
    assert len(problems) == 1
    assert "«Toán-Tin» trỏ tới tổ «toan-tin» không có trong teams" in problems[0]


def test_deadline_outside_the_plan_year_is_refused(plan_text: str) -> None:
    broken = plan_text.replace("due_before: 2024-12-10", "due_before: 2025-01-10")
    (problem,) = _problems(broken)
    assert "hạn D9 (10/01/2025) nằm ngoài năm 2024 của kế hoạch" in problem


def test_misspelt_key_is_named_with_its_line(plan_text: str) -> None:
    broken = plan_text.replace("margin_days: 1", "margin_day: 1")
    (problem,) = _problems(broken)
    assert problem.startswith(f"ke-hoach.yaml, dòng {_line_of(broken, 'margin_day')}, trường delivery.margin_day")
    assert "không được hỗ trợ" in problem


def test_recipient_outside_the_allow_list_is_refused(plan_text: str) -> None:
    broken = plan_text.replace("recipients: [phong-gddt, ubnd-quan]\n    template: review.docx\n  - id: D4",
                               "recipients: [so-gddt]\n    template: review.docx\n  - id: D4")
    (problem,) = _problems(broken)
    assert "hạn D3 gửi tới «so-gddt», không có trong danh sách nơi nhận" in problem


def test_yaml_syntax_error_points_at_its_line() -> None:
    (problem,) = _problems("id: x\nyear: [2024\n")
    assert problem.startswith("ke-hoach.yaml, dòng ")
    assert "lỗi cú pháp YAML" in problem


def test_plan_text_is_stored_nfc(plan_text: str) -> None:
    import unicodedata

    nfd_plan = parse_plan(unicodedata.normalize("NFD", plan_text))
    assert nfd_plan.signer.name == "Mai Thanh Bình"
    assert unicodedata.is_normalized("NFC", nfd_plan.teams[4].name)


def _fewer_titles(plan_text: str) -> str:
    """The seed plan as a school with only LĐTT and CSTĐ cơ sở: no city or national titles, no rules lists."""
    text = plan_text.replace("    - id: CSTD-TP\n      name: Chiến sĩ thi đua cấp thành phố\n", "")
    text = text.replace("    - id: CSTD-TQ\n      name: Chiến sĩ thi đua toàn quốc\n", "")
    text = text.replace("  ldtt_level_titles: [LDTT, CSTDCS, CSTD-TP, CSTD-TQ]\n", "")
    text = text.replace("  cstdcs_level_titles: [CSTDCS, CSTD-TP, CSTD-TQ]\n", "")
    assert "CSTD-TP" not in text
    return text


def test_rule_defaults_follow_the_titles_a_plan_declares(plan_text: str) -> None:
    plan = parse_plan(_fewer_titles(plan_text))
    assert plan.rules.ldtt_level_titles == ("LDTT", "CSTDCS")
    assert plan.rules.cstdcs_level_titles == ("CSTDCS",)


def test_a_rules_list_naming_an_undeclared_title_is_still_refused(plan_text: str) -> None:
    text = _fewer_titles(plan_text).replace("rules:\n", "rules:\n  cstdcs_level_titles: [CSTDCS, CSTD-TP]\n", 1)
    (problem,) = _problems(text)
    assert "CSTD-TP" in problem and "không có trong titles" in problem
