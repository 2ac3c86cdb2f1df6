"""The plan file: one school, one year, everything the software must not hard-code.

Loading turns YAML into a validated `Plan`; every error names the file, the line and the field in
Vietnamese, because the person fixing a plan is the school's clerk, not a developer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from thidua.addresses import AddressError, check_address, check_domain
from thidua.text import is_hidden, nfc, team_key, visible

_SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?")


def _slug(value: str) -> str:
    """Ids name files, folders, ledger keys and Prefect deployments: letters, digits, "-" and "_" only."""
    if not _SLUG.fullmatch(value):
        raise ValueError(f"mã «{visible(value)}» chỉ được gồm chữ cái không dấu, chữ số, «-» và «_» (tối đa 64 ký "
                         "tự, không khoảng trắng, không «/» hay «..»), ví dụ: D1, to-toan")
    return value


def _address(value: str) -> str:
    try:
        check_address(value)
    except AddressError as error:
        raise ValueError(f"địa chỉ email {error}") from None
    return value.strip()


def _optional_address(value: str) -> str:
    return _address(value) if value.strip() else ""


def _domain(value: str) -> str:
    try:
        return check_domain(value)
    except AddressError:
        raise ValueError(f"tên miền «{visible(value)}» không hợp lệ (cần dạng truong.edu.vn, chữ Latin không dấu, "
                         "không khoảng trắng)") from None


def _file_safe(value: str) -> str:
    """Text that becomes part of a file name (an attachment's name): no path separators."""
    if "/" in value or "\\" in value:
        raise ValueError(f"«{value}» không được chứa «/» hoặc «\\» (tên này dùng làm tên tệp đính kèm)")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):
        raise ValueError(f"múi giờ «{visible(value)}» không tồn tại; dùng tên IANA, ví dụ Asia/Ho_Chi_Minh") from None
    return value


def _template_name(value: str) -> str:
    """A template is named inside the templates folder (a sub-folder is fine), never by a path out of it."""
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\", "~")) or ".." in parts or "" in parts or ":" in value:
        raise ValueError(f"mẫu «{visible(value)}» phải là tên tệp trong thư mục mẫu (ví dụ: registration), không "
                         "phải đường dẫn ra ngoài thư mục đó")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Email = Annotated[str, AfterValidator(_address)]
OptionalEmail = Annotated[str, AfterValidator(_optional_address)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class School(_Model):
    """The school as its documents name it: header lines, governing body, symbol and place."""

    name: str
    header_name: str
    governing_body: str
    symbol: Slug
    place: str
    email_domain: Annotated[str, AfterValidator(_domain)]


class PlanDocument(_Model):
    """The school's emulation plan (number, date, title), cited in every report it gives rise to."""

    number: str
    date: dt.date
    title: str


class Person(_Model):
    """A named person with a title and address, such as the principal who signs."""

    title: str = ""
    name: str
    email: Email


class Delivery(_Model):
    """How and when reports leave: sender, margin before a deadline, send time, approval, reminders."""

    sender: Email
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
    """An addressee of reports, named once here and referred to by id from deadlines."""

    id: Slug
    name: str
    email: Email


class Phase(_Model):
    """A phase of the school year's emulation, the period achievements are counted in."""

    id: Slug
    name: str
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end < self.start:
            raise ValueError(f"đợt {self.id} kết thúc ({self.end:%d/%m/%Y}) trước khi bắt đầu ({self.start:%d/%m/%Y})")
        return self

    def contains(self, day: dt.date) -> bool:
        """Whether a day falls in the phase, bounds included."""
        return self.start <= day <= self.end


class Team(_Model):
    """A team (tổ) of the school, with the aliases teachers type for it and the head who answers for it."""

    id: Slug
    name: str
    kind: Literal["chuyen_mon", "van_phong"] = "chuyen_mon"
    head_email: OptionalEmail = ""
    aliases: tuple[str, ...] = ()


class Title(_Model):
    """An emulation title a person or team can register for, with its id used in records."""

    id: Slug
    name: str


class Titles(_Model):
    """The titles open to individuals and to collectives, apart because their forms and rules differ."""

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
    """What a source holds: it decides the record type its rows become and the columns it must map."""

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
    """One sheet or file of answers and how its columns map to the plan's field names."""

    id: Slug
    name: str
    kind: SourceKind
    file: str = ""
    sheet: str = ""
    spreadsheet_id: str = ""
    form_id: str = ""
    columns: dict[str, str]
    # How the export writes dates (the spreadsheet's locale): a timestamp that does not fit is a reject.
    date_order: Literal["d/m/yyyy", "m/d/yyyy", "yyyy-m-d"] = "d/m/yyyy"

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

    user: Email
    read_from: Literal["sheets", "forms"] = "sheets"
    folder_id: str = ""
    templates: dict[str, str] = Field(default_factory=dict)
    deadline_folders: dict[str, str] = Field(default_factory=dict)
    #: Also export each report as DOCX (one more call per report); the Google Doc itself is the editable copy.
    export_docx: bool = False


class SigningKey(_Model):
    """One digital signature: a PKCS#12 file (password in the environment variable `password_env`, never in the
    plan) or a USB token through its CA's PKCS#11 module; `image` is the scanned signature (person) or the seal
    (organisation), a transparent PNG. Relative paths are read from the plan file's folder."""

    pkcs12: str = ""
    password_env: str = "THIDUA_SIGNING_PASSWORD"
    pkcs11_module: str = ""
    token_label: str = ""
    key_label: str = ""
    pin_env: str = "THIDUA_TOKEN_PIN"
    image: str = ""
    image_mm: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_key(self) -> SigningKey:
        if bool(self.pkcs12) == bool(self.pkcs11_module):
            raise ValueError("chữ ký số cần đúng một trong hai: pkcs12 (tệp .p12/.pfx) hoặc pkcs11_module (USB token)")
        return self


class Signing(_Model):
    """Optional: the approved PDF is signed (PAdES, Nghị định 30/2020 Phụ lục I) by the signer and by the school
    before it is sent; `trust_roots` (CA certificates, PEM) are what the signed file is checked against."""

    person: SigningKey | None = None
    organisation: SigningKey | None = None
    trust_roots: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _some_signature(self) -> Signing:
        if self.person is None and self.organisation is None:
            raise ValueError("signing cần ít nhất một chữ ký: person (người ký) hoặc organisation (nhà trường)")
        return self


class ReportKind(StrEnum):
    """The kinds of report the school sends, each with its own template and sources."""

    REGISTRATION = "registration"
    EXEMPLARS = "exemplars"
    INTERIM = "interim"
    ANNUAL = "annual"
    EVALUATION = "evaluation"


class Deadline(_Model):
    """A report due to recipients before a date: the unit every run is scheduled, sent and checked by."""

    id: Slug
    kind: ReportKind
    title: Annotated[str, AfterValidator(_file_safe)]
    due_before: dt.date
    phase: str = ""
    quarter: int | None = Field(default=None, ge=1, le=4)
    recipients: tuple[str, ...] = Field(min_length=1)
    template: Annotated[str, AfterValidator(_template_name)]
    number: str = ""

    @model_validator(mode="after")
    def _quarter_for_exemplars(self) -> Deadline:
        if self.kind is ReportKind.EXEMPLARS and self.quarter is None:
            raise ValueError(f"hạn {self.id} (gương điển hình) cần ghi rõ quý (quarter: 1–4)")
        return self


class Plan(_Model):
    """The whole plan, validated once and passed to every step: the one source of dates, teams, recipients."""

    id: Slug
    year: int = Field(ge=2000, le=2100)
    timezone: Annotated[str, AfterValidator(_zone)] = "Asia/Ho_Chi_Minh"
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
    # Which connectors the runs use, by the name a backend is registered under (connectors/backends.py: `local`,
    # `google`, …); `thidua check` and every run refuse a name that is not registered.
    backend: Slug = "local"
    google: GoogleSettings | None = None
    signing: Signing | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _nfc_everywhere(cls, value: Any) -> Any:
        return _nfc_tree(value)

    @model_validator(mode="before")
    @classmethod
    def _rule_defaults_follow_titles(cls, data: Any) -> Any:
        """The rules' default title lists name the seed's titles; a plan declaring fewer titles gets the defaults
        it declares (a title list the plan writes itself is still checked against its titles)."""
        if not isinstance(data, dict) or not isinstance(data.get("titles"), dict):
            return data
        declared = {str(t.get("id")) for group in ("individual", "collective")
                    if isinstance(data["titles"].get(group), list)
                    for t in data["titles"][group] if isinstance(t, dict)}
        rules = data.get("rules", {})
        if not isinstance(rules, dict):
            return data
        filled = dict(rules)
        for key in ("ldtt_level_titles", "cstdcs_level_titles"):
            if key not in rules:
                kept = tuple(t for t in Rules.model_fields[key].default if t in declared)
                if kept:  # none declared: leave the default, and its error, to validation
                    filled[key] = kept
        return {**data, "rules": filled} if filled != rules else data

    @model_validator(mode="after")
    def _references_resolve(self) -> Plan:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for what, ids in (("teams", [t.id for t in self.teams]), ("phases", [p.id for p in self.phases]),
                          ("sources", [s.id for s in self.sources]), ("deadlines", [d.id for d in self.deadlines]),
                          ("recipients", [r.id for r in self.recipients])):
            problems += _duplicates(what, ids)
        problems += _duplicates("titles", [t.id for t in self.all_titles], lambda i: (
            ("titles", "individual", i, "id") if i < len(self.titles.individual)
            else ("titles", "collective", i - len(self.titles.individual), "id")))
        recipient_ids = {r.id for r in self.recipients}
        phase_ids = {p.id for p in self.phases}
        for index, deadline in enumerate(self.deadlines):
            for position, rid in enumerate(deadline.recipients):
                if rid not in recipient_ids:
                    problems.append((("deadlines", index, "recipients", position),
                                     f"hạn {deadline.id} gửi tới «{rid}», không có trong danh sách nơi nhận "
                                     f"(recipients): {', '.join(sorted(recipient_ids))}"))
            if deadline.phase and deadline.phase not in phase_ids:
                problems.append((("deadlines", index, "phase"),
                                 f"hạn {deadline.id} thuộc đợt «{deadline.phase}» không có trong phases"))
            if deadline.due_before.year != self.year:
                problems.append((("deadlines", index, "due_before"),
                                 f"hạn {deadline.id} ({deadline.due_before:%d/%m/%Y}) nằm ngoài năm {self.year} "
                                 "của kế hoạch"))
        team_ids = {t.id for t in self.teams}
        for typed, team_id in self.team_aliases.items():
            if team_id not in team_ids:
                problems.append((("team_aliases", typed),
                                 f"team_aliases: «{typed}» trỏ tới tổ «{team_id}» không có trong teams; "
                                 f"các mã tổ: {', '.join(sorted(team_ids))}"))
        problems += self._team_spellings_collide()
        if self.backend == "google" and self.google is None:
            problems.append((("backend",), "backend: google cần mục google (ít nhất google.user: hộp thư gửi báo cáo)"))
        title_ids = {t.id for t in self.all_titles}
        for field_name in ("ldtt_level_titles", "cstdcs_level_titles", "ttldtt_title", "ttldxs_title"):
            value = getattr(self.rules, field_name)
            for title_id in (value,) if isinstance(value, str) else value:
                if title_id not in title_ids:
                    problems.append((("rules", field_name), f"rules: danh hiệu «{title_id}» không có trong titles; "
                                     f"các mã: {', '.join(sorted(title_ids))}"))
        kinds = {s.kind for s in self.sources}
        if SourceKind.ROSTER not in kinds:
            problems.append((("sources",), "kế hoạch cần một nguồn danh sách viên chức (kind: roster)"))
        if problems:
            raise PlanProblems(problems)
        return self

    def _team_spellings_collide(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every spelling (name, id, alias) must lead to one team: "Toán" as an alias of KHTN, or one alias on
        two teams, would silently move people between teams (the last one read would win)."""
        owner: dict[str, tuple[str, str]] = {}
        problems: list[tuple[tuple[str | int, ...], str]] = []

        def claim(spelling: str, team_id: str, loc: tuple[str | int, ...], what: str) -> None:
            key = team_key(spelling)
            if not key:
                problems.append((loc, f"{what} «{spelling}» rỗng sau khi bỏ dấu và chữ «tổ»"))
                return
            previous = owner.get(key)
            if previous is not None and previous[0] != team_id:
                problems.append((loc, f"{what} «{spelling}» của tổ {team_id} trùng với {previous[1]} của tổ "
                                      f"{previous[0]} (so sánh không dấu, không phân biệt hoa thường); mỗi cách "
                                      "viết chỉ được chỉ một tổ"))
            else:
                owner.setdefault(key, (team_id, f"«{spelling}»"))

        for index, team in enumerate(self.teams):
            claim(team.name, team.id, ("teams", index, "name"), "tên tổ")
            claim(team.id, team.id, ("teams", index, "id"), "mã tổ")
        for index, team in enumerate(self.teams):
            for position, alias in enumerate(team.aliases):
                claim(alias, team.id, ("teams", index, "aliases", position), "bí danh")
        for typed, team_id in self.team_aliases.items():
            claim(typed, team_id, ("team_aliases", typed), "team_aliases")
        return problems

    def team(self, team_id: str) -> Team:
        """A team by id; the id has already been checked to exist when the plan was loaded."""
        return next(t for t in self.teams if t.id == team_id)

    def phase(self, phase_id: str) -> Phase:
        """A phase by id; the id has already been checked to exist when the plan was loaded."""
        return next(p for p in self.phases if p.id == phase_id)

    def deadline(self, deadline_id: str) -> Deadline:
        """A deadline by id; KeyError for an id the plan does not have, which a command turns into a message."""
        for d in self.deadlines:
            if d.id == deadline_id:
                return d
        raise KeyError(deadline_id)

    def source_of_kind(self, kind: SourceKind) -> Source:
        """The first source of a kind, for the kinds a plan has exactly one of (the roster)."""
        return next(s for s in self.sources if s.kind is kind)

    def recipient_emails(self, deadline: Deadline) -> tuple[str, ...]:
        """A deadline's recipients' addresses, in the order the deadline lists them."""
        by_id = {r.id: r for r in self.recipients}
        return tuple(by_id[r].email for r in deadline.recipients)

    def recipient_names(self, deadline: Deadline) -> tuple[str, ...]:
        """A deadline's recipients' names, in the order the deadline lists them."""
        by_id = {r.id: r for r in self.recipients}
        return tuple(by_id[r].name for r in deadline.recipients)

    @property
    def allow_list(self) -> frozenset[str]:
        """Every address the plan may send to; mail to any other address is refused before it leaves."""
        return frozenset(r.email.lower() for r in self.recipients)

    @property
    def all_titles(self) -> tuple[Title, ...]:
        """Individual and collective titles together, for matching a typed title of either kind."""
        return self.titles.individual + self.titles.collective


def _nfc_tree(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, dict):
        return {_nfc_tree(k): _nfc_tree(v) for k, v in value.items()}
    return value


def _duplicates(what: str, ids: list[str], where: Any = None) -> list[tuple[tuple[str | int, ...], str]]:
    seen: set[str] = set()
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, i in enumerate(ids):
        if i in seen:
            found.append((where(index) if where else (what, index, "id"), f"mã «{i}» bị trùng trong {what}"))
        seen.add(i)
    return found


class PlanProblems(ValueError):
    """Problems found across the plan, each with the place it lies, so each points at its own line."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class PlanError(Exception):
    """A plan that cannot be used; `problems` are ready to show to the clerk, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_PYDANTIC_MESSAGES: Mapping[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được hỗ trợ (kiểm tra chính tả)",
    "date_from_datetime_parsing": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "date_from_datetime_inexact": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "date_parsing": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "date_type": "ngày không hợp lệ (cần dạng YYYY-MM-DD)",
    "time_parsing": "giờ không hợp lệ (cần dạng HH:MM)",
    "time_type": "giờ không hợp lệ (cần dạng HH:MM)",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "int_from_float": "cần một số nguyên (không có phần thập phân)",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "finite_number": "cần một số hữu hạn",
    "string_type": "cần một chuỗi văn bản",
    "string_too_long": "văn bản quá dài",
    "string_too_short": "văn bản không được để trống",
    "bool_parsing": "cần true hoặc false",
    "bool_type": "cần true hoặc false",
    "enum": "giá trị không hợp lệ",
    "literal_error": "giá trị không hợp lệ",
    "too_short": "danh sách không được để trống",
    "too_long": "danh sách quá dài",
    "tuple_type": "cần một danh sách (mỗi mục một dòng bắt đầu bằng «- »)",
    "list_type": "cần một danh sách (mỗi mục một dòng bắt đầu bằng «- »)",
    "set_type": "cần một danh sách",
    "dict_type": "cần một bảng khóa: giá trị",
    "model_type": "cần một bảng khóa: giá trị",
    "model_attributes_type": "cần một bảng khóa: giá trị",
    "is_instance_of": "kiểu giá trị không hợp lệ",
    "greater_than_equal": "giá trị quá nhỏ",
    "less_than_equal": "giá trị quá lớn",
    "greater_than": "giá trị quá nhỏ",
    "less_than": "giá trị quá lớn",
    "multiple_of": "giá trị không hợp lệ",
    "union_tag_invalid": "giá trị không hợp lệ",
    "none_required": "trường này phải để trống",
}
_LIMIT_WORDS: Mapping[str, str] = {"ge": "ít nhất", "gt": "lớn hơn", "le": "tối đa", "lt": "nhỏ hơn"}

# A plan is a page or two of YAML; these limits refuse, fast and by name, what only an attack or a wrong file
# would be (an alias bomb expands to billions of nodes; a 5000-deep list overflows the parser's stack).
MAX_PLAN_BYTES = 256_000
MAX_DEPTH = 40
MAX_NODES = 200_000


class _PlanLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a wrong date reaches validation and gets a located message."""


class _FastPlanLoader(yaml.CSafeLoader):
    """The same on libyaml's parser: a tenth of the pure-Python parser's 100 ms for a plan, paid by every run and
    command. Its errors are worded differently from those `_yaml_problem` translates (see `_compose`)."""


_PlanLoader.yaml_implicit_resolvers = _FastPlanLoader.yaml_implicit_resolvers = {
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


def _shape_problems(root: yaml.Node, filename: str) -> list[str]:
    """Limits and duplicate keys, found walking the composed document without recursion: too deep, too many
    nodes once aliases are expanded, a key written twice (YAML would silently keep the last one)."""
    problems: list[str] = []
    visited = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            return [f"{filename}: tệp kế hoạch quá lớn sau khi mở rộng các tham chiếu YAML (anchor/alias &, *): "
                    f"hơn {MAX_NODES:,} phần tử; hãy viết lại không dùng tham chiếu lồng nhau".replace(",", ".")]
        if depth > MAX_DEPTH:
            return [f"{filename}, dòng {node.start_mark.line + 1}: cấu trúc lồng quá sâu (hơn {MAX_DEPTH} cấp)"]
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    line = key.start_mark.line + 1
                    if key.value in first_line:
                        problems.append(f"{filename}, dòng {line}: khóa «{key.value}» bị lặp (đã có ở dòng "
                                        f"{first_line[key.value]}); YAML chỉ giữ lần ghi cuối, hãy gộp lại thành "
                                        "một")
                    first_line.setdefault(key.value, line)
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    return problems


def _hidden_problems(data: Any, lines: dict[tuple[str | int, ...], int], filename: str) -> list[str]:
    """Control characters (CR, LF, NUL…) and invisible marks in any text of the plan: names and titles become
    email headers and file names, where a line break injects a header and an invisible mark misleads."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, (*path, str(key))))
                stack.append((item, (*path, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and any(is_hidden(c) for c in value):
            problems.append(f"{filename}, dòng {_line_for(lines, path)}, trường {_field_name(path)}: có ký tự "
                            f"điều khiển hoặc ký tự ẩn (xuống dòng, tab, ký tự vô hình…): «{visible(value)}»; "
                            "hãy gõ lại trên một dòng")
    return sorted(set(problems), key=problems.index)


def _too_deep_at(text: str) -> int:
    """The line where flow brackets ([ {) nest deeper than MAX_DEPTH, found before the parser recurses into them
    (a 5000-deep list takes seconds to overflow its stack); 0 when they do not."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, index) + 1
        elif char in "]}":
            depth = max(0, depth - 1)
    return 0


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


def decode_plan(data: bytes, filename: str = "plan.yaml") -> str:
    """The plan file's bytes as text, or PlanError saying what the file is instead (UTF-16, a picture, …)."""
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError([f"{filename}: tệp quá lớn ({len(data):,} byte) cho một kế hoạch (tối đa "
                         f"{MAX_PLAN_BYTES:,} byte); có đúng là tệp kế hoạch không?".replace(",", ".")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlanError([f"{filename}: tệp được lưu dạng UTF-16; hãy lưu lại với mã hóa UTF-8 (trong Notepad: "
                         "Lưu thành → Mã hóa UTF-8)"])
    if b"\x00" in data[:4096] or data.startswith((b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xff\xd8")):
        raise PlanError([f"{filename}: không phải tệp văn bản YAML (có vẻ là ảnh, PDF hoặc tệp nén)"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PlanError([f"{filename}, dòng {line}: tệp không phải văn bản UTF-8 (byte thứ {error.start + 1}); "
                         "hãy lưu lại với mã hóa UTF-8"]) from None


def _compose(text: str) -> tuple[yaml.Node | None, type[_PlanLoader | _FastPlanLoader]]:
    """The plan's YAML tree and the loader that read it: libyaml's, or the pure-Python one for a plan libyaml refuses,
    so the error raised is the one `parse_plan` words for the clerk."""
    try:
        return yaml.compose(text, Loader=_FastPlanLoader), _FastPlanLoader
    except yaml.YAMLError:
        return yaml.compose(text, Loader=_PlanLoader), _PlanLoader


def parse_plan(text: str, filename: str = "plan.yaml") -> Plan:
    """Parses and validates a plan; raises PlanError listing every problem with file, line and field."""
    if len(text) > MAX_PLAN_BYTES:
        raise PlanError([f"{filename}: tệp quá lớn cho một kế hoạch (tối đa {MAX_PLAN_BYTES} ký tự)"])
    deep = _too_deep_at(text)
    if deep:
        raise PlanError([f"{filename}, dòng {deep}: cấu trúc lồng quá sâu (hơn {MAX_DEPTH} cấp)"])
    try:
        node, loader = _compose(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PlanError([f"{filename}, dòng {line}: lỗi cú pháp YAML: {_yaml_problem(exc.problem)}"]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise PlanError([f"{filename}, dòng {line}: tệp chứa ký tự không được phép (mã {exc.character!r}); hãy "
                         "xóa ký tự đó"]) from None
    except yaml.YAMLError:
        raise PlanError([f"{filename}: không đọc được tệp YAML"]) from None
    except RecursionError:
        raise PlanError([f"{filename}: cấu trúc lồng quá sâu (hơn {MAX_DEPTH} cấp)"]) from None
    if not isinstance(node, yaml.MappingNode):
        raise PlanError([f"{filename}, dòng 1: tệp kế hoạch phải là một bảng khóa: giá trị (YAML mapping)"])
    shape = _shape_problems(node, filename)
    if shape:
        raise PlanError(shape)
    try:
        data = yaml.load(text, Loader=loader)  # safe YAML, within the limits just checked
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PlanError([f"{filename}, dòng {line}: lỗi cú pháp YAML: {_yaml_problem(exc.problem)}"]) from None
    lines: dict[tuple[str | int, ...], int] = {}
    for path, line in _node_lines(node):
        lines.setdefault(path, line)  # a key's own line beats the line where its value starts
    problems = _hidden_problems(data, lines, filename)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            error = err.get("ctx", {}).get("error")
            if isinstance(error, PlanProblems):
                problems += [f"{filename}, dòng {_line_for(lines, (*loc, *where))}, trường "
                             f"{_field_name((*loc, *where))}: {message}" for where, message in error.problems]
                continue
            problems.append(f"{filename}, dòng {_line_for(lines, loc)}, trường {_field_name(loc)}: "
                            f"{_message(err)}{_shown(err)}")
        raise PlanError(problems) from None
    if problems:
        raise PlanError(problems)
    return plan


def _message(err: Any) -> str:
    """Pydantic's error in Vietnamese: a known type's words, a limit with its number, our own ValueErrors as
    written; never pydantic's English."""
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "")) or "giá trị không hợp lệ"
    message = _PYDANTIC_MESSAGES.get(kind, "giá trị không hợp lệ")
    for bound, word in _LIMIT_WORDS.items():
        if bound in ctx:
            return f"{message} (cần {word} {ctx[bound]})"
    if kind in ("enum", "literal_error") and "expected" in ctx:
        return f"{message}; chọn một trong: {ctx['expected'].replace(' or ', ', ')}"
    if kind in ("too_short", "string_too_short") and ctx.get("min_length", 1) > 1:
        return f"cần ít nhất {ctx['min_length']} mục"
    return message


def _shown(err: Any) -> str:
    value = err.get("input")
    if isinstance(value, bool) or err["type"] == "missing":
        return ""
    if isinstance(value, str | int | float):
        return f" (giá trị: «{visible(str(value))}»)"
    return ""


_YAML_PROBLEMS: Mapping[str, str] = {
    "found character '\\t' that cannot start any token": "có ký tự tab; YAML chỉ dùng dấu cách để thụt dòng",
    "mapping values are not allowed here": "dấu «:» không đúng chỗ (thiếu thụt dòng, hoặc giá trị có «: » cần "
                                           "đặt trong ngoặc kép)",
    "could not find expected ':'": "thiếu dấu «:» sau tên khóa",
    "found unexpected end of stream": "tệp kết thúc giữa chừng (thiếu dấu ngoặc kép hoặc ngoặc đóng?)",
    "expected <block end>, but found '<block sequence start>'": "thụt dòng của danh sách không khớp",
    "expected <block end>, but found '-'": "thụt dòng của danh sách không khớp",
    "found undefined alias": "tham chiếu (*) tới một anchor (&) không có",
    "found duplicate anchor; first occurrence": "anchor (&) bị trùng tên",
}


def _yaml_problem(problem: str | None) -> str:
    """PyYAML's English, in Vietnamese for the errors clerks make; the rest as written, marked as such."""
    text = problem or ""
    for english, vietnamese in _YAML_PROBLEMS.items():
        if text.startswith(english):
            return vietnamese
    return f"cấu trúc không hợp lệ ({text})"
