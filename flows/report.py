"""Building a deadline's report: read the sources, validate, compose the content, render the files.

Each task does one I/O step (retry-safe) or calls the pure core once; the plan is the run's, passed in. The steps
run inside the deadline's one flow run, not as subflows: a subflow is a flow run of its own on the server and waits
for its heartbeat thread at its end. Tasks use `NO_CACHE`: a deadline's sheets change between runs, so a cached
result would be wrong, and hashing a school's tables for the cache key cost more than most steps
(benchmarks/RESULTS.md, Prefect overhead).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.ports import ANNEX_SUFFIX
from connectors.writing import write_text_whole
from flows.common import as_is, backend, unless_disk_full
from flows.settings import RunSettings
from thidua.calendar import schedule
from thidua.district import title_counts
from thidua.drafts import baseline_deadline
from thidua.pipeline import Collected, collect, source_ids_for
from thidua.plan import Deadline, Plan
from thidua.reminders import Missing, missing
from thidua.reports import build_context, number_line
from thidua.rows import Table


@dataclass(frozen=True)
class Draft:
    """One build of a deadline's report from the sheets as they stood at `as_of`."""

    collected: Collected
    missing: Missing
    docx: Path
    pdf: Path | None

    @property
    def report(self) -> Path:
        """The file that is approved and sent: the PDF when there is one."""
        return self.pdf or self.docx


def report_basename(plan: Plan, deadline: Deadline) -> str:
    """The stem of a report's files (and of its content JSON, which the district's roll-up reads)."""
    return f"{plan.id}_{deadline.id}_{deadline.kind.value}"


def annex_of(report: Path) -> Path:
    """The annex workbook written beside a report by the document builder, or beside its approved copy."""
    return report.with_name(f"{report.stem}{ANNEX_SUFFIX}")


@task(retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def read_sources(settings: RunSettings, plan: Plan, source_ids: list[str]) -> dict[str, Table]:
    """The sources' sheets as they stand now, in one read: on Google they are tabs of one spreadsheet, so one
    spreadsheets.get brings them all."""
    wanted = [s for s in plan.sources if s.id in source_ids]
    return backend(settings, plan).source.read_many(wanted)


@task(cache_policy=NO_CACHE)
def validate_rows(plan: Plan, tables: dict[str, Table], as_of: dt.datetime) -> Collected:
    """Rows to records and rejects, as of `as_of`."""
    return collect(plan, tables, as_of)


def collect_sources(settings: RunSettings, plan: Plan, deadline_id: str, as_of: dt.datetime) -> Collected:
    """Reads every source the deadline's report needs, as the sheets stood at `as_of`, and validates them."""
    tables = read_sources(settings, plan, source_ids_for(plan, plan.deadline(deadline_id).kind))
    return validate_rows(plan, as_is(tables), as_of)


@task(cache_policy=NO_CACHE)
def compose_report(settings: RunSettings, plan: Plan, deadline_id: str, collected: Collected,
                   issued_on: dt.date, baseline: Collected | None, number: str = "") -> Path:
    """The report's content, kept as JSON beside the reports: what was said, and small enough to hand over by
    path (a large school's context exceeds what Prefect accepts as flow parameters); `number` when already taken."""
    deadline = plan.deadline(deadline_id)
    context = build_context(plan, deadline, collected.dataset, issued_on, baseline.dataset if baseline else None)
    if number:
        context["number"] = number_line(plan, number)
    context["title_counts"] = title_counts(deadline.kind, collected.dataset)  # read by the district's roll-up
    path = settings.contexts_dir / f"{report_basename(plan, deadline)}.json"
    return write_text_whole(path, json.dumps(context, ensure_ascii=False, indent=1), "nội dung báo cáo")


@task(retries=3, retry_delay_seconds=2, cache_policy=NO_CACHE, retry_condition_fn=unless_disk_full)
def render_report(settings: RunSettings, plan: Plan, template: str, context_path: Path, basename: str) -> tuple[
        Path, Path | None]:
    """The report's files, by whichever document builder the backend has."""
    context = json.loads(context_path.read_text(encoding="utf-8"))
    built = backend(settings, plan).documents.build(template, context, basename)
    return built.docx, built.pdf


def build_report(settings: RunSettings, plan: Plan, deadline_id: str, context_path: Path) -> tuple[Path, Path | None]:
    """Fills the deadline's template and converts it to PDF (skipped, and said so, without LibreOffice)."""
    deadline = plan.deadline(deadline_id)
    docx, pdf = render_report(settings, plan, deadline.template, context_path, report_basename(plan, deadline))
    if pdf is None:
        get_run_logger().warning("Không có LibreOffice: bỏ qua bước xuất PDF, gửi tệp DOCX.")
    return docx, pdf


def prepare_report(settings: RunSettings, plan: Plan, deadline_id: str, now: dt.datetime, number: str = "") -> Draft:
    """Collect, count and render the deadline's report as of `now`. The annual report compares with the start of
    the year: the same rows, read once, cut at the registration's send time. `number` is the document number when
    it is already taken (else the number line is left blank for the approval)."""
    deadline = plan.deadline(deadline_id)
    first = baseline_deadline(plan, deadline)
    wanted = source_ids_for(plan, deadline.kind)
    at_start = source_ids_for(plan, first.kind) if first else []
    tables = read_sources(settings, plan, list(dict.fromkeys(wanted + at_start)))
    collected = validate_rows(plan, as_is({sid: tables[sid] for sid in wanted}), now)
    baseline = (validate_rows(plan, as_is({sid: tables[sid] for sid in at_start}), schedule(plan, first).send_at)
                if first else None)
    context = compose_report(settings, plan, deadline_id, as_is(collected), now.date(), as_is(baseline), number)
    docx, pdf = build_report(settings, plan, deadline_id, context)
    return Draft(collected, missing(plan, deadline, collected.dataset), docx, pdf)
