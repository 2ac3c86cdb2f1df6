"""The plan file: one school, one year, everything the software must not hard-code.

Loading turns YAML into a validated `Plan`; every error names the file, the line and the field in
Vietnamese, because the person fixing a plan is the school's clerk, not a developer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from thidua.text import nfc


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class School(_Model):
    name: str
    header_name: str
    governing_body: str
    symbol: str
    place: str
    email_domain: str


class PlanDocument(_Model):
    number: str
    date: dt.date
    title: str


class Person(_Model):
    title: str = ""
    name: str
    email: str


class Delivery(_Model):
    sender: str
    sender_name: str
    margin_days: int = Field(default=1, ge=0, le=60)
    send_time: dt.time = dt.time(8, 0)
    approval_required: bool = True
    # Reminders go out this many days before the send day, at send_time, to those who have not answered.
    reminder_days: tuple[int, ...] = (7, 3)
    # The draft for the principal is built this many days before the send.
    approval_lead_days: int = Field(default=2, ge=0, le=30)
    # No approval this many hours before the send: the clerk is alerted.
    approval_alert_hours: int = Field(default=4, ge=0, le=720)
    # Not sent this many hours before the report must arrive: the clerk is alerted.
    check_hours: int = Field(default=12, ge=1, le=720)

    @field_validator("reminder_days")
    @classmethod
    def _reminder_days_positive(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 1 or d > 60 for d in days) or len(set(days)) != len(days):
            raise ValueError("reminder_days là các số ngày khác nhau, từ 1 đến 60 (ví dụ: [7, 3])")
        return tuple(sorted(days, reverse=True))

    @model_validator(mode="after")
    def _alert_after_draft(self) -> Delivery:
        if self.approval_required and self.approval_alert_hours >= self.approval_lead_days * 24:
            raise ValueError(
                f"approval_alert_hours ({self.approval_alert_hours} giờ) phải nhỏ hơn thời gian từ lúc lập dự thảo "
                f"đến lúc gửi (approval_lead_days = {self.approval_lead_days} ngày)"
            )
        return self


class Recipient(_Model):
    id: str
    name: str
    email: str


class Phase(_Model):
    id: str
    name: str
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end < self.start:
            raise ValueError(f"đợt {self.id} kết thúc ({self.end:%d/%m/%Y}) trước khi bắt đầu ({self.start:%d/%m/%Y})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class Team(_Model):
    id: str
    name: str
    kind: Literal["chuyen_mon", "van_phong"] = "chuyen_mon"
    head_email: str = ""
    aliases: tuple[str, ...] = ()


class Title(_Model):
    id: str
    name: str


class Titles(_Model):
    individual: tuple[Title, ...]
    collective: tuple[Title, ...]


CompletionLevel = Literal["hoan_thanh", "hoan_thanh_tot", "hoan_thanh_xuat_sac"]


class Rules(_Model):
    """The law's thresholds as plan data (RULES.md cites each): a change in the law is a change of the plan."""

    # Titles whose holders must meet the Lao động tiên tiến standard, and those that also need CSTĐ cơ sở's.
    ldtt_level_titles: tuple[str, ...] = ("LDTT", "CSTDCS", "CSTD-TP", "CSTD-TQ")
    cstdcs_level_titles: tuple[str, ...] = ("CSTDCS", "CSTD-TP", "CSTD-TQ")
    ldtt_min_completion: CompletionLevel = "hoan_thanh_tot"
    # The completion that meets Điều 23 khoản 2 on its own; otherwise a recognised initiative is needed.
    cstdcs_min_completion: CompletionLevel = "hoan_thanh_xuat_sac"
    # Thông tư 01/2024/TT-BNV: no Lao động tiên tiến for someone recruited less than 06 months ago (was 10
    # months under Nghị định 91/2017/NĐ-CP, no longer in force).
    min_months_worked: float = Field(default=6, ge=0, le=12)
    # Not a cap of Luật 06/2022/QH15 or Nghị định 98/2023/NĐ-CP (15% was Nghị định 91/2017/NĐ-CP's): the plan's
    # own; set it to 1 where the plan sets none.
    cstdcs_share_of_ldtt: float = Field(default=0.15, gt=0, le=1)
    # A proposed title must have been registered at the start of the year (the school's plan says so).
    proposal_needs_registration: bool = True
    # Commendations (as named in `commendations`) that are a Giấy khen, and the completion they need.
    giay_khen_commendations: tuple[str, ...] = ("Giấy khen của Hiệu trưởng", "Giấy khen của Chủ tịch UBND quận")
    giay_khen_min_completion: CompletionLevel = "hoan_thanh_tot"
    # Collective titles: Tập thể lao động tiên tiến needs more than this share of members at LĐTT level;
    # Tập thể lao động xuất sắc at least this share, every member completing their tasks and one CSTĐ cơ sở.
    ttldtt_title: str = "TTLDTT"
    ttldxs_title: str = "TTLDXS"
    ttldtt_ldtt_share_over: float = Field(default=0.5, ge=0, le=1)
    ttldxs_ldtt_share_min: float = Field(default=0.7, ge=0, le=1)
    ttldxs_needs_cstdcs: bool = True
    ttldxs_share_of_ttldtt: float = Field(default=0.2, gt=0, le=1)


class SourceKind(StrEnum):
    ROSTER = "roster"
    INDIVIDUAL_REGISTRATION = "individual_registration"
    COLLECTIVE_REGISTRATION = "collective_registration"
    ACHIEVEMENT = "achievement"
    EXEMPLAR = "exemplar"
    INITIATIVE = "initiative"
    EVALUATION = "evaluation"


# The fields each kind of source must map to a column; optional ones may be left out of the plan.
REQUIRED_FIELDS: Mapping[SourceKind, tuple[str, ...]] = {
    SourceKind.ROSTER: ("full_name", "email", "team", "position"),
    SourceKind.INDIVIDUAL_REGISTRATION: ("timestamp", "email", "full_name", "team", "title"),
    SourceKind.COLLECTIVE_REGISTRATION: ("timestamp", "email", "team", "title", "pledges"),
    SourceKind.ACHIEVEMENT: ("timestamp", "email", "full_name", "phase", "team", "movement", "content"),
    SourceKind.EXEMPLAR: ("timestamp", "email", "quarter", "nominee", "team", "summary"),
    SourceKind.INITIATIVE: ("timestamp", "email", "full_name", "team", "name"),
    SourceKind.EVALUATION: (
        "timestamp", "email", "full_name", "team", "completion", "months_worked", "discipline",
        "confidence_vote", "proposed_title",
    ),
}
OPTIONAL_FIELDS: Mapping[SourceKind, tuple[str, ...]] = {
    SourceKind.ROSTER: ("start_date",),
    SourceKind.INDIVIDUAL_REGISTRATION: ("position", "commendation", "initiative"),
    SourceKind.COLLECTIVE_REGISTRATION: ("members",),
    SourceKind.ACHIEVEMENT: ("evidence",),
    SourceKind.EXEMPLAR: (),
    SourceKind.INITIATIVE: ("field", "scope", "effect", "result"),
    SourceKind.EVALUATION: (),
}


class Source(_Model):
    id: str
    name: str
    kind: SourceKind
    file: str = ""
    sheet: str = ""
    spreadsheet_id: str = ""
    form_id: str = ""
    columns: dict[str, str]

    @model_validator(mode="after")
    def _columns_fit_kind(self) -> Source:
        missing = [f for f in REQUIRED_FIELDS[self.kind] if f not in self.columns]
        if missing:
            raise ValueError(f"nguồn {self.id} thiếu cột cho trường: {', '.join(missing)}")
        known = set(REQUIRED_FIELDS[self.kind]) | set(OPTIONAL_FIELDS[self.kind])
        unknown = sorted(set(self.columns) - known)
        if unknown:
            raise ValueError(
                f"nguồn {self.id} có trường không dùng cho loại «{self.kind.value}»: {', '.join(unknown)}"
            )
        return self


class GoogleSettings(_Model):
    """Where the school's Workspace objects live; `thidua google provision` fills the ids in."""

    user: str
    read_from: Literal["sheets", "forms"] = "sheets"
    folder_id: str = ""
    templates: dict[str, str] = Field(default_factory=dict)
    deadline_folders: dict[str, str] = Field(default_factory=dict)
    #: Also export each report as DOCX (one more call per report); the Google Doc itself is the editable copy.
    export_docx: bool = False


class ReportKind(StrEnum):
    REGISTRATION = "registration"
    EXEMPLARS = "exemplars"
    INTERIM = "interim"
    ANNUAL = "annual"
    EVALUATION = "evaluation"


class Deadline(_Model):
    id: str
    kind: ReportKind
    title: str
    due_before: dt.date
    phase: str = ""
    quarter: int | None = Field(default=None, ge=1, le=4)
    recipients: tuple[str, ...] = Field(min_length=1)
    template: str
    number: str = ""

    @model_validator(mode="after")
    def _quarter_for_exemplars(self) -> Deadline:
        if self.kind is ReportKind.EXEMPLARS and self.quarter is None:
            raise ValueError(f"hạn {self.id} (gương điển hình) cần ghi rõ quý (quarter: 1–4)")
        return self


class Plan(_Model):
    id: str
    year: int = Field(ge=2000, le=2100)
    timezone: str = "Asia/Ho_Chi_Minh"
    school: School
    plan_document: PlanDocument
    signer: Person
    clerk: Person
    delivery: Delivery
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    internal_recipients: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = Field(min_length=1)
    teams: tuple[Team, ...] = Field(min_length=1)
    team_match_threshold: float = Field(default=85, ge=50, le=100)
    # Spellings the clerk has ruled on ("Toán-Tin" → toan): typed text → team id, checked like any reference.
    team_aliases: dict[str, str] = Field(default_factory=dict)
    titles: Titles
    commendations: tuple[str, ...] = ()
    movements: tuple[str, ...] = Field(min_length=1)
    rules: Rules = Rules()
    sources: tuple[Source, ...]
    deadlines: tuple[Deadline, ...] = Field(min_length=1)
    backend: Literal["local", "google"] = "local"
    google: GoogleSettings | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _nfc_everywhere(cls, value: Any) -> Any:
        return _nfc_tree(value)

    @model_validator(mode="after")
    def _references_resolve(self) -> Plan:
        _unique("teams", [t.id for t in self.teams])
        _unique("phases", [p.id for p in self.phases])
        _unique("sources", [s.id for s in self.sources])
        _unique("deadlines", [d.id for d in self.deadlines])
        _unique("recipients", [r.id for r in self.recipients])
        recipient_ids = {r.id for r in self.recipients}
        phase_ids = {p.id for p in self.phases}
        for deadline in self.deadlines:
            for rid in deadline.recipients:
                if rid not in recipient_ids:
                    raise ValueError(
                        f"hạn {deadline.id} gửi tới «{rid}», không có trong danh sách nơi nhận (recipients): "
                        f"{', '.join(sorted(recipient_ids))}"
                    )
            if deadline.phase and deadline.phase not in phase_ids:
                raise ValueError(f"hạn {deadline.id} thuộc đợt «{deadline.phase}» không có trong phases")
            if deadline.due_before.year != self.year:
                raise ValueError(
                    f"hạn {deadline.id} ({deadline.due_before:%d/%m/%Y}) nằm ngoài năm {self.year} của kế hoạch"
                )
        team_ids = {t.id for t in self.teams}
        for typed, team_id in self.team_aliases.items():
            if team_id not in team_ids:
                raise ValueError(
                    f"team_aliases: «{typed}» trỏ tới tổ «{team_id}» không có trong teams; "
                    f"các mã tổ: {', '.join(sorted(team_ids))}"
                )
        if self.backend == "google" and self.google is None:
            raise ValueError("backend: google cần mục google (ít nhất google.user: hộp thư gửi báo cáo)")
        title_ids = {t.id for t in self.all_titles}
        rule_titles = (*self.rules.ldtt_level_titles, *self.rules.cstdcs_level_titles, self.rules.ttldtt_title,
                       self.rules.ttldxs_title)
        for title_id in rule_titles:
            if title_id not in title_ids:
                raise ValueError(f"rules: danh hiệu «{title_id}» không có trong titles; các mã: "
                                 f"{', '.join(sorted(title_ids))}")
        kinds = {s.kind for s in self.sources}
        if SourceKind.ROSTER not in kinds:
            raise ValueError("kế hoạch cần một nguồn danh sách viên chức (kind: roster)")
        return self

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def deadline(self, deadline_id: str) -> Deadline:
        for d in self.deadlines:
            if d.id == deadline_id:
                return d
        raise KeyError(deadline_id)

    def source_of_kind(self, kind: SourceKind) -> Source:
        return next(s for s in self.sources if s.kind is kind)

    def recipient_emails(self, deadline: Deadline) -> tuple[str, ...]:
        by_id = {r.id: r for r in self.recipients}
        return tuple(by_id[r].email for r in deadline.recipients)

    def recipient_names(self, deadline: Deadline) -> tuple[str, ...]:
        by_id = {r.id: r for r in self.recipients}
        return tuple(by_id[r].name for r in deadline.recipients)

    @property
    def allow_list(self) -> frozenset[str]:
        return frozenset(r.email.lower() for r in self.recipients)

    @property
    def all_titles(self) -> tuple[Title, ...]:
        return self.titles.individual + self.titles.collective


def _nfc_tree(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, dict):
        return {_nfc_tree(k): _nfc_tree(v) for k, v in value.items()}
    return value


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"mã «{i}» bị trùng trong {what}")
        seen.add(i)


class PlanError(Exception):
    """A plan that cannot be used; `problems` are ready to show to the clerk, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_PYDANTIC_MESSAGES: Mapping[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được hỗ trợ (kiểm tra chính tả)",
    "date_from_datetime_parsing": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "date_parsing": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "date_type": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "time_parsing": "giờ không hợp lệ (cần dạng HH:MM)",
    "int_parsing": "cần một số nguyên",
    "float_parsing": "cần một số",
    "string_type": "cần một chuỗi văn bản",
    "bool_parsing": "cần true hoặc false",
    "enum": "giá trị không hợp lệ",
    "literal_error": "giá trị không hợp lệ",
    "too_short": "danh sách không được để trống",
    "greater_than_equal": "giá trị quá nhỏ",
    "less_than_equal": "giá trị quá lớn",
    "greater_than": "giá trị quá nhỏ",
}


class _PlanLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a wrong date reaches validation and gets a located message."""


_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_lines(node: yaml.Node, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], int]]:
    """Yields every path in the YAML document with its 1-based line, so errors can point at lines."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (*path, str(key.value)), key.start_mark.line + 1
            yield from _node_lines(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_lines(item, (*path, index))


def _line_for(lines: dict[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _field_name(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(toàn bộ tệp)"


def parse_plan(text: str, filename: str = "plan.yaml") -> Plan:
    """Parses and validates a plan; raises PlanError listing every problem with file, line and field."""
    try:
        node = yaml.compose(text, Loader=_PlanLoader)
        data = yaml.load(text, Loader=_PlanLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PlanError([f"{filename}, dòng {line}: lỗi cú pháp YAML: {exc.problem}"]) from exc
    if not isinstance(data, dict) or node is None:
        raise PlanError([f"{filename}, dòng 1: tệp kế hoạch phải là một bảng khóa: giá trị (YAML mapping)"])
    lines: dict[tuple[str | int, ...], int] = {}
    for path, line in _node_lines(node):
        lines.setdefault(path, line)  # a key's own line beats the line where its value starts
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = _PYDANTIC_MESSAGES.get(err["type"])
            if err["type"] == "value_error":
                message = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
            if message is None:
                message = err["msg"]
            value = err.get("input")
            shown = ""
            if isinstance(value, str | int | float) and err["type"] != "missing":
                shown = f" (giá trị: «{value}»)"
            problems.append(f"{filename}, dòng {_line_for(lines, loc)}, trường {_field_name(loc)}: {message}{shown}")
        raise PlanError(problems) from exc
