from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thidua import rules
from thidua.aggregate import Dataset
from thidua.dedupe import latest, submission_key
from thidua.plan import Plan, Rules, Team
from thidua.records import (
    CollectiveRegistration,
    Completion,
    Evaluation,
    IndividualRegistration,
    Initiative,
    Origin,
    StaffMember,
)

ZONE = dt.timezone(dt.timedelta(hours=7))


def _registration(row: int, email: str, minute: int, title: str = "LDTT") -> IndividualRegistration:
    stamp = dt.datetime(2024, 3, 1, 8, 0, tzinfo=ZONE) + dt.timedelta(minutes=minute)
    return IndividualRegistration(Origin("F1", "s", row, stamp), email, "Tên", "toan", title, "", "", "")


submissions = st.lists(st.tuples(st.sampled_from(["a@x", "b@x", "c@x"]), st.integers(0, 50)), max_size=30)


@given(submissions)
def test_latest_resubmission_wins_and_earlier_is_history(rows: list[tuple[str, int]]) -> None:
    records = [_registration(i + 2, email, minute) for i, (email, minute) in enumerate(rows)]
    result = latest(records, submission_key)
    assert sorted(r.origin.row_number for r in result.current + result.history) == [r.origin.row_number
                                                                                     for r in records]
    for winner in result.current:
        same_person = [r for r in records if r.email == winner.email]
        newest = max(same_person, key=lambda r: (r.origin.submitted_at, r.origin.row_number))
        assert winner is newest
    assert len(result.current) == len({r.email for r in records})


def _evaluation(email: str, title: str | None, completion: Completion = Completion.HOAN_THANH_XUAT_SAC,
                months: float = 12, discipline: str = "", team: str = "toan") -> Evaluation:
    return Evaluation(Origin("F6", "s", 2, None), email, email.split("@")[0], team, completion, months,
                      discipline, 90.0, title)


def _initiative(email: str, recognised: bool | None) -> Initiative:
    return Initiative(Origin("F5", "s", 2, None), email, "x", "toan", "Sáng kiến", "", "", "", recognised)


def _registered(email: str, title: str, commendation: str = "") -> IndividualRegistration:
    return IndividualRegistration(Origin("F1", "s", 2, None), email, "x", "toan", title, "", commendation, "")


def _staff(email: str, team: str) -> StaffMember:
    return StaffMember(Origin("roster", "s", 2, None), email, email.split("@")[0], team, "Giáo viên", "")


def _ids(flags: list[rules.Flag]) -> list[str]:
    return [f.rule_id for f in flags]


def _person(plan: Plan, evaluation: Evaluation, recognised: bool | None = True, registered: str | None = None,
            commendation: str = "") -> list[str]:
    """The flags on one person proposed alone (so no cap or collective rule can fire)."""
    title = registered or evaluation.proposed_title_id or "LDTT"
    data = Dataset(evaluations=[evaluation], initiatives=[_initiative(evaluation.email, recognised)],
                   registrations=[_registered(evaluation.email, title, commendation)])
    return [i for i in _ids(rules.check(plan, data)) if not i.endswith("_TY_LE")]


def test_every_flag_cites_a_known_rule_and_ends_with_a_full_stop(plan: Plan) -> None:
    data = Dataset(evaluations=[_evaluation("a@x", "CSTDCS", Completion.HOAN_THANH, months=8,
                                            discipline="Khiển trách")])
    flags = rules.check(plan, data)
    assert {f.rule_id for f in flags} <= set(rules.RULES)
    assert all(f.message.endswith(".") and not f.message.endswith("..") and f.reference for f in flags)


@pytest.mark.parametrize(("completion", "flagged"), [
    (Completion.HOAN_THANH, True), (Completion.HOAN_THANH_TOT, False), (Completion.HOAN_THANH_XUAT_SAC, False)])
def test_ldtt_needs_at_least_good_completion(plan: Plan, completion: Completion, flagged: bool) -> None:
    assert ("LDTT_HOAN_THANH_TOT" in _person(plan, _evaluation("a@x", "LDTT", completion))) is flagged


@pytest.mark.parametrize(("months", "flagged"), [(5, True), (5.5, True), (6, False), (6.5, False), (9.5, False)])
def test_months_worked_threshold_is_inclusive(plan: Plan, months: float, flagged: bool) -> None:
    # Thông tư 01/2024/TT-BNV: "dưới 06 tháng" is not considered, 6 months is (the 10 of Nghị định 91/2017 is gone).
    assert plan.rules.min_months_worked == Rules().min_months_worked == 6
    assert ("LDTT_THANG_CONG_TAC" in _person(plan, _evaluation("a@x", "LDTT", months=months))) is flagged


def test_months_threshold_is_plan_data(plan: Plan) -> None:
    stricter = plan.model_copy(update={"rules": plan.rules.model_copy(update={"min_months_worked": 11})})
    assert "LDTT_THANG_CONG_TAC" in _person(stricter, _evaluation("a@x", "LDTT", months=10.5))


def test_discipline_is_flagged_and_the_person_kept(plan: Plan) -> None:
    evaluation = _evaluation("a@x", "LDTT", discipline="Khiển trách")
    assert _person(plan, evaluation) == ["LDTT_KY_LUAT"]
    assert _person(plan, _evaluation("a@x", "LDTT")) == []


@pytest.mark.parametrize(("completion", "recognised", "flagged"), [
    (Completion.HOAN_THANH_XUAT_SAC, True, False), (Completion.HOAN_THANH_XUAT_SAC, False, False),
    (Completion.HOAN_THANH_XUAT_SAC, None, False), (Completion.HOAN_THANH_TOT, True, False),
    (Completion.HOAN_THANH_TOT, False, True), (Completion.HOAN_THANH_TOT, None, True)])
def test_cstdcs_needs_excellent_completion_or_a_recognised_initiative(plan: Plan, completion: Completion,
                                                                       recognised: bool | None,
                                                                       flagged: bool) -> None:
    # Luật 06/2022/QH15, Điều 23, khoản 2: "Hoàn thành xuất sắc nhiệm vụ hoặc có sáng kiến …" (either one).
    found = _person(plan, _evaluation("a@x", "CSTDCS", completion), recognised=recognised)
    assert found == (["CSTDCS_XUAT_SAC_HOAC_SANG_KIEN"] if flagged else [])


def test_cstdcs_flag_keeps_the_person_and_cites_dieu_23(plan: Plan) -> None:
    data = Dataset(evaluations=[_evaluation("a@x", "CSTDCS", Completion.HOAN_THANH_TOT)],
                   initiatives=[_initiative("a@x", False)], registrations=[_registered("a@x", "CSTDCS")])
    (flag,) = [f for f in rules.check(plan, data) if not f.rule_id.endswith("_TY_LE")]
    assert "Điều 23, khoản 2" in flag.reference and "một trong hai" in flag.message
    assert len(data.evaluations) == 1


def test_city_level_title_is_held_to_cstdcs_conditions_too(plan: Plan) -> None:
    assert _person(plan, _evaluation("a@x", "CSTD-TP", Completion.HOAN_THANH_TOT), recognised=False) == [
        "CSTDCS_XUAT_SAC_HOAC_SANG_KIEN"]
    assert _person(plan, _evaluation("a@x", "CSTD-TP", Completion.HOAN_THANH), recognised=True) == [
        "LDTT_HOAN_THANH_TOT"]


@pytest.mark.parametrize(("registered", "proposed", "flagged"), [
    ("LDTT", "LDTT", False), ("CSTDCS", "LDTT", False), ("LDTT", "CSTDCS", True)])
def test_a_proposal_above_the_registration_is_flagged(plan: Plan, registered: str, proposed: str,
                                                       flagged: bool) -> None:
    found = _person(plan, _evaluation("a@x", proposed), registered=registered)
    assert ("DANH_HIEU_DA_DANG_KY" in found) is flagged


def test_a_proposal_without_registration_is_flagged(plan: Plan) -> None:
    data = Dataset(evaluations=[_evaluation("a@x", "LDTT")])
    (flag,) = [f for f in rules.check(plan, data) if f.rule_id == "DANH_HIEU_DA_DANG_KY"]
    assert "chưa đăng ký" in flag.message and plan.plan_document.number in flag.reference


@pytest.mark.parametrize(("completion", "flagged"), [(Completion.HOAN_THANH, True), (Completion.HOAN_THANH_TOT, False)])
def test_giay_khen_needs_good_completion(plan: Plan, completion: Completion, flagged: bool) -> None:
    found = _person(plan, _evaluation("a@x", None, completion), registered="LDTT",
                    commendation=plan.rules.giay_khen_commendations[0])
    assert ("GIAY_KHEN_HOAN_THANH_TOT" in found) is flagged


def test_cstdcs_cap_exactly_met_is_not_flagged_and_one_more_is(plan: Plan) -> None:
    # 15% of 20 LĐTT-level proposals (17 LĐTT + 3 CSTĐCS) is exactly 3.
    recognised = [_initiative(f"c{i}@x", True) for i in range(4)]
    registered = [_registered(f"c{i}@x", "CSTDCS") for i in range(4)] + [_registered(f"l{i}@x", "LDTT")
                                                                          for i in range(17)]
    at_cap = Dataset(evaluations=[_evaluation(f"c{i}@x", "CSTDCS") for i in range(3)]
                     + [_evaluation(f"l{i}@x", "LDTT") for i in range(17)], initiatives=recognised,
                     registrations=registered)
    assert rules.caps(plan, at_cap)[0] == rules.CapArithmetic("CSTDCS_TY_LE", 20, 0.15, 3, 3)
    assert rules.check(plan, at_cap) == []
    over = Dataset(evaluations=[_evaluation(f"c{i}@x", "CSTDCS") for i in range(4)]
                   + [_evaluation(f"l{i}@x", "LDTT") for i in range(16)], initiatives=recognised,
                   registrations=registered)
    (flag,) = rules.check(plan, over)
    assert flag.rule_id == "CSTDCS_TY_LE"
    assert "(4) vượt tỷ lệ 15% của 20 «Lao động tiên tiến» (tối đa 3), thừa 1." in flag.message
    # The share is the plan's: neither Luật 06/2022/QH15 nor Nghị định 98/2023/NĐ-CP sets one (RULES.md).
    assert flag.reference.startswith(f"Kế hoạch số {plan.plan_document.number};") and "91/2017" in flag.reference


def _team(plan: Plan, registered: str, ldtt: int, others: int, cstdcs: int = 1, failed: int = 0,
          disciplined: int = 0) -> Dataset:
    """One team ("toan") whose members are proposed LĐTT (`ldtt`, of which `cstdcs` CSTĐCS) or nothing."""
    titles = ["CSTDCS"] * cstdcs + ["LDTT"] * (ldtt - cstdcs) + [None] * others
    evaluations = [_evaluation(f"p{i}@x", t, Completion.HOAN_THANH_XUAT_SAC if t else Completion.HOAN_THANH,
                               discipline="Khiển trách" if i < disciplined else "") for i, t in enumerate(titles)]
    evaluations = [replace(e, completion=Completion.KHONG_HOAN_THANH) if i >= len(titles) - failed else e
                   for i, e in enumerate(evaluations)]
    return Dataset(staff=[_staff(e.email, "toan") for e in evaluations], evaluations=evaluations,
                   collective=[CollectiveRegistration(Origin("F2", "s", 2, None), "h@x", "toan", registered, None,
                                                      ())])


def _team_flags(plan: Plan, data: Dataset) -> list[str]:
    return [f.rule_id for f in rules.check(plan, data) if f.team_id == "toan" and not f.email]


@pytest.mark.parametrize(("ldtt", "others", "flagged"), [(5, 5, True), (6, 4, False)])
def test_ttldtt_needs_more_than_half_at_ldtt(plan: Plan, ldtt: int, others: int, flagged: bool) -> None:
    data = _team(plan, "TTLDTT", ldtt, others)
    assert ("TTLDTT_TY_LE_LDTT" in _team_flags(plan, data)) is flagged
    assert rules.team_results(plan, data)[1].on_track_title_id == ("" if flagged else "TTLDTT")


@pytest.mark.parametrize(("ldtt", "others", "flagged"), [(6, 4, True), (7, 3, False)])
def test_ttldxs_needs_seventy_percent_at_ldtt(plan: Plan, ldtt: int, others: int, flagged: bool) -> None:
    assert ("TTLDXS_TY_LE_LDTT" in _team_flags(plan, _team(plan, "TTLDXS", ldtt, others))) is flagged


def test_ttldxs_needs_every_member_completing_and_one_cstdcs(plan: Plan) -> None:
    assert _team_flags(plan, _team(plan, "TTLDXS", 10, 0)) == []
    assert _team_flags(plan, _team(plan, "TTLDXS", 10, 0, failed=1)) == ["TTLDXS_HOAN_THANH"]
    assert _team_flags(plan, _team(plan, "TTLDXS", 10, 0, cstdcs=0)) == ["TTLDXS_CSTDCS"]


def test_a_disciplined_member_flags_the_team(plan: Plan) -> None:
    assert "TAP_THE_KY_LUAT" in _team_flags(plan, _team(plan, "TTLDTT", 10, 0, disciplined=1))
    assert "TAP_THE_KY_LUAT" not in _team_flags(plan, _team(plan, "TTLDTT", 10, 0))


@pytest.mark.parametrize(("teams", "excellent", "excess"), [(5, 1, 0), (5, 2, 1), (10, 2, 0)])
def test_ttldxs_cap_is_a_share_of_collective_registrations(plan: Plan, teams: int, excellent: int,
                                                            excess: int) -> None:
    many = plan.model_copy(update={"teams": tuple(Team(id=f"t{i}", name=f"Tổ {i}") for i in range(teams))})
    data = Dataset(collective=[CollectiveRegistration(Origin("F2", "s", 2, None), "h@x", f"t{i}",
                                                      "TTLDXS" if i < excellent else "TTLDTT", None, ())
                               for i in range(teams)])
    cap = rules.caps(many, data)[1]
    assert (cap.base, cap.cap, cap.proposed, cap.excess) == (teams, int(teams * 0.2), excellent, excess)
    assert ("TTLDXS_TY_LE" in _ids(rules.check(many, data))) is bool(excess)
