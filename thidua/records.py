"""Typed records: what a validated row means, with the place it came from kept for every fact."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Origin:
    """Where a record came from (source, sheet, row, when submitted), so every figure can be traced back to a row."""

    source_id: str
    sheet: str
    row_number: int
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class Reject:
    """A row (or one field of it) the clerk must fix; the reason is in Vietnamese for that clerk."""

    source_id: str
    sheet: str
    row_number: int
    field: str
    value: str
    reason: str


class Completion(IntEnum):
    """Mức hoàn thành nhiệm vụ, ordered so that comparisons read like the law ("từ hoàn thành tốt trở lên")."""

    KHONG_HOAN_THANH = 0
    HOAN_THANH = 1
    HOAN_THANH_TOT = 2
    HOAN_THANH_XUAT_SAC = 3

    @property
    def label(self) -> str:
        """The completion level in the wording of the evaluation form and reports."""
        return _COMPLETION_LABELS[self]


_COMPLETION_LABELS = {
    Completion.KHONG_HOAN_THANH: "Không hoàn thành nhiệm vụ",
    Completion.HOAN_THANH: "Hoàn thành nhiệm vụ",
    Completion.HOAN_THANH_TOT: "Hoàn thành tốt nhiệm vụ",
    Completion.HOAN_THANH_XUAT_SAC: "Hoàn thành xuất sắc nhiệm vụ",
}


@dataclass(frozen=True)
class StaffMember:
    """A roster row: the person, their team and position, the base of who is expected to answer."""

    origin: Origin
    email: str
    full_name: str
    team_id: str
    position: str
    start_date: str


@dataclass(frozen=True)
class IndividualRegistration:
    """A person's registration for an individual title at the start of the year."""

    origin: Origin
    email: str
    full_name: str
    team_id: str
    title_id: str
    position: str
    commendation: str
    initiative: str


@dataclass(frozen=True)
class CollectiveRegistration:
    """A team's registration for a collective title, with its pledges."""

    origin: Origin
    email: str
    team_id: str
    title_id: str
    members: int | None
    pledges: tuple[str, ...]


@dataclass(frozen=True)
class Achievement:
    """A person's achievement in one phase of a movement, counted in the interim and annual reports."""

    origin: Origin
    email: str
    full_name: str
    phase_id: str
    team_id: str
    movement: str
    content: str
    evidence: str


@dataclass(frozen=True)
class Exemplar:
    """A nomination of a good example for one quarter."""

    origin: Origin
    email: str
    quarter: int
    nominee: str
    team_id: str
    summary: str


@dataclass(frozen=True)
class Initiative:
    """An initiative (sáng kiến) a person submits for recognition, with its field and scope."""

    origin: Origin
    email: str
    full_name: str
    team_id: str
    name: str
    field: str
    scope: str
    effect: str
    recognised: bool | None


@dataclass(frozen=True)
class Evaluation:
    """The council's year-end evaluation of a person, the input to the titles' conditions."""

    origin: Origin
    email: str
    full_name: str
    team_id: str
    completion: Completion
    months_worked: float
    discipline: str
    confidence_vote: float
    proposed_title_id: str | None

    @property
    def disciplined(self) -> bool:
        """Whether the person was disciplined this year, which bars most titles."""
        return self.discipline != ""


Record = (
    StaffMember | IndividualRegistration | CollectiveRegistration | Achievement | Exemplar | Initiative | Evaluation
)
