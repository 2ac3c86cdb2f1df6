"""The one way through the core: tables as of a moment → records and rejects → a deduplicated dataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from thidua.aggregate import Dataset
from thidua.plan import Plan, ReportKind, SourceKind
from thidua.records import Record, Reject, StaffMember
from thidua.rows import Table, cyclic_gc_paused
from thidua.validate import Vocabulary, rows_as_of, validate_table

_BASE = {SourceKind.ROSTER}
SOURCES_FOR_REPORT: Mapping[ReportKind, frozenset[SourceKind]] = {
    ReportKind.REGISTRATION: frozenset(
        _BASE | {SourceKind.INDIVIDUAL_REGISTRATION, SourceKind.COLLECTIVE_REGISTRATION}
    ),
    ReportKind.EXEMPLARS: frozenset(_BASE | {SourceKind.EXEMPLAR}),
    ReportKind.INTERIM: frozenset(
        _BASE | {SourceKind.INDIVIDUAL_REGISTRATION, SourceKind.ACHIEVEMENT, SourceKind.EXEMPLAR,
                 SourceKind.INITIATIVE}
    ),
    ReportKind.ANNUAL: frozenset(SourceKind),
    ReportKind.EVALUATION: frozenset(
        _BASE | {SourceKind.INDIVIDUAL_REGISTRATION, SourceKind.COLLECTIVE_REGISTRATION, SourceKind.INITIATIVE,
                 SourceKind.EVALUATION}
    ),
}


@dataclass(frozen=True)
class SourceCount:
    """What happened to one source's rows (read, accepted, rejected, superseded), so the report and the clerk can
    account for every row."""

    source_id: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    superseded: int
    # Control characters removed from this source's answers before anything was rendered.
    controls_removed: int = 0


@dataclass
class Collected:
    """Everything read for a run: the dataset, each reject with its reason, and per-source counts; the one value the
    reports are built from."""

    dataset: Dataset
    rejects: list[Reject] = field(default_factory=list)
    counts: list[SourceCount] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Rows read over all sources, the first figure of the run's summary."""
        return sum(c.rows_read for c in self.counts)

    @property
    def rows_accepted(self) -> int:
        """Rows that became records over all sources."""
        return sum(c.rows_accepted for c in self.counts)

    @property
    def rows_rejected(self) -> int:
        """Rows refused over all sources, each with a reason in `rejects`."""
        return sum(c.rows_rejected for c in self.counts)


def source_ids_for(plan: Plan, kind: ReportKind) -> list[str]:
    """The sources a report kind reads, so a run does not read (or fail on) sheets its report does not use."""
    wanted = SOURCES_FOR_REPORT[kind]
    return [s.id for s in plan.sources if s.kind in wanted]


def collect(plan: Plan, tables: Mapping[str, Table], as_of: dt.datetime) -> Collected:
    """Validates every given table as it stood at `as_of` (the roster first: it is what rows are checked against)."""
    with cyclic_gc_paused():
        return _collect(plan, tables, as_of)


def _collect(plan: Plan, tables: Mapping[str, Table], as_of: dt.datetime) -> Collected:
    zone = ZoneInfo(plan.timezone)
    ordered = sorted((s for s in plan.sources if s.id in tables), key=lambda s: s.kind is not SourceKind.ROSTER)
    vocab = Vocabulary.for_plan(plan)
    records: list[Record] = []
    rejects: list[Reject] = []
    per_source: dict[str, tuple[int, int, int, int]] = {}
    for source in ordered:
        result = validate_table(rows_as_of(tables[source.id], source, zone, as_of), source, vocab)
        if source.kind is SourceKind.ROSTER:
            vocab = Vocabulary.for_plan(plan, [r for r in result.records if isinstance(r, StaffMember)])
        records.extend(result.records)
        rejects.extend(result.rejects)
        per_source[source.id] = (result.rows_read, len(result.records), result.rows_rejected,
                                 result.controls_removed)
    dataset = Dataset.from_records(records)
    superseded: dict[str, int] = {}
    for old in dataset.history:
        superseded[old.origin.source_id] = superseded.get(old.origin.source_id, 0) + 1
    counts = [SourceCount(sid, read, accepted, rejected, superseded.get(sid, 0), controls)
              for sid, (read, accepted, rejected, controls) in per_source.items()]
    return Collected(dataset=dataset, rejects=rejects, counts=counts)
