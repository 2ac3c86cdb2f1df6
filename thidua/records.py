"""Typed records: what a validated row means, with the place it came from kept for every fact."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True)
class Origin:
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
        return _COMPLETION_LABELS[self]


_COMPLETION_LABELS = {
    Completion.KHONG_HOAN_THANH: "Không hoàn thành nhiệm vụ",
    Completion.HOAN_THANH: "Hoàn thành nhiệm vụ",
    Completion.HOAN_THANH_TOT: "Hoàn thành tốt nhiệm vụ",
    Completion.HOAN_THANH_XUAT_SAC: "Hoàn thành xuất sắc nhiệm vụ",
}


@dataclass(frozen=True)
class StaffMember:
    origin: Origin
    email: str
    full_name: str
    team_id: str
    position: str
    start_date: str


@dataclass(frozen=True)
class IndividualRegistration:
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
    origin: Origin
    email: str
    team_id: str
    title_id: str
    members: int | None
    pledges: tuple[str, ...]


@dataclass(frozen=True)
class Achievement:
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
    origin: Origin
    email: str
    quarter: int
    nominee: str
    team_id: str
    summary: str


@dataclass(frozen=True)
class Initiative:
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
        return self.discipline != ""


Record = (
    StaffMember | IndividualRegistration | CollectiveRegistration | Achievement | Exemplar | Initiative | Evaluation
)
