"""Phase × team counts with school totals, computed from the current (deduplicated) records only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from thidua.dedupe import latest, submission_key
from thidua.plan import Plan
from thidua.records import (
    Achievement,
    CollectiveRegistration,
    Evaluation,
    Exemplar,
    IndividualRegistration,
    Initiative,
    Record,
    StaffMember,
)


@dataclass
class Dataset:
    """Every source's current answers as of one moment, plus the superseded ones as history."""

    staff: list[StaffMember] = field(default_factory=list)
    registrations: list[IndividualRegistration] = field(default_factory=list)
    collective: list[CollectiveRegistration] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)
    exemplars: list[Exemplar] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    history: list[Record] = field(default_factory=list)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Dataset:
        """Sorts mixed records into their kinds, keeping each person's latest answer current and the rest as history."""
        grouped: dict[type, list[Record]] = {}
        for record in records:
            grouped.setdefault(type(record), []).append(record)
        data = cls()
        for kind, attribute in _ATTRIBUTE_FOR.items():
            deduplicated = latest(grouped.get(kind, []), submission_key)
            setattr(data, attribute, deduplicated.current)
            data.history.extend(deduplicated.history)
        return data

    def staff_by_email(self) -> dict[str, StaffMember]:
        """The roster keyed by e-mail, the key every form answer carries."""
        return {s.email: s for s in self.staff}


_ATTRIBUTE_FOR: dict[type, str] = {
    StaffMember: "staff",
    IndividualRegistration: "registrations",
    CollectiveRegistration: "collective",
    Achievement: "achievements",
    Exemplar: "exemplars",
    Initiative: "initiatives",
    Evaluation: "evaluations",
}


@dataclass(frozen=True)
class Crosstab:
    """Counts per team (rows, in the plan's team order) and category (columns), with the school's total row."""

    categories: tuple[str, ...]
    by_team: dict[str, dict[str, int]]

    def count(self, team_id: str, category: str) -> int:
        """One cell; a team or category with no answers counts 0 rather than failing."""
        return self.by_team.get(team_id, {}).get(category, 0)

    def team_total(self, team_id: str) -> int:
        """A team's row total, as the report's last column shows it."""
        return sum(self.by_team.get(team_id, {}).values())

    def school(self, category: str) -> int:
        """A category's school-wide total, as the report's total row shows it."""
        return sum(row.get(category, 0) for row in self.by_team.values())

    def school_total(self) -> int:
        """The grand total, the bottom-right cell of the report's table."""
        return sum(self.team_total(t) for t in self.by_team)


def crosstab(
    plan: Plan,
    records: Iterable[Record],
    team_of: Callable[[Record], str],
    category_of: Callable[[Record], str],
    categories: Sequence[str],
) -> Crosstab:
    """Counts records per team and category with every team of the plan present, so a team that sent nothing still
    shows up with zeros."""
    counts: dict[str, Counter[str]] = {t.id: Counter() for t in plan.teams}
    counted = frozenset(categories)
    for record in records:
        team_id, category = team_of(record), category_of(record)
        if team_id in counts and category in counted:
            counts[team_id][category] += 1
    return Crosstab(tuple(categories), {t: dict(c) for t, c in counts.items()})


def ratio(part: int, whole: int) -> float:
    """A share that is 0 for an empty whole, so a team with no members reads as 0 % rather than crashing a report."""
    return part / whole if whole else 0.0
