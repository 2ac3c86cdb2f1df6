"""Latest submission wins; earlier ones are history, kept and never deleted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Generic, Protocol, TypeVar

from thidua.records import (
    Achievement,
    CollectiveRegistration,
    Evaluation,
    Exemplar,
    IndividualRegistration,
    Initiative,
    Origin,
    Record,
    StaffMember,
)
from thidua.text import fold


class _HasOrigin(Protocol):
    @property
    def origin(self) -> Origin: ...


R = TypeVar("R", bound=_HasOrigin)

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Deduplicated(Generic[R]):
    """The outcome of keeping the latest answer: what counts now, and what was superseded (kept for the audit trail)."""

    current: list[R]
    history: list[R]


def _order(record: _HasOrigin) -> tuple[dt.datetime, int]:
    """Time first; on a tie the lower row in the sheet (submitted later) wins, as the Forms sheet appends."""
    return (record.origin.submitted_at or _EPOCH, record.origin.row_number)


_ROW_NUMBER = attrgetter("origin.row_number")


def latest(records: Iterable[R], key: Callable[[R], Hashable]) -> Deduplicated[R]:
    """Keeps each key's latest submission (a Form re-answered replaces the earlier answer) and keeps the others as
    history instead of dropping them."""
    winners: dict[Hashable, R] = {}
    history: list[R] = []
    for record in sorted(records, key=_order):
        k = key(record)
        if k in winners:
            history.append(winners[k])
        winners[k] = record
    current = sorted(winners.values(), key=_ROW_NUMBER)
    return Deduplicated(current=current, history=sorted(history, key=_ROW_NUMBER))


def submission_key(record: Record) -> Hashable:
    """Who submitted what for which period: the identity under which a resubmission replaces an answer."""
    match record:
        case StaffMember():
            return record.email
        case IndividualRegistration():
            return record.email
        case CollectiveRegistration():
            return record.team_id
        case Achievement():
            return (record.email, record.phase_id)
        case Exemplar():
            return (record.team_id, record.quarter)
        case Initiative():
            return (record.email, fold(record.name))
        case Evaluation():
            return record.email
