"""Row → record or reject. Every reject names its sheet, row and field with a reason the clerk can act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from zoneinfo import ZoneInfo

from thidua.addresses import AddressError, check_address
from thidua.normalize import StampReader, TeamMatcher, TitleMatcher, parse_number, parse_quarter
from thidua.plan import Plan, Source, SourceKind
from thidua.records import (
    Achievement,
    CollectiveRegistration,
    Completion,
    Evaluation,
    Exemplar,
    IndividualRegistration,
    Initiative,
    Origin,
    Record,
    Reject,
    StaffMember,
)
from thidua.rows import RawRow, Table, header_text
from thidua.text import clean, fold, looks_like_formula, visible


class SourceShapeError(Exception):
    """The sheet no longer has the columns the plan expects (a question renamed or deleted), or has one of them
    twice (which answer is the teacher's cannot be told)."""

    def __init__(self, source: Source, missing: list[str], headers: tuple[str, ...],
                 duplicated: Mapping[str, tuple[int, ...]] | None = None) -> None:
        self.source_id = source.id
        self.missing = missing
        where = f"Nguồn {source.id} «{source.name}» (trang {source.sheet or source.file})"
        parts = []
        if missing:
            parts.append(
                f"{where} thiếu cột: " + "; ".join(f"«{visible(m)}»" for m in missing)
                + ". Các cột hiện có: " + "; ".join(f"«{visible(h)}»" for h in headers)
                + ". Hãy sửa lại câu hỏi trên biểu mẫu hoặc cập nhật mục columns của nguồn này trong kế hoạch."
            )
        for header, at in (duplicated or {}).items():
            parts.append(
                f"{where} có cột «{visible(header)}» xuất hiện {len(at)} lần (cột "
                + ", ".join(_column_letter(i) for i in at)
                + "); không biết câu trả lời nằm ở cột nào. Hãy đổi tên hoặc xóa cột thừa rồi tải lại tệp."
            )
        super().__init__(" ".join(parts))


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Validated:
    """One source's outcome: its records, its rejects, and the counts the summary reports."""

    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    # Control characters taken out of the answers before anything was rendered (see Table.from_cells).
    controls_removed: int = 0

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one reject (a row can be refused for several reasons)."""
        return len({r.row_number for r in self.rejects})


@dataclass(frozen=True)
class Vocabulary:
    """What a row is checked against: the plan, plus the roster once it has been read."""

    plan: Plan
    teams: TeamMatcher
    zone: ZoneInfo
    staff_by_email: Mapping[str, StaffMember]

    @classmethod
    def for_plan(cls, plan: Plan, roster: list[StaffMember] | None = None) -> Vocabulary:
        """The vocabulary of a plan, with the roster once read (needed to check who answered)."""
        return cls(
            plan=plan,
            teams=TeamMatcher(plan.teams, plan.team_match_threshold, extra_aliases=plan.team_aliases),
            zone=ZoneInfo(plan.timezone),
            staff_by_email={s.email: s for s in roster or []},
        )

    @cached_property
    def known_emails(self) -> frozenset[str]:
        """Staff on the roster, plus the team heads the plan names (they answer for their team)."""
        heads = {t.head_email.lower() for t in self.plan.teams if t.head_email}
        return frozenset(self.staff_by_email) | heads

    @cached_property
    def staff_by_folded_name(self) -> Mapping[str, StaffMember]:
        """First roster entry per name, folded: how a nominee typed by name is found."""
        index: dict[str, StaffMember] = {}
        for member in self.staff_by_email.values():
            index.setdefault(fold(member.full_name), member)
        return index

    @cached_property
    def individual_titles(self) -> TitleMatcher:
        """A matcher for the individual titles of the plan."""
        return TitleMatcher(self.plan.titles.individual)

    @cached_property
    def collective_titles(self) -> TitleMatcher:
        """A matcher for the collective titles of the plan."""
        return TitleMatcher(self.plan.titles.collective)


_MISSING = "Thiếu câu trả lời cho «{header}»"


class _RowReader:
    """Reads a table's rows in turn, field by field, collecting every problem of a row rather than the first.

    One reader serves the whole table because its rows share a lot: teachers pick the same few answers (team,
    title, position) thousands of times, so each distinct cell is cleaned and checked for a formula only once.
    """

    __slots__ = ("addresses", "cleaned", "columns", "rejects", "row", "source", "stamps", "values", "vocab")

    def __init__(self, source: Source, vocab: Vocabulary, stamps: StampReader) -> None:
        self.source, self.vocab, self.stamps = source, vocab, stamps
        self.columns = {name: header_text(header) for name, header in source.columns.items()}
        self.cleaned: dict[str, tuple[str, bool]] = {}  # a cell as typed → its clean text, and whether a formula
        self.addresses: dict[str, str] = {}  # a valid email as typed → as compared (one string per address)

    def start(self, row: RawRow) -> None:
        self.row, self.values = row, row.values
        self.rejects: list[Reject] = []

    def fail(self, field_name: str, value: str, reason: str) -> None:
        self.rejects.append(
            Reject(self.source.id, self.row.sheet, self.row.row_number, self.header(field_name), value, reason)
        )

    def header(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)

    def raw(self, field_name: str) -> str:
        header = self.columns.get(field_name)
        return "" if header is None else self.values.get(header, "")

    def text(self, field_name: str, required: bool = True) -> str:
        header = self.columns.get(field_name)  # raw(), inlined: this runs for every field of every row
        raw = "" if header is None else self.values.get(header, "")
        value, formula = self.cleaned.get(raw) or self._clean(raw)
        if formula:
            self.fail(field_name, value, "Câu trả lời trông như công thức bảng tính; hãy nhập lại nội dung thật")
            return ""
        if required and not value:
            notes = self.row.notes
            note = notes.get(self.header(field_name)) if notes else None
            self.fail(field_name, value, note or _MISSING.format(header=self.header(field_name)))
        return value

    def _clean(self, raw: str) -> tuple[str, bool]:
        value = clean(raw)
        found = self.cleaned[raw] = (value, looks_like_formula(value))
        return found

    def timestamp(self) -> dt.datetime | None:
        value = clean(self.raw("timestamp"))
        if not value:
            self.fail("timestamp", value, _MISSING.format(header=self.header("timestamp")))
            return None
        stamp = self.stamps.read(value)
        if stamp.at is None:
            self.fail("timestamp", value, stamp.problem)
        return stamp.at

    def email(self, *, staff_only: bool = True) -> str:
        typed = self.text("email")
        if not typed:
            return ""
        value = self.addresses.get(typed)
        if value is None:
            try:
                value = self.addresses[typed] = check_address(typed)
            except AddressError as error:  # a display name, two addresses, a look-alike: never sent to
                self.fail("email", typed, f"Địa chỉ email không dùng được: {error}")
                return ""
        if staff_only and self.vocab.staff_by_email and value not in self.vocab.known_emails:
            self.fail("email", value, "Email không có trong danh sách viên chức của trường")
        return value

    def team(self, email: str = "") -> str:
        value = self.text("team")
        if not value:
            return ""
        found = self.vocab.teams.match(value)
        if found.team_id is None:
            self.fail("team", value, found.problem)
            return ""
        member = self.vocab.staff_by_email.get(email)
        if member is not None and member.team_id != found.team_id:
            self.fail(
                "team",
                value,
                f"Tổ «{value}» khác với tổ trong danh sách viên chức "
                f"«{self.vocab.plan.team(member.team_id).name}»; hãy kiểm tra lại",
            )
        return found.team_id

    def title(self, field_name: str, titles: TitleMatcher, required: bool = True) -> str | None:
        value = self.text(field_name, required=required)
        if not value:
            return None
        title_id = titles.match(value)
        if title_id is None:
            self.fail(
                field_name,
                value,
                f"«{value}» không phải danh hiệu thi đua trong kế hoạch; chọn một trong: "
                + "; ".join(t.name for t in titles.titles),
            )
        return title_id

    def number(self, field_name: str, *, low: float, high: float, required: bool = True) -> float | None:
        value = self.text(field_name, required=required)
        if not value:
            return None
        parsed = parse_number(value)
        if parsed is None or not low <= parsed <= high:
            self.fail(field_name, value, f"Cần một số từ {low:g} đến {high:g}")
            return None
        return parsed

    def person_name(self, email: str) -> str:
        """The roster's spelling of a staff member's name wins over what they typed (case, spaces, NFD)."""
        typed = self.text("full_name")
        member = self.vocab.staff_by_email.get(email)
        return member.full_name if member is not None and typed else typed

    def origin(self, submitted_at: dt.datetime | None) -> Origin:
        return Origin(self.source.id, self.row.sheet, self.row.row_number, submitted_at)


def _staff(r: _RowReader) -> StaffMember:
    email = r.email(staff_only=False)
    return StaffMember(
        origin=r.origin(None),
        email=email,
        full_name=r.text("full_name"),
        team_id=r.team(),
        position=r.text("position", required=False),
        start_date=r.text("start_date", required=False),
    )


def _individual_registration(r: _RowReader) -> IndividualRegistration:
    email = r.email()
    return IndividualRegistration(
        origin=r.origin(r.timestamp()),
        email=email,
        full_name=r.person_name(email),
        team_id=r.team(email),
        title_id=r.title("title", r.vocab.individual_titles) or "",
        position=r.text("position", required=False),
        commendation=r.text("commendation", required=False),
        initiative=r.text("initiative", required=False),
    )


def _collective_registration(r: _RowReader) -> CollectiveRegistration:
    members = r.number("members", low=1, high=500, required=False)
    pledges = tuple(
        line.strip(" -•\t") for line in r.raw("pledges").splitlines() if clean(line).strip(" -•")
    )
    r.text("pledges")
    for pledge in pledges:  # each line as it will be printed, after its "- " is gone
        if looks_like_formula(clean(pledge)):
            r.fail("pledges", clean(pledge), "Một dòng giao ước trông như công thức bảng tính; hãy nhập lại nội dung")
    return CollectiveRegistration(
        origin=r.origin(r.timestamp()),
        email=r.email(),
        team_id=r.team(),
        title_id=r.title("title", r.vocab.collective_titles) or "",
        members=int(members) if members is not None else None,
        pledges=tuple(clean(p) for p in pledges),
    )


def _achievement(r: _RowReader) -> Achievement:
    email = r.email()
    phase_text = r.text("phase")
    phase_id = next(
        (p.id for p in r.vocab.plan.phases if fold(phase_text) in (fold(p.name), fold(p.id))), ""
    )
    if phase_text and not phase_id:
        choices = "; ".join(p.name for p in r.vocab.plan.phases)
        r.fail("phase", phase_text, f"Không nhận ra đợt thi đua; chọn: {choices}")
    movement = r.text("movement")
    known_movements = {fold(m): m for m in r.vocab.plan.movements}
    if movement and fold(movement) not in known_movements:
        r.fail("movement", movement, "Phong trào không có trong kế hoạch")
    return Achievement(
        origin=r.origin(r.timestamp()),
        email=email,
        full_name=r.person_name(email),
        phase_id=phase_id,
        team_id=r.team(email),
        movement=known_movements.get(fold(movement), movement),
        content=r.text("content"),
        evidence=r.text("evidence", required=False),
    )


def _exemplar(r: _RowReader) -> Exemplar:
    quarter_text = r.text("quarter")
    quarter = parse_quarter(quarter_text)
    if quarter_text and quarter is None:
        r.fail("quarter", quarter_text, "Quý phải là Quý I, Quý II, Quý III hoặc Quý IV")
    team_id = r.team()
    nominee = r.text("nominee")
    if nominee and r.vocab.staff_by_email:
        member = r.vocab.staff_by_folded_name.get(fold(nominee))
        if member is None:
            r.fail("nominee", nominee, "Không tìm thấy người được giới thiệu trong danh sách viên chức")
        else:
            nominee = member.full_name
    return Exemplar(
        origin=r.origin(r.timestamp()),
        email=r.email(),
        quarter=quarter or 0,
        nominee=nominee,
        team_id=team_id,
        summary=r.text("summary"),
    )


_RECOGNITION = {"duoc cong nhan": True, "cong nhan": True, "khong cong nhan": False, "": None}


def _initiative(r: _RowReader) -> Initiative:
    email = r.email()
    result = r.text("result", required=False)
    if fold(result) not in _RECOGNITION:
        r.fail("result", result, "Kết quả xét chỉ được là «Được công nhận», «Không công nhận» hoặc để trống")
    return Initiative(
        origin=r.origin(r.timestamp()),
        email=email,
        full_name=r.person_name(email),
        team_id=r.team(email),
        name=r.text("name"),
        field=r.text("field", required=False),
        scope=r.text("scope", required=False),
        effect=r.text("effect", required=False),
        recognised=_RECOGNITION.get(fold(result)),
    )


_COMPLETION = {fold(c.label): c for c in Completion} | {fold(c.label.removesuffix(" nhiệm vụ")): c for c in Completion}
_NO_DISCIPLINE = {"", "khong", "khong co"}


def _evaluation(r: _RowReader) -> Evaluation:
    email = r.email()
    completion_text = r.text("completion")
    completion = _COMPLETION.get(fold(completion_text))
    if completion_text and completion is None:
        r.fail("completion", completion_text, "Mức hoàn thành nhiệm vụ không hợp lệ; chọn: "
               + "; ".join(c.label for c in reversed(Completion)))
    discipline = r.text("discipline", required=False)
    return Evaluation(
        origin=r.origin(r.timestamp()),
        email=email,
        full_name=r.person_name(email),
        team_id=r.team(email),
        completion=completion if completion is not None else Completion.KHONG_HOAN_THANH,
        months_worked=r.number("months_worked", low=0, high=12) or 0.0,
        discipline="" if fold(discipline) in _NO_DISCIPLINE else discipline,
        confidence_vote=r.number("confidence_vote", low=0, high=100) or 0.0,
        proposed_title_id=r.title("proposed_title", r.vocab.individual_titles, required=False),
    )


_READERS: Mapping[SourceKind, Callable[[_RowReader], Record]] = {
    SourceKind.ROSTER: _staff,
    SourceKind.INDIVIDUAL_REGISTRATION: _individual_registration,
    SourceKind.COLLECTIVE_REGISTRATION: _collective_registration,
    SourceKind.ACHIEVEMENT: _achievement,
    SourceKind.EXEMPLAR: _exemplar,
    SourceKind.INITIATIVE: _initiative,
    SourceKind.EVALUATION: _evaluation,
}


def check_headers(table: Table, source: Source) -> None:
    """Stops a source whose sheet lacks (or repeats) a mapped header, naming the headers it has, since every row
    would fail otherwise."""
    wanted = {header_text(h): h for h in source.columns.values()}
    missing = [h for key, h in wanted.items() if key not in table.headers]
    duplicated = {h: at for h, at in table.duplicate_headers.items() if h in wanted}
    if missing or duplicated:
        raise SourceShapeError(source, missing, table.headers, duplicated)


def validate_table(table: Table, source: Source, vocab: Vocabulary) -> Validated:
    """Every row ends up either as a record or as one or more rejects; none is dropped silently."""
    check_headers(table, source)
    result = Validated(rows_read=len(table.rows), controls_removed=table.controls_removed)
    seen_roster_emails: set[str] = set()
    reader = _RowReader(source, vocab, stamp_reader(table, source, vocab.zone,
                                                    range(vocab.plan.year - 1, vocab.plan.year + 2)))
    read = _READERS[source.kind]
    for row in table.rows:
        if row.is_blank():
            result.rejects.append(
                Reject(source.id, row.sheet, row.row_number, "", "", "Dòng trống (không có câu trả lời nào)")
            )
            continue
        reader.start(row)
        record = read(reader)
        if isinstance(record, StaffMember) and record.email:
            if record.email in seen_roster_emails:
                reader.fail("email", record.email, "Email bị trùng trong danh sách viên chức")
            seen_roster_emails.add(record.email)
        if reader.rejects:
            result.rejects.extend(reader.rejects)
        else:
            result.records.append(record)
    return result


_OFFSET_CHANGE_MARGIN = dt.timedelta(days=2)


def stamp_reader(table: Table, source: Source, zone: ZoneInfo, years: range) -> StampReader:
    """The sheet's timestamps read in the source's declared date order, the whole column seen first."""
    header = header_text(source.columns.get("timestamp", ""))
    stamps = [row.values.get(header, "") for row in table.rows] if header else []
    return StampReader(stamps, zone, source.date_order, years)


def rows_as_of(table: Table, source: Source, zone: ZoneInfo, cutoff: dt.datetime) -> Table:
    """The sheet as it stood at `cutoff`: later answers did not exist yet; rows whose stamp cannot be trusted
    (unreadable, in the other date order, an impossible year) stay, to be rejected with the reason."""
    if "timestamp" not in source.columns:
        return table
    header = header_text(source.columns["timestamp"])
    stamps = stamp_reader(table, source, zone, range(cutoff.year - 1, cutoff.year + 2))
    # Stamps are in the plan's zone: comparing them with a cutoff in the same zone compares fields, while any
    # other zone costs two UTC-offset lookups per row. Fields can mislead only near a change of UTC offset,
    # so stamps within two days of the cutoff are compared exactly.
    local = cutoff.astimezone(zone)
    surely_before, surely_after = local - _OFFSET_CHANGE_MARGIN, local + _OFFSET_CHANGE_MARGIN
    kept = []
    for row in table.rows:
        stamp = stamps.read(row.values.get(header, "")).at
        if stamp is None or stamp <= surely_before or (stamp < surely_after and stamp <= cutoff):
            kept.append(row)
    return replace(table, rows=tuple(kept))
