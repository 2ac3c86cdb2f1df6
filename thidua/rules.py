"""The law's conditions as checks that flag a proposal for the council; they never remove anyone.

Each rule carries its text and its legal basis (RULES.md argues each one and says which could not be pinned to
an article); thresholds come from the plan (`Plan.rules`), so a change in the law is a change of the plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from thidua.aggregate import Dataset
from thidua.plan import CompletionLevel, Plan
from thidua.records import Completion, Evaluation

LUAT = "Luật Thi đua, khen thưởng số 06/2022/QH15"
NĐ98 = "Nghị định số 98/2023/NĐ-CP"
TT01 = "Thông tư số 01/2024/TT-BNV"
TT29 = "Thông tư số 29/2023/TT-BGDĐT"
NĐ152 = "Nghị định số 152/2025/NĐ-CP"
NOT_PINNED = "điều, khoản chưa đối chiếu được với văn bản gốc, xem RULES.md"
TTLDXS_STANDARD = f"{LUAT}, tiêu chuẩn danh hiệu «Tập thể lao động xuất sắc», khoản 1"


@dataclass(frozen=True)
class Rule:
    """One checkable condition: a stable id for people and tests, what it requires, and where the law says so."""

    id: str
    text: str
    reference: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("LDTT_HOAN_THANH_TOT", "Danh hiệu từ «Lao động tiên tiến» trở lên cần mức hoàn thành nhiệm vụ từ «Hoàn "
         "thành tốt nhiệm vụ» trở lên.",
         f"{LUAT}, Điều 24, khoản 1, điểm a (danh hiệu «Lao động tiên tiến»: hoàn thành tốt nhiệm vụ trở lên)"),
    Rule("LDTT_KY_LUAT", "Cá nhân đang bị kỷ luật không được đề nghị danh hiệu thi đua.",
         f"tiêu chuẩn tại Điều 23, Điều 24 {LUAT} không nêu điều kiện kỷ luật; từ 01/07/2025, {NĐ152}, Điều 4 "
         f"(chưa khen thưởng khi đang xem xét thi hành kỷ luật; thành tích tính từ khi chấp hành xong thời gian "
         f"kỷ luật); năm 2024: {NOT_PINNED}; Hội đồng xem xét"),
    Rule("LDTT_THANG_CONG_TAC", "Không xét danh hiệu «Lao động tiên tiến» cho cá nhân mới tuyển dụng dưới số tháng "
         "tối thiểu; cá nhân cần đủ số tháng công tác trong năm.",
         f"{TT01}, Điều 1, khoản 5, điểm d (không xét tặng «Lao động tiên tiến» cho cá nhân mới tuyển dụng dưới "
         f"06 tháng; đối chiếu qua nguồn thứ cấp, xem RULES.md)"),
    Rule("CSTDCS_XUAT_SAC_HOAC_SANG_KIEN", "Danh hiệu từ «Chiến sĩ thi đua cơ sở» trở lên cần «Hoàn thành xuất sắc "
         "nhiệm vụ» hoặc sáng kiến được cơ sở công nhận (hoặc đề tài, đề án, công trình khoa học và công nghệ đã "
         "nghiệm thu: Hội đồng xem xét).",
         f"{LUAT}, Điều 23, khoản 2 (danh hiệu «Chiến sĩ thi đua cơ sở»: hoàn thành xuất sắc nhiệm vụ hoặc có "
         f"sáng kiến được cơ sở công nhận hoặc có đề tài khoa học, đề án khoa học, công trình khoa học và công "
         f"nghệ đã được nghiệm thu)"),
    Rule("CSTDCS_TY_LE", "Số «Chiến sĩ thi đua cơ sở» không vượt tỷ lệ tối đa do kế hoạch đặt so với số cá nhân "
         "đạt «Lao động tiên tiến».",
         f"tỷ lệ do kế hoạch đặt: {LUAT}, Điều 23 và {NĐ98} không quy định tỷ lệ «Chiến sĩ thi đua cơ sở» (mức 15% "
         f"là của khoản 3 Điều 9 Nghị định số 91/2017/NĐ-CP, hết hiệu lực từ 01/01/2024), xem RULES.md"),
    Rule("DANH_HIEU_DA_DANG_KY", "Danh hiệu đề nghị cuối năm không cao hơn danh hiệu đã đăng ký đầu năm.",
         "Kế hoạch thi đua của nhà trường (đăng ký danh hiệu thi đua đầu năm)"),
    Rule("GIAY_KHEN_HOAN_THANH_TOT", "Đề nghị Giấy khen cần mức hoàn thành nhiệm vụ từ «Hoàn thành tốt nhiệm vụ» "
         "trở lên.",
         f"mức hoàn thành do kế hoạch đặt: {LUAT}, Điều 75, khoản 2 giao Bộ, ban, ngành, tỉnh quy định tiêu chuẩn "
         f"Giấy khen; {TT29}, Điều 11, khoản 1 (Giấy khen của hiệu trưởng: gương mẫu chấp hành tốt và có thành tích "
         f"xuất sắc) không nêu mức hoàn thành nhiệm vụ"),
    Rule("TTLDTT_TY_LE_LDTT", "«Tập thể lao động tiên tiến» cần trên tỷ lệ tối thiểu thành viên đạt «Lao động "
         "tiên tiến».", f"{LUAT}, Điều 28 (tiêu chuẩn «Tập thể lao động tiên tiến»; khoản, điểm và tỷ lệ chưa đối "
                         f"chiếu được với văn bản gốc: mức «trên 50%» là của Luật Thi đua, khen thưởng trước "
                         f"năm 2022, xem RULES.md)"),
    Rule("TTLDXS_TY_LE_LDTT", "«Tập thể lao động xuất sắc» cần ít nhất tỷ lệ tối thiểu thành viên đạt «Lao động "
         "tiên tiến».", f"{TTLDXS_STANDARD}, điểm c (ít nhất là 70% cá nhân đạt «Lao động tiên tiến»; số điều "
                         f"chưa đối chiếu, xem RULES.md)"),
    Rule("TTLDXS_HOAN_THANH", "«Tập thể lao động xuất sắc» cần toàn bộ thành viên hoàn thành nhiệm vụ trở lên.",
         f"{TTLDXS_STANDARD}, điểm c (100% cá nhân hoàn thành nhiệm vụ được giao; số điều chưa đối chiếu, xem "
         f"RULES.md)"),
    Rule("TTLDXS_CSTDCS", "«Tập thể lao động xuất sắc» cần có cá nhân đạt «Chiến sĩ thi đua cơ sở».",
         f"{TTLDXS_STANDARD}, điểm d (có cá nhân đạt «Chiến sĩ thi đua cơ sở»; số điều chưa đối chiếu, xem "
         f"RULES.md)"),
    Rule("TAP_THE_KY_LUAT", "Tập thể đề nghị danh hiệu không có thành viên bị kỷ luật (Hội đồng xem xét hình "
         "thức kỷ luật).",
         f"{TTLDXS_STANDARD}, điểm đ (nội bộ đoàn kết, gương mẫu chấp hành tốt chủ trương, chính sách, pháp luật; "
         f"tiêu chuẩn không nêu riêng điều kiện kỷ luật, Hội đồng cân nhắc); tiêu chuẩn «Tập thể lao động tiên "
         f"tiến»: {NOT_PINNED} (luật trước năm 2022 loại trừ tập thể có cá nhân bị kỷ luật từ hình thức cảnh "
         f"cáo trở lên)"),
    Rule("TTLDXS_TY_LE", "Số «Tập thể lao động xuất sắc» không vượt tỷ lệ tối đa so với số tập thể đạt «Tập thể "
         "lao động tiên tiến».", f"tỷ lệ do kế hoạch đặt: tiêu chuẩn «Tập thể lao động xuất sắc» của {LUAT} và "
                                 f"phạm vi của {NĐ98} không quy định tỷ lệ này; {TT01}: {NOT_PINNED}"),
)}


@dataclass(frozen=True)
class Flag:
    """A case for the council: who (or which team), what is wrong as a full sentence, and the rule's basis."""

    rule_id: str
    email: str
    full_name: str
    team_id: str
    message: str
    reference: str


@dataclass(frozen=True)
class CapArithmetic:
    """A cap on the share of a title, shown in full so the council can check it by hand."""

    rule_id: str
    base: int
    share: float
    cap: int
    proposed: int

    @property
    def excess(self) -> int:
        """How many proposals exceed the cap, 0 when within it."""
        return max(0, self.proposed - self.cap)


@dataclass(frozen=True)
class TeamResult:
    """A team's council results, the basis of its collective title: members, and how many reach each level."""

    team_id: str
    members: int
    evaluated: int
    completed: int
    ldtt_level: int
    cstdcs_level: int
    disciplined: tuple[str, ...]
    registered_title_id: str
    on_track_title_id: str

    @property
    def ldtt_share(self) -> float:
        """The share of members at the advanced-worker level, 0 for a team with no members."""
        return self.ldtt_level / self.members if self.members else 0.0


def completion_of(level: CompletionLevel) -> Completion:
    """Plans name a completion level in words ("hoan_thanh_tot"); checks compare the ordered enum."""
    return Completion[level.upper()]


def cap_of(rule_id: str, base: int, share: float, proposed: int) -> CapArithmetic:
    """The largest whole number of titles within `share` of `base` (the epsilon keeps 15% of 20 at exactly 3)."""
    return CapArithmetic(rule_id, base, share, math.floor(base * share + 1e-9), proposed)


def _rank(plan: Plan) -> dict[str, int]:
    """Individual titles from lowest to highest, in the plan's order (LĐTT, CSTĐ cơ sở, …)."""
    return {t.id: i for i, t in enumerate(plan.titles.individual)}


def _title_name(plan: Plan, title_id: str) -> str:
    return next((t.name for t in plan.all_titles if t.id == title_id), title_id)


def team_results(plan: Plan, data: Dataset) -> list[TeamResult]:
    """Per team in plan order; members are the roster's (the council's rows when there is no roster)."""
    r = plan.rules
    registered = {c.team_id: c.title_id for c in data.collective}
    results = []
    for team in plan.teams:
        rows = [e for e in data.evaluations if e.team_id == team.id]
        members = sum(1 for s in data.staff if s.team_id == team.id) or len(rows)
        ldtt = sum(1 for e in rows if e.proposed_title_id in r.ldtt_level_titles)
        cstdcs = sum(1 for e in rows if e.proposed_title_id in r.cstdcs_level_titles)
        completed = sum(1 for e in rows if e.completion >= Completion.HOAN_THANH)
        disciplined = tuple(e.full_name for e in rows if e.disciplined)
        result = TeamResult(team.id, members, len(rows), completed, ldtt, cstdcs, disciplined,
                            registered.get(team.id, ""), "")
        on_track = next((title for title in (r.ttldxs_title, r.ttldtt_title)
                         if not _collective_shortfalls(plan, result, title)), "")
        results.append(replace(result, on_track_title_id=on_track))
    return results


def _collective_shortfalls(plan: Plan, t: TeamResult, title_id: str) -> list[tuple[str, str]]:
    """(rule id, reason) for each collective condition `t` misses for `title_id`."""
    r = plan.rules
    out: list[tuple[str, str]] = []
    share_text = f"{t.ldtt_level}/{t.members} thành viên ({t.ldtt_share:.0%}) đạt «Lao động tiên tiến» trở lên"
    if title_id == r.ttldtt_title and not t.ldtt_share > r.ttldtt_ldtt_share_over:
        out.append(("TTLDTT_TY_LE_LDTT", f"{share_text}, cần trên {r.ttldtt_ldtt_share_over:.0%}"))
    if title_id == r.ttldxs_title:
        if t.ldtt_share < r.ttldxs_ldtt_share_min:
            out.append(("TTLDXS_TY_LE_LDTT", f"{share_text}, cần ít nhất {r.ttldxs_ldtt_share_min:.0%}"))
        if t.completed < t.members:
            out.append(("TTLDXS_HOAN_THANH", f"{t.completed}/{t.members} thành viên hoàn thành nhiệm vụ trở lên, "
                                             f"cần toàn bộ"))
        if r.ttldxs_needs_cstdcs and t.cstdcs_level == 0:
            out.append(("TTLDXS_CSTDCS", "không có thành viên được đề nghị «Chiến sĩ thi đua cơ sở»"))
    if title_id in (r.ttldtt_title, r.ttldxs_title) and t.disciplined:
        out.append(("TAP_THE_KY_LUAT", f"có thành viên bị kỷ luật: {', '.join(t.disciplined)}"))
    return out


def _flag(rule_id: str, e: Evaluation | None, team_id: str, message: str, reference: str = "") -> Flag:
    return Flag(rule_id, e.email if e else "", e.full_name if e else "", team_id, message,
                reference or RULES[rule_id].reference)


def _individual(plan: Plan, data: Dataset) -> Iterable[Flag]:
    r = plan.rules
    rank = _rank(plan)
    recognised_authors = {i.email for i in data.initiatives if i.recognised}
    registered = {g.email: g for g in data.registrations}
    ldtt_min, cstdcs_min = completion_of(r.ldtt_min_completion), completion_of(r.cstdcs_min_completion)
    giay_khen_min = completion_of(r.giay_khen_min_completion)
    for e in data.evaluations:
        title = e.proposed_title_id or ""
        asked = f"Đề nghị «{_title_name(plan, title)}»"
        if title in r.ldtt_level_titles:
            if e.completion < ldtt_min:
                yield _flag("LDTT_HOAN_THANH_TOT", e, e.team_id,
                            f"{asked} nhưng mức hoàn thành nhiệm vụ là «{e.completion.label}» (cần từ "
                            f"«{ldtt_min.label}» trở lên).")
            if e.disciplined:
                yield _flag("LDTT_KY_LUAT", e, e.team_id, f"{asked} nhưng đang bị kỷ luật «{e.discipline}».")
            if e.months_worked < r.min_months_worked:
                yield _flag("LDTT_THANG_CONG_TAC", e, e.team_id,
                            f"{asked} nhưng chỉ có {e.months_worked:g} tháng công tác (cần từ "
                            f"{r.min_months_worked:g} tháng).")
        # Điều 23, khoản 2: excellent completion OR a recognised initiative (or research: the council checks it).
        if title in r.cstdcs_level_titles and e.completion < cstdcs_min and e.email not in recognised_authors:
            yield _flag("CSTDCS_XUAT_SAC_HOAC_SANG_KIEN", e, e.team_id,
                        f"{asked} nhưng mức hoàn thành nhiệm vụ là «{e.completion.label}» (chưa đạt "
                        f"«{cstdcs_min.label}») và chưa có sáng kiến được Hội đồng xét sáng kiến công nhận (cần "
                        f"một trong hai).")
        registration = registered.get(e.email)
        if r.proposal_needs_registration and title in rank and (
                registration is None or rank.get(registration.title_id, -1) < rank[title]):
            done = f"đã đăng ký «{_title_name(plan, registration.title_id)}»" if registration else "chưa đăng ký"
            yield _flag("DANH_HIEU_DA_DANG_KY", e, e.team_id, f"{asked} nhưng đầu năm {done}.",
                        f"Kế hoạch số {plan.plan_document.number} (đăng ký danh hiệu thi đua đầu năm)")
        commendation = registration.commendation if registration else ""
        if commendation in r.giay_khen_commendations and e.completion < giay_khen_min:
            yield _flag("GIAY_KHEN_HOAN_THANH_TOT", e, e.team_id,
                        f"Đăng ký «{commendation}» nhưng mức hoàn thành nhiệm vụ là «{e.completion.label}» (cần "
                        f"từ «{giay_khen_min.label}» trở lên).")


def caps(plan: Plan, data: Dataset, results: list[TeamResult] | None = None) -> list[CapArithmetic]:
    """The CSTĐ cơ sở cap over everyone proposed at LĐTT level; the TTLĐXS cap over teams registered for a
    collective title (everyone proposed higher must also meet the lower title, so both count in the base)."""
    r = plan.rules
    results = team_results(plan, data) if results is None else results
    collective = [t.registered_title_id for t in results if t.registered_title_id in (r.ttldtt_title,
                                                                                      r.ttldxs_title)]
    return [
        cap_of("CSTDCS_TY_LE", sum(1 for e in data.evaluations if e.proposed_title_id in r.ldtt_level_titles),
               r.cstdcs_share_of_ldtt,
               sum(1 for e in data.evaluations if e.proposed_title_id in r.cstdcs_level_titles)),
        cap_of("TTLDXS_TY_LE", len(collective), r.ttldxs_share_of_ttldtt,
               sum(1 for t in collective if t == r.ttldxs_title)),
    ]


def _caps(plan: Plan, arithmetic: list[CapArithmetic]) -> Iterable[Flag]:
    r = plan.rules
    names = {"CSTDCS_TY_LE": (r.cstdcs_level_titles[0], r.ldtt_level_titles[0]),
             "TTLDXS_TY_LE": (r.ttldxs_title, r.ttldtt_title)}
    for cap in arithmetic:
        if cap.excess:
            title, base = (_title_name(plan, t) for t in names[cap.rule_id])
            yield _flag(cap.rule_id, None, "",
                        f"Số đề nghị «{title}» ({cap.proposed}) vượt tỷ lệ {cap.share:.0%} của {cap.base} "
                        f"«{base}» (tối đa {cap.cap}), thừa {cap.excess}.",
                        f"Kế hoạch số {plan.plan_document.number}; {RULES[cap.rule_id].reference}")


def check(plan: Plan, data: Dataset) -> list[Flag]:
    """Every flag, people first (in the council's row order), then teams, then the school's caps."""
    results = team_results(plan, data)
    flags = list(_individual(plan, data))
    for t in results:
        for rule_id, reason in _collective_shortfalls(plan, t, t.registered_title_id):
            name = _title_name(plan, t.registered_title_id)
            flags.append(_flag(rule_id, None, t.team_id, f"Tổ {plan.team(t.team_id).name} đăng ký «{name}» "
                                                         f"nhưng {reason}."))
    flags.extend(_caps(plan, caps(plan, data, results)))
    return flags
