from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thidua.normalize import TeamMatcher, parse_number, parse_quarter
from thidua.plan import Plan
from thidua.text import clean, fold, looks_like_formula

vietnamese_text = st.text(
    alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợ"
                                  "ùủũúụừửữứựỳỷỹýỵAĂÂĐÊÔƠƯ -–")),
    max_size=40,
)


@given(vietnamese_text)
def test_fold_ignores_normal_form_case_and_outer_spaces(text: str) -> None:
    variants = [unicodedata.normalize("NFD", text), text.upper(), f"  {text}\t", unicodedata.normalize("NFC", text)]
    assert {fold(v) for v in variants} == {fold(text)}


@given(vietnamese_text)
def test_clean_is_nfc_idempotent_and_trimmed(text: str) -> None:
    cleaned = clean(unicodedata.normalize("NFD", f" {text}  "))
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@given(team_index=st.integers(min_value=0, max_value=7), prefix=st.sampled_from(["", "Tổ ", "to ", "TỔ  "]),
       strip=st.booleans(), upper=st.booleans(), nfd=st.booleans(), pad=st.sampled_from(["", " ", "  "]))
def test_a_team_typed_loosely_still_finds_its_team(plan: Plan, team_index: int, prefix: str, strip: bool,
                                                   upper: bool, nfd: bool, pad: str) -> None:
    team = plan.teams[team_index]
    typed = prefix + (_strip_marks(team.name) if strip else team.name)
    typed = typed.upper() if upper else typed
    typed = unicodedata.normalize("NFD", typed) if nfd else typed
    matcher = TeamMatcher(plan.teams, plan.team_match_threshold)
    assert matcher.match(pad + typed + pad).team_id == team.id


@pytest.mark.parametrize(("typed", "team_id"), [
    ("To Toan", "toan"), ("tổ toán ", "toan"), ("ngu van", "ngu-van"), ("Ngữ vn", "ngu-van"),
    ("KHTN", "khtn"), ("Anh văn", "ngoai-ngu"), ("Tin hoc - Cong nghe", "tin-cong-nghe"),
    ("Lịch sử - Địa lý", "su-dia"),
])
def test_typical_spellings_match(plan: Plan, typed: str, team_id: str) -> None:
    assert TeamMatcher(plan.teams, plan.team_match_threshold).match(typed).team_id == team_id


@pytest.mark.parametrize(("typed", "reason"), [
    ("Toán-Tin", "Không nhận ra tổ «Toán-Tin»"),
    ("Tổ Hóa", "Không nhận ra tổ «Tổ Hóa»"),
    ("", "Chưa ghi tên tổ"),
])
def test_unmatchable_teams_are_refused_with_a_reason(plan: Plan, typed: str, reason: str) -> None:
    found = TeamMatcher(plan.teams, plan.team_match_threshold).match(typed)
    assert found.team_id is None
    assert found.problem.startswith(reason)


def test_two_teams_equally_close_is_not_guessed(plan: Plan) -> None:
    matcher = TeamMatcher(plan.teams, threshold=50, ambiguity_margin=5)
    found = matcher.match("Tin - Toán")
    assert found.team_id is None


def test_clerk_ruled_alias_wins(plan: Plan) -> None:
    matcher = TeamMatcher(plan.teams, plan.team_match_threshold, extra_aliases={"Toán-Tin": "toan"})
    assert matcher.match("toan tin").team_id == "toan"


@pytest.mark.parametrize(("typed", "value"), [("92,5", 92.5), ("92.5", 92.5), (" 85% ", 85.0), ("12", 12.0),
                                               ("mười hai", None), ("", None), ("nan", None)])
def test_numbers_as_typed(typed: str, value: float | None) -> None:
    assert parse_number(typed) == value


@pytest.mark.parametrize(("typed", "quarter"), [("Quý I", 1), ("quy iv", 4), ("3", 3), ("Quý 2", 2), ("V", None)])
def test_quarters_as_typed(typed: str, quarter: int | None) -> None:
    assert parse_quarter(typed) == quarter


@pytest.mark.parametrize(("text", "formula"), [("=HYPERLINK(1)", True), ("+84 90", True), ("@sum", True),
                                               ("-cmd", True), ("- Dạy tốt", False), ("-5", False),
                                               ("Nguyễn Lan", False)])
def test_formula_looking_answers(text: str, formula: bool) -> None:
    assert looks_like_formula(text) is formula
