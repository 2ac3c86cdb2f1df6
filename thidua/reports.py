"""What each report says: a plain, template-agnostic context built from aggregates and rule flags.

Contexts hold only strings, lists and dicts so that any renderer (DOCX here, Google Docs later) and
any artifact can use them; every table carries its own caption, headers, rows and total row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from thidua import rules
from thidua.aggregate import Crosstab, Dataset, crosstab, ratio
from thidua.calendar import quarter_of
from thidua.official import keep_name_together
from thidua.plan import Deadline, Phase, Plan, ReportKind, SourceKind, Title
from thidua.records import Completion, Record
from thidua.text import fold

SCHOOL_ROW = "Toàn trường"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def vn_number(value: int) -> str:
    """1234 → "1.234": Vietnamese thousands separator."""
    return f"{value:,}".replace(",", ".")


def vn_percent(value: float) -> str:
    """0.125 → "12,5%"; one decimal, comma as decimal mark."""
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def vn_date_words(day: dt.date) -> str:
    """Nghị định 30/2020 style: months and days below 3 take a leading zero ("ngày 05 tháng 01")."""
    day_text = f"{day.day:02d}" if day.day < 10 else str(day.day)
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day_text} tháng {month_text} năm {day.year}"


#: A report table's stable key, what a template's own table for it is named by (`{{ registered_by_team.c1 }}`):
#: the same table keeps its key whatever its number ("Bảng 3" or "Bảng 4") and whichever tables a report leaves
#: out. A review report's tables per phase are keyed by the phase's place in the plan (`phase2_summary`).
TABLE_KEY = re.compile(r"^(registered_by_team|title_ratios|collective_registration|registered_people|"
                       r"not_registered|exemplars_by_team|exemplar_people|phase[1-9]_movements|phase[1-9]_summary|"
                       r"titles_progress|compared_with_start|team_results|completion_by_team|proposed_by_team|"
                       r"title_caps|evaluated_people)$")


def is_table_key(name: str) -> bool:
    """Whether `name` names a report table (so a template's `{{ name.c1 }}` is a table slot)."""
    return TABLE_KEY.match(name) is not None


@dataclass(frozen=True)
class ReportTable:
    """One table of a report (key, caption, headers, rows, total), the shape every template's table reads."""

    key: str
    caption: str
    headers: list[str]
    rows: list[list[str]]
    total: list[str] | None = None

    def __post_init__(self) -> None:
        if not is_table_key(self.key):
            raise ValueError(f"unknown report table key {self.key!r}: add it to TABLE_KEY")

    def as_dict(self) -> dict[str, Any]:
        """The table as the template context expects it, with an empty total row when there is none."""
        return {"key": self.key, "caption": self.caption, "headers": self.headers, "rows": self.rows,
                "total": self.total or []}


def _titles_chart(plan: Plan, caption: str, tab: Crosstab, titles: Sequence[Title]) -> dict[str, Any]:
    """Stacked bars: one bar per team, one segment per title (what the district compares at a glance)."""
    return {"caption": caption, "kind": "stacked_bars", "categories": [t.name for t in plan.teams],
            "series": [{"name": title.name, "values": [tab.count(t.id, title.id) for t in plan.teams]}
                       for title in titles]}


def _submissions_chart(caption: str, records: Iterable[Record], deadline: Deadline,
                       target: int | None = None) -> dict[str, Any]:
    """Cumulative submissions per day against the day the report is due (and, if given, how many are expected)."""
    per_day: Counter[dt.date] = Counter(r.origin.submitted_at.date() for r in records
                                        if r.origin.submitted_at is not None)
    days = sorted(per_day)
    running = list(accumulate(per_day[d] for d in days))
    return {"caption": caption, "kind": "cumulative", "dates": [d.isoformat() for d in days], "values": running,
            "deadline": deadline.due_before.isoformat(), "deadline_label": f"Hạn gửi báo cáo: trước "
            f"{deadline.due_before:%d/%m/%Y}", "target": target}


def _team_table(plan: Plan, key: str, caption: str, first: str, tab: Crosstab, labels: Sequence[str],
                extra: Callable[[str], list[str]] | None = None, extra_headers: Sequence[str] = (),
                extra_total: Sequence[str] = ()) -> ReportTable:
    """Rows per team in plan order with the school's total row; `extra` appends computed columns."""
    rows = []
    for team in plan.teams:
        cells = [vn_number(tab.count(team.id, c)) for c in tab.categories]
        rows.append([team.name, *cells, vn_number(tab.team_total(team.id)), *(extra(team.id) if extra else [])])
    total = [SCHOOL_ROW, *(vn_number(tab.school(c)) for c in tab.categories), vn_number(tab.school_total()),
             *extra_total]
    return ReportTable(key, caption, [first, *labels, "Tổng", *extra_headers], rows, total)


def _team_of(record: Record) -> str:
    return getattr(record, "team_id", "")


def _people_table(key: str, caption: str, headers: list[str], rows: list[list[str]]) -> ReportTable:
    return ReportTable(key, caption, ["STT", *headers], [[str(i), *r] for i, r in enumerate(rows, start=1)])


def _team_order(plan: Plan, data: Dataset) -> Callable[[Any], tuple[int, int, int]]:
    """Plan's team order, then the roster's order of people (as the school lists its staff), then the sheet's row
    for anyone the roster does not name; a nominee is found on the roster by name."""
    order = {t.id: i for i, t in enumerate(plan.teams)}
    by_email = {s.email: i for i, s in enumerate(sorted(data.staff, key=lambda s: s.origin.row_number))}
    by_name = {fold(s.full_name): by_email[s.email] for s in data.staff}

    def key(r: Any) -> tuple[int, int, int]:
        nominee = getattr(r, "nominee", None)
        place = by_name.get(fold(nominee)) if nominee is not None else by_email.get(getattr(r, "email", ""))
        return (order.get(r.team_id, len(order)), len(by_email) if place is None else place, r.origin.row_number)
    return key


def official_number(number: int) -> str:
    """A register number as Nghị định 30/2020 writes it: Arabic digits, a leading 0 below 10 ("05", "12")."""
    return f"{number:02d}"


def report_symbol(plan: Plan) -> str:
    """The ký hiệu of the school's reports ("BC-LAX"): the register a report's number is taken from."""
    return f"BC-{plan.school.symbol}"


def number_line(plan: Plan, number: str) -> str:
    """The report's "Số: 05/BC-LAX" line; a blank number leaves room for the văn thư to write it by hand."""
    return f"Số: {number or '      '}/{report_symbol(plan)}"


def _header(plan: Plan, deadline: Deadline, issued_on: dt.date) -> dict[str, Any]:
    nơi_nhận = [f"- {name};" for name in plan.recipient_names(deadline)]
    nơi_nhận += [f"- {name};" for name in plan.internal_recipients if not name.startswith("Lưu")]
    nơi_nhận.append("- Lưu: VT.")
    return {
        "governing_body": keep_name_together(plan.school.governing_body),
        "school_header": keep_name_together(plan.school.header_name),
        "school_name": plan.school.name,
        "number": number_line(plan, deadline.number),
        "place_date": f"{plan.school.place}, {vn_date_words(issued_on)}",
        "kind_label": "BÁO CÁO",
        "title": deadline.title,
        "deadline_id": deadline.id,
        "due_before": deadline.due_before.strftime("%d/%m/%Y"),
        "signer_title": plan.signer.title,
        "signer_name": plan.signer.name,
        "recipients": nơi_nhận,
    }


@dataclass
class _Section:
    """What one report kind contributes to its context."""

    tables: list[ReportTable]
    numbers: dict[str, Any]
    charts: list[dict[str, Any]]
    # Sentences saying which tables or columns are left out because the plan does not collect their source.
    omitted: list[str] = field(default_factory=list)


#: Said in the report when the plan has no collective registration source (F2): nothing of it is shown.
NO_COLLECTIVE = ("Nhà trường không tổ chức đăng ký danh hiệu thi đua tập thể và giao ước thi đua của các tổ qua "
                 "phần mềm, nên báo cáo không có số liệu đăng ký danh hiệu tập thể.")


def _collects(plan: Plan, kind: SourceKind) -> bool:
    """Whether the plan reads this kind of source at all; a table of a source never read would only say
    "Chưa đăng ký" for everyone."""
    return any(s.kind is kind for s in plan.sources)


def _title_crosstab(plan: Plan, records: Iterable[Record], attribute: str) -> Crosstab:
    return crosstab(plan, records, _team_of, lambda r: getattr(r, attribute, "") or "",
                    [t.id for t in plan.titles.individual])


def _registration(plan: Plan, deadline: Deadline, data: Dataset) -> _Section:
    titles = plan.titles.individual
    staff = crosstab(plan, data.staff, _team_of, lambda r: "staff", ["staff"])
    registered = _title_crosstab(plan, data.registrations, "title_id")
    staff_total = staff.school("staff")

    def staff_and_ratio(team_id: str) -> list[str]:
        return [vn_number(staff.count(team_id, "staff")),
                vn_percent(ratio(registered.team_total(team_id), staff.count(team_id, "staff")))]

    individual = _team_table(
        plan, "registered_by_team", "Bảng 1. Đăng ký danh hiệu thi đua cá nhân theo tổ", "Tổ", registered,
        [t.name for t in titles],
        extra=staff_and_ratio, extra_headers=["Số viên chức", "Tỷ lệ đăng ký"],
        extra_total=[vn_number(staff_total), vn_percent(ratio(registered.school_total(), staff_total))],
    )
    ratios = ReportTable(
        "title_ratios", "Bảng 2. Tỷ lệ đăng ký từng danh hiệu so với tổng số viên chức toàn trường",
        ["Danh hiệu", "Số đăng ký", "Tỷ lệ so với số viên chức"],
        [[t.name, vn_number(registered.school(t.id)), vn_percent(ratio(registered.school(t.id), staff_total))]
         for t in titles],
        [SCHOOL_ROW, vn_number(registered.school_total()), vn_percent(ratio(registered.school_total(),
                                                                            staff_total))],
    )
    by_team = {c.team_id: c for c in data.collective}
    title_names = {t.id: t.name for t in plan.all_titles}
    collective: ReportTable | None = ReportTable(
        "collective_registration", "Bảng 3. Đăng ký danh hiệu tập thể và giao ước thi đua",
        ["Tổ", "Số thành viên", "Danh hiệu tập thể đăng ký", "Giao ước thi đua"],
        [[t.name,
          str(by_team[t.id].members or "") if t.id in by_team else "",
          title_names.get(by_team[t.id].title_id, "") if t.id in by_team else "Chưa đăng ký",
          "; ".join(by_team[t.id].pledges) if t.id in by_team else ""] for t in plan.teams],
        [SCHOOL_ROW, vn_number(sum(c.members or 0 for c in data.collective)),
         "; ".join(f"{t.name}: {vn_number(sum(1 for c in data.collective if c.title_id == t.id))}"
                   for t in plan.titles.collective),
         f"{vn_number(len(data.collective))}/{vn_number(len(plan.teams))} tổ đã đăng ký"],
    )
    if not _collects(plan, SourceKind.COLLECTIVE_REGISTRATION):
        collective = None
    key = _team_order(plan, data)
    people = _people_table(
        "registered_people", "Bảng 4. Danh sách cá nhân đăng ký danh hiệu thi đua",
        ["Họ và tên", "Tổ", "Danh hiệu đăng ký", "Hình thức khen thưởng đề nghị", "Sáng kiến/đề tài"],
        [[r.full_name, plan.team(r.team_id).name, title_names[r.title_id], r.commendation, r.initiative]
         for r in sorted(data.registrations, key=key)],
    )
    registered_emails = {r.email for r in data.registrations}
    missing = _people_table(
        "not_registered", "Bảng 5. Viên chức, người lao động chưa đăng ký danh hiệu thi đua",
        ["Họ và tên", "Tổ"],
        [[s.full_name, plan.team(s.team_id).name] for s in sorted(data.staff, key=key)
         if s.email not in registered_emails],
    )
    numbers = {"staff": staff_total, "registered": registered.school_total(),
               "registered_by_title": {t.id: registered.school(t.id) for t in titles},
               "collective_registered": len(data.collective),
               "collective_by_title": {t.id: sum(1 for c in data.collective if c.title_id == t.id)
                                       for t in plan.titles.collective},
               "not_registered": len(missing.rows)}
    charts = [_titles_chart(plan, "Biểu đồ 1. Danh hiệu thi đua cá nhân đăng ký theo tổ", registered, titles),
              _submissions_chart("Biểu đồ 2. Số cá nhân đã đăng ký theo ngày, so với hạn gửi báo cáo",
                                 data.registrations, deadline, staff_total)]
    kept = [t for t in (individual, ratios, collective, people, missing) if t is not None]
    return _Section(kept, numbers, charts, [] if collective else [NO_COLLECTIVE])


def _exemplars(plan: Plan, deadline: Deadline, data: Dataset) -> _Section:
    quarter = deadline.quarter or 1
    chosen = [e for e in data.exemplars if e.quarter == quarter]
    tab = crosstab(plan, chosen, _team_of, lambda r: "n", ["n"])
    counts = ReportTable(
        "exemplars_by_team", f"Bảng 1. Số gương điển hình tiên tiến quý {ROMAN[quarter]} theo tổ",
        ["Tổ", "Số gương được giới thiệu"],
        [[t.name, vn_number(tab.count(t.id, "n"))] for t in plan.teams], [SCHOOL_ROW, vn_number(tab.school("n"))],
    )
    people = _people_table(
        "exemplar_people", f"Bảng 2. Danh sách gương điển hình tiên tiến quý {ROMAN[quarter]}",
        ["Họ và tên", "Tổ", "Tóm tắt thành tích"],
        [[e.nominee, plan.team(e.team_id).name, e.summary] for e in sorted(chosen, key=_team_order(plan, data))],
    )
    charts = [_submissions_chart(f"Biểu đồ 1. Số gương điển hình quý {ROMAN[quarter]} được giới thiệu theo "
                                 f"ngày, so với hạn gửi báo cáo", chosen, deadline, len(plan.teams))]
    return _Section([counts, people], {"quarter": quarter, "exemplars": len(chosen)}, charts)


def _phase_section(plan: Plan, data: Dataset, phase: Phase, index: int) -> tuple[list[ReportTable], dict[str, int]]:
    """One phase's achievements by movement, then its per-team summary of achievements, initiatives, exemplars;
    `index` is the phase's place in the plan (its tables' number and key)."""
    achievements = [a for a in data.achievements if a.phase_id == phase.id]
    by_movement = crosstab(plan, achievements, _team_of, lambda r: getattr(r, "movement", ""), list(plan.movements))
    movements = _team_table(plan, f"phase{index}_movements",
                            f"Bảng {index}a. Thành tích {phase.name} theo phong trào thi đua", "Tổ",
                            by_movement, list(plan.movements))
    submitted_in_phase = [i for i in data.initiatives
                          if i.origin.submitted_at is not None and phase.contains(i.origin.submitted_at.date())]
    initiatives = crosstab(plan, submitted_in_phase, _team_of,
                           lambda r: "recognised" if getattr(r, "recognised", None) else "submitted_only",
                           ["recognised", "submitted_only"])
    quarters = range(quarter_of(phase.start), quarter_of(phase.end) + 1)
    exemplars = crosstab(plan, [e for e in data.exemplars if e.quarter in quarters], _team_of, lambda r: "n", ["n"])

    def row(team_id: str | None) -> list[str]:
        def pick(tab: Crosstab, category: str) -> int:
            return tab.school(category) if team_id is None else tab.count(team_id, category)
        achieved = by_movement.school_total() if team_id is None else by_movement.team_total(team_id)
        submitted = pick(initiatives, "recognised") + pick(initiatives, "submitted_only")
        return [vn_number(achieved), vn_number(submitted), vn_number(pick(initiatives, "recognised")),
                vn_number(pick(exemplars, "n"))]

    summary = ReportTable(
        f"phase{index}_summary", f"Bảng {index}b. Tổng hợp {phase.name} theo tổ",
        ["Tổ", "Thành tích", "Sáng kiến đăng ký", "Sáng kiến được công nhận", "Gương điển hình"],
        [[t.name, *row(t.id)] for t in plan.teams], [SCHOOL_ROW, *row(None)],
    )
    numbers = {"achievements": by_movement.school_total(), "initiatives": initiatives.school_total(),
               "initiatives_recognised": initiatives.school("recognised"), "exemplars": exemplars.school("n")}
    return [movements, summary], numbers


def _on_track(plan: Plan, data: Dataset) -> Callable[[Record], str]:
    """A registration is on track once its holder has reported an achievement and, from CSTĐ cơ sở up, has
    submitted an initiative: what can be known before the council's evaluation."""
    reported = {a.email for a in data.achievements}
    authors = {i.email for i in data.initiatives}
    cstdcs_level = set(plan.rules.cstdcs_level_titles)

    def category(record: Record) -> str:
        title = getattr(record, "title_id", "")
        email = getattr(record, "email", "")
        ok = email in reported and (title not in cstdcs_level or email in authors)
        return title if ok else ""
    return category


def _review(plan: Plan, deadline: Deadline, data: Dataset, cutoff: dt.date, baseline: Dataset | None) -> _Section:
    tables: list[ReportTable] = []
    omitted: list[str] = []
    numbers: dict[str, Any] = {"phases": {}}
    started = [p for p in plan.phases if p.start <= cutoff]
    for index, phase in enumerate(plan.phases, start=1):
        if phase not in started:
            continue
        phase_tables, numbers["phases"][phase.id] = _phase_section(plan, data, phase, index)
        tables.extend(phase_tables)
    titles = plan.titles.individual
    title_ids = [t.id for t in titles]
    registered = _title_crosstab(plan, data.registrations, "title_id")
    on_track = crosstab(plan, data.registrations, _team_of, _on_track(plan, data), title_ids)
    headers = ["Tổ"]
    for t in titles:
        headers += [f"{t.name} – đăng ký", f"{t.name} – đang đạt"]

    def pairs(first: Crosstab, second: Crosstab) -> Callable[[str | None], list[str]]:
        def cells(team_id: str | None) -> list[str]:
            return [vn_number(tab.school(t) if team_id is None else tab.count(team_id, t))
                    for t in title_ids for tab in (first, second)]
        return cells

    cells = pairs(registered, on_track)
    n = len(started) + 1
    tables.append(ReportTable(
        "titles_progress",
        f"Bảng {n}. Danh hiệu thi đua cá nhân đã đăng ký và số đang đạt tiến độ (đã báo cáo thành tích; từ Chiến "
        f"sĩ thi đua cơ sở trở lên có thêm sáng kiến đã đăng ký)", headers,
        [[t.name, *cells(t.id)] for t in plan.teams], [SCHOOL_ROW, *cells(None)]))
    numbers["registered"] = registered.school_total()
    numbers["on_track"] = on_track.school_total()
    charts = [_titles_chart(plan, "Biểu đồ 1. Danh hiệu thi đua cá nhân đã đăng ký theo tổ", registered, titles),
              _submissions_chart("Biểu đồ 2. Số báo cáo thành tích đã nộp theo ngày, so với hạn gửi báo cáo",
                                 data.achievements, deadline)]
    if baseline is not None:
        at_start = _title_crosstab(plan, baseline.registrations, "title_id")
        proposed = _title_crosstab(plan, data.evaluations, "proposed_title_id")
        compare_headers = ["Tổ"]
        for t in titles:
            compare_headers += [f"{t.name} – đăng ký đầu năm", f"{t.name} – đề nghị cuối năm"]
        compare = pairs(at_start, proposed)
        tables.append(ReportTable("compared_with_start", f"Bảng {n + 1}. So sánh với đăng ký đầu năm",
                                  compare_headers, [[t.name, *compare(t.id)] for t in plan.teams],
                                  [SCHOOL_ROW, *compare(None)]))
        tables.append(_collective_table(plan, rules.team_results(plan, data), f"Bảng {n + 2}."))
        omitted = [] if _collects(plan, SourceKind.COLLECTIVE_REGISTRATION) else [NO_COLLECTIVE]
        numbers["registered_at_start"] = at_start.school_total()
        numbers["proposed"] = proposed.school_total()
        charts[0] = _titles_chart(plan, "Biểu đồ 1. Danh hiệu thi đua cá nhân đề nghị cuối năm theo tổ", proposed,
                                  titles)
    return _Section(tables, numbers, charts, omitted)


def _collective_table(plan: Plan, results: list[rules.TeamResult], number: str) -> ReportTable:
    """Each team's council results against its collective registration: the basis of TTLĐTT/TTLĐXS; without a
    collective registration source, the registered column is left out."""
    names = {t.id: t.name for t in plan.all_titles}

    def row(first: str, members: int, evaluated: int, completed: int, ldtt: int, cstdcs: int) -> list[str]:
        return [first, vn_number(members), vn_number(evaluated), vn_number(completed), vn_number(ldtt),
                vn_percent(ratio(ldtt, members)), vn_number(cstdcs)]

    body = [[*row(plan.team(t.team_id).name, t.members, t.evaluated, t.completed, t.ldtt_level, t.cstdcs_level),
             names.get(t.registered_title_id, "Chưa đăng ký"), names.get(t.on_track_title_id, "Chưa đủ điều kiện")]
            for t in results]
    total = row(SCHOOL_ROW, *(sum(getattr(t, f) for t in results)
                              for f in ("members", "evaluated", "completed", "ldtt_level", "cstdcs_level")))
    registered = sum(1 for t in results if t.registered_title_id)
    reaching = sum(1 for t in results if t.on_track_title_id)
    table = ReportTable(
        "team_results", f"{number} Kết quả bình xét theo tổ và danh hiệu tập thể",
        ["Tổ", "Số thành viên", "Số được bình xét", "Hoàn thành nhiệm vụ trở lên", "Lao động tiên tiến trở lên",
         "Tỷ lệ Lao động tiên tiến", "Chiến sĩ thi đua cơ sở trở lên", "Danh hiệu tập thể đăng ký",
         "Đủ điều kiện theo số liệu"],
        body, [*total, vn_number(registered), vn_number(reaching)])
    if _collects(plan, SourceKind.COLLECTIVE_REGISTRATION):
        return table
    registered_column = 7
    return ReportTable(table.key, table.caption, _without(table.headers, registered_column),
                       [_without(r, registered_column) for r in table.rows],
                       _without(table.total or [], registered_column))


def _without(cells: list[str], index: int) -> list[str]:
    return cells[:index] + cells[index + 1:]


# Short forms used in the per-person table so that nine columns stay readable on A4; the caption explains them.
COMPLETION_SHORT = {Completion.HOAN_THANH_XUAT_SAC: "HTXSNV", Completion.HOAN_THANH_TOT: "HTTNV",
                    Completion.HOAN_THANH: "HTNV", Completion.KHONG_HOAN_THANH: "KHTNV"}
TITLE_SHORT = {"LDTT": "LĐTT", "CSTDCS": "CSTĐCS", "CSTD-TP": "CSTĐ TP", "CSTD-TQ": "CSTĐ TQ"}


def _evaluation(plan: Plan, deadline: Deadline, data: Dataset, flags: list[rules.Flag]) -> _Section:
    titles = plan.titles.individual
    completion = crosstab(plan, data.evaluations, _team_of, lambda r: str(int(getattr(r, "completion", 0))),
                          [str(int(c)) for c in reversed(Completion)])
    by_completion = _team_table(plan, "completion_by_team", "Bảng 1. Mức hoàn thành nhiệm vụ theo tổ", "Tổ", completion,
                                [c.label for c in reversed(Completion)])
    proposed = _title_crosstab(plan, data.evaluations, "proposed_title_id")

    def evaluated_and_ratio(team_id: str) -> list[str]:
        return [vn_number(completion.team_total(team_id)),
                vn_percent(ratio(proposed.team_total(team_id), completion.team_total(team_id)))]

    by_title = _team_table(
        plan, "proposed_by_team", "Bảng 2. Danh hiệu đề nghị theo tổ", "Tổ", proposed, [t.name for t in titles],
        extra=evaluated_and_ratio, extra_headers=["Số được bình xét", "Tỷ lệ đề nghị"],
        extra_total=[vn_number(completion.school_total()),
                     vn_percent(ratio(proposed.school_total(), completion.school_total()))])
    results = rules.team_results(plan, data)
    cstdcs_cap, ttldxs_cap = rules.caps(plan, data, results)
    cap_table = ReportTable(
        "title_caps", "Bảng 3. Tỷ lệ danh hiệu so với mức tối đa",
        ["Nội dung", "Số liệu"],
        [["Số cá nhân đề nghị Lao động tiên tiến trở lên (kể cả Chiến sĩ thi đua)", vn_number(cstdcs_cap.base)],
         ["Tỷ lệ Chiến sĩ thi đua cơ sở tối đa", vn_percent(cstdcs_cap.share)],
         [f"Số Chiến sĩ thi đua cơ sở tối đa ({vn_number(cstdcs_cap.base)} × {vn_percent(cstdcs_cap.share)}, "
          f"làm tròn xuống)", vn_number(cstdcs_cap.cap)],
         ["Số cá nhân đề nghị Chiến sĩ thi đua cơ sở trở lên", vn_number(cstdcs_cap.proposed)],
         ["Chiến sĩ thi đua cơ sở vượt tỷ lệ", vn_number(cstdcs_cap.excess)],
         *([["Số tập thể đăng ký Tập thể lao động tiên tiến trở lên", vn_number(ttldxs_cap.base)],
            [f"Số Tập thể lao động xuất sắc tối đa ({vn_number(ttldxs_cap.base)} × "
             f"{vn_percent(ttldxs_cap.share)}, làm tròn xuống)", vn_number(ttldxs_cap.cap)],
            ["Số tập thể đăng ký Tập thể lao động xuất sắc", vn_number(ttldxs_cap.proposed)],
            ["Tập thể lao động xuất sắc vượt tỷ lệ", vn_number(ttldxs_cap.excess)]]
           if _collects(plan, SourceKind.COLLECTIVE_REGISTRATION) else [])],
    )
    flagged_by_email: dict[str, list[str]] = {}
    for number, f in enumerate(flags, start=1):
        if f.email:
            flagged_by_email.setdefault(f.email, []).append(str(number))
    people = _people_table(
        "evaluated_people",
        "Bảng 5. Kết quả bình xét từng cá nhân (HTXSNV, HTTNV, HTNV, KHTNV: hoàn thành xuất sắc, hoàn thành tốt, "
        "hoàn thành, không hoàn thành nhiệm vụ; LĐTT: Lao động tiên tiến; CSTĐCS: Chiến sĩ thi đua cơ sở)",
        ["Họ và tên", "Tổ", "Mức hoàn thành", "Số tháng", "Kỷ luật", "Tín nhiệm", "Đề nghị",
         "Xem mục 3"],
        [[e.full_name, plan.team(e.team_id).name, COMPLETION_SHORT[e.completion], f"{e.months_worked:g}",
          e.discipline or "Không", vn_percent(e.confidence_vote / 100),
          TITLE_SHORT.get(e.proposed_title_id or "", e.proposed_title_id or ""),
          ", ".join(flagged_by_email.get(e.email, []))]
         for e in sorted(data.evaluations, key=_team_order(plan, data))],
    )
    numbers = {"evaluated": len(data.evaluations),
               "proposed_by_title": {t.id: proposed.school(t.id) for t in titles},
               "flags": len(flags), "cap": cstdcs_cap.cap, "cstdcs_proposed": cstdcs_cap.proposed,
               "excess": cstdcs_cap.excess, "ttldxs_cap": ttldxs_cap.cap, "ttldxs_excess": ttldxs_cap.excess,
               "teams_on_track": sum(1 for t in results if t.on_track_title_id)}
    charts = [_titles_chart(plan, "Biểu đồ 1. Danh hiệu đề nghị theo tổ", proposed, titles)]
    tables = [by_completion, by_title, cap_table, _collective_table(plan, results, "Bảng 4."), people]
    return _Section(tables, numbers, charts,
                    [] if _collects(plan, SourceKind.COLLECTIVE_REGISTRATION) else [NO_COLLECTIVE])


def _intro(plan: Plan, issued_on: dt.date) -> str:
    """The opening "căn cứ": a report issued before the plan's own date cannot cite it (the seed plan, dated
    25/03/2024, has two deadlines on 15/03/2024), so it cites the year's emulation work instead."""
    if issued_on < plan.plan_document.date:
        return f"Thực hiện công tác thi đua, khen thưởng năm {plan.year}, {plan.school.name} báo cáo như sau:"
    return (f"Thực hiện {plan.plan_document.title} (Kế hoạch số {plan.plan_document.number} ngày "
            f"{plan.plan_document.date:%d/%m/%Y}), {plan.school.name} báo cáo như sau:")


_TABLE_NUMBER = re.compile(r"^Bảng (\d+)")


def _renumbered(tables: list[ReportTable]) -> list[ReportTable]:
    """Tables numbered 1, 2, 3… in order once some are left out ("Bảng 4." after "Bảng 2." becomes "Bảng 3.");
    sub-tables of one number ("Bảng 1a.", "Bảng 1b.") keep sharing it."""
    numbers: dict[str, int] = {}
    out = []
    for table in tables:
        found = _TABLE_NUMBER.match(table.caption)
        if found is None:
            out.append(table)
            continue
        new = numbers.setdefault(found.group(1), len(numbers) + 1)
        out.append(ReportTable(table.key, f"Bảng {new}{table.caption[found.end():]}", table.headers, table.rows,
                               table.total))
    return out


def build_context(plan: Plan, deadline: Deadline, data: Dataset, issued_on: dt.date,
                  baseline: Dataset | None = None) -> dict[str, Any]:
    """The report for `deadline` as of `issued_on`; `baseline` is the registration snapshot for annual reports."""
    flags = rules.check(plan, data) if deadline.kind is ReportKind.EVALUATION else []
    if deadline.kind is ReportKind.REGISTRATION:
        section = _registration(plan, deadline, data)
    elif deadline.kind is ReportKind.EXEMPLARS:
        section = _exemplars(plan, deadline, data)
    elif deadline.kind is ReportKind.EVALUATION:
        section = _evaluation(plan, deadline, data, flags)
    else:
        section = _review(plan, deadline, data, issued_on,
                          baseline if deadline.kind is ReportKind.ANNUAL else None)
    context = _header(plan, deadline, issued_on)
    context["kind"] = deadline.kind.value
    context["intro"] = " ".join([_intro(plan, issued_on), *section.omitted])
    context["tables"] = [t.as_dict() for t in _renumbered(section.tables)]
    context["charts"] = section.charts
    context["numbers"] = section.numbers
    context["flags"] = [
        {"no": number, "rule_id": f.rule_id, "rule": rules.RULES[f.rule_id].text.rstrip("."),
         "full_name": f.full_name,
         "team": plan.team(f.team_id).name if f.team_id else "", "team_id": f.team_id,
         "message": f.message, "reference": f.reference} for number, f in enumerate(flags, start=1)
    ]
    return context
