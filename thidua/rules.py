"""The law's conditions as checks that flag a proposal for the council; they never remove anyone."""

from __future__ import annotations

import math
from dataclasses import dataclass

from thidua.aggregate import Dataset
from thidua.plan import Plan
from thidua.records import Completion, Evaluation

LDTT = "LDTT"
CSTDCS = "CSTDCS"

# Article references are shown to the council beside each flag; RULES.md is where they are argued.
REF_CSTDCS = "Luật Thi đua, khen thưởng 2022, Điều 25 (tiêu chuẩn Chiến sĩ thi đua cơ sở)"
REF_LDTT = "Luật Thi đua, khen thưởng 2022, Điều 26 (tiêu chuẩn Lao động tiên tiến)"
REF_CAP = "Nghị định 98/2023/NĐ-CP (tỷ lệ Chiến sĩ thi đua cơ sở so với Lao động tiên tiến)"
MIN_MONTHS_FOR_TITLE = 10.0


@dataclass(frozen=True)
class Flag:
    rule_id: str
    email: str
    full_name: str
    team_id: str
    message: str
    reference: str


@dataclass(frozen=True)
class CapArithmetic:
    """The CSTĐ cơ sở cap, shown in full so the council can check it by hand."""

    ldtt_count: int
    share: float
    cap: int
    proposed: int

    @property
    def excess(self) -> int:
        return max(0, self.proposed - self.cap)


def _proposes(evaluation: Evaluation, title_id: str) -> bool:
    return evaluation.proposed_title_id == title_id


def _ldtt_shortfalls(e: Evaluation) -> list[str]:
    reasons = []
    if e.completion < Completion.HOAN_THANH_TOT:
        reasons.append(f"mức hoàn thành nhiệm vụ là «{e.completion.label}» (cần từ hoàn thành tốt trở lên)")
    if e.disciplined:
        reasons.append(f"đang bị kỷ luật «{e.discipline}»")
    if e.months_worked < MIN_MONTHS_FOR_TITLE:
        reasons.append(f"chỉ có {e.months_worked:g} tháng công tác (cần từ {MIN_MONTHS_FOR_TITLE:g} tháng)")
    return reasons


def cap_arithmetic(plan: Plan, data: Dataset) -> CapArithmetic:
    """Everyone proposed for CSTĐ cơ sở must also be LĐTT, so both proposals count towards the LĐTT base."""
    ldtt = sum(1 for e in data.evaluations if e.proposed_title_id in (LDTT, CSTDCS))
    proposed = sum(1 for e in data.evaluations if _proposes(e, CSTDCS))
    share = plan.rules.cstdcs_share_of_ldtt
    return CapArithmetic(ldtt_count=ldtt, share=share, cap=math.floor(ldtt * share + 1e-9), proposed=proposed)


def check(plan: Plan, data: Dataset) -> list[Flag]:
    recognised_authors = {i.email for i in data.initiatives if i.recognised}
    flags: list[Flag] = []
    for e in data.evaluations:
        if e.proposed_title_id not in (LDTT, CSTDCS):
            continue
        shortfalls = _ldtt_shortfalls(e)
        if shortfalls and _proposes(e, CSTDCS):
            flags.append(Flag("CSTDCS_CAN_LDTT", e.email, e.full_name, e.team_id,
                              "Đề nghị Chiến sĩ thi đua cơ sở nhưng chưa đủ điều kiện Lao động tiên tiến: "
                              + "; ".join(shortfalls), f"{REF_CSTDCS}; {REF_LDTT}"))
        elif shortfalls:
            flags.append(Flag("LDTT_DIEU_KIEN", e.email, e.full_name, e.team_id,
                              "Đề nghị Lao động tiên tiến nhưng " + "; ".join(shortfalls), REF_LDTT))
        if _proposes(e, CSTDCS) and e.email not in recognised_authors:
            flags.append(Flag("CSTDCS_CAN_SANG_KIEN", e.email, e.full_name, e.team_id,
                              "Đề nghị Chiến sĩ thi đua cơ sở nhưng chưa có sáng kiến được Hội đồng công nhận",
                              REF_CSTDCS))
    cap = cap_arithmetic(plan, data)
    if cap.excess:
        flags.append(Flag("CSTDCS_VUOT_TY_LE", "", "", "",
                          f"Số đề nghị Chiến sĩ thi đua cơ sở ({cap.proposed}) vượt tỷ lệ "
                          f"{cap.share:.0%} của {cap.ldtt_count} Lao động tiên tiến (tối đa {cap.cap}), "
                          f"thừa {cap.excess}", REF_CAP))
    return flags
