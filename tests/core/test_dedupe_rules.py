from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from thidua import rules
from thidua.aggregate import Dataset
from thidua.dedupe import latest, submission_key
from thidua.plan import Plan
from thidua.records import Completion, Evaluation, IndividualRegistration, Initiative, Origin

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
                months: float = 12, discipline: str = "") -> Evaluation:
    return Evaluation(Origin("F6", "s", 2, None), email, email.split("@")[0], "toan", completion, months,
                      discipline, 90.0, title)


def _initiative(email: str, recognised: bool | None) -> Initiative:
    return Initiative(Origin("F5", "s", 2, None), email, "x", "toan", "Sáng kiến", "", "", "", recognised)


def test_cstdcs_without_recognised_initiative_is_flagged_not_dropped(plan: Plan) -> None:
    data = Dataset(evaluations=[_evaluation("a@x", "CSTDCS")] + [_evaluation(f"l{i}@x", "LDTT") for i in range(9)],
                   initiatives=[_initiative("a@x", False)])
    flags = rules.check(plan, data)
    assert [f.rule_id for f in flags] == ["CSTDCS_CAN_SANG_KIEN"]
    assert len(data.evaluations) == 10


def test_cstdcs_without_ldtt_conditions_lists_every_shortfall(plan: Plan) -> None:
    data = Dataset(evaluations=[_evaluation("a@x", "CSTDCS", Completion.HOAN_THANH, months=8, discipline="Khiển trách")]
                   + [_evaluation(f"l{i}@x", "LDTT") for i in range(9)],
                   initiatives=[_initiative("a@x", True)])
    (flag,) = rules.check(plan, data)
    assert flag.rule_id == "CSTDCS_CAN_LDTT"
    for part in ("Hoàn thành nhiệm vụ", "Khiển trách", "8 tháng"):
        assert part in flag.message


def test_cap_exactly_met_is_not_flagged_and_one_more_is(plan: Plan) -> None:
    # 15% of 20 LĐTT-level proposals (17 LĐTT + 3 CSTĐCS) is exactly 3.
    recognised = [_initiative(f"c{i}@x", True) for i in range(4)]
    at_cap = Dataset(evaluations=[_evaluation(f"c{i}@x", "CSTDCS") for i in range(3)]
                     + [_evaluation(f"l{i}@x", "LDTT") for i in range(17)], initiatives=recognised)
    assert rules.cap_arithmetic(plan, at_cap) == rules.CapArithmetic(20, 0.15, 3, 3)
    assert rules.check(plan, at_cap) == []
    over = Dataset(evaluations=[_evaluation(f"c{i}@x", "CSTDCS") for i in range(4)]
                   + [_evaluation(f"l{i}@x", "LDTT") for i in range(16)], initiatives=recognised)
    (flag,) = rules.check(plan, over)
    assert flag.rule_id == "CSTDCS_VUOT_TY_LE"
    assert "(4) vượt tỷ lệ 15% của 20 Lao động tiên tiến (tối đa 3), thừa 1" in flag.message
