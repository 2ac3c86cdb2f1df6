"""A district's year against the emulator with Google's quotas on: N schools × 9 deadlines, one Google project.

Two measurements in one emulator, one Prefect server on PostgreSQL (a throwaway cluster, as a district runs it;
the ephemeral SQLite server answered 503s under 60 schools at once — it is the fallback when PostgreSQL is absent):
- the burst: every school reads every one of its response sheets at the same moment (what the annual report's
  collection does, 60 schools at once), first with no rate limits — the baseline — then through the Prefect rate
  limits of flows/quota.py; the 429s are counted from the emulator's request log;
- the district run: every school's every deadline (thidua_cli.district_demo.run_district, auto-approved) in a
  process of its own, as a worker runs flows, apart from the emulator's, with the rate limits on; wall time, API
  calls, 429s, and the report emails Gmail holds (count, distinct Message-IDs, expected ones missing) apart from
  the other emails (the clerk's failure alerts).

The emulator's quota windows are a minute long, so the run waits one window after the burst before it starts.

The row also splits the district run's CPU: the product's (the district's process, the Prefect server,
PostgreSQL, and this process's threads other than the emulator's) and Google's stand-in's (the emulator's threads
and its LibreOffice), with the product's floor on this machine: its CPU over the cores. When that floor is above
the quota floor, this machine, not Google, sets the pace.

The district run's row also gives the floor Google's quotas set for the calls it made (`quota_floor`): for each
bucket of connectors/google/quotas.py, per project and per delegated user, the windows its units need beyond the
first; the run's wall time over that floor is how far the district is from being limited by Google, not by us.
"""

from __future__ import annotations

import contextvars
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.process_cpu import command_line, kind_of, own_cpu, stat_fields
from connectors.backends import google_backend
from connectors.google import endpoints
from connectors.google.auth import ENV_VAR, SCOPES, load_credentials
from connectors.google.quotas import DEFAULT_QUOTAS, WorkspaceQuotas
from emulator.server import LogEntry
from flows.common import load_plan
from flows.quota import prefect_throttle
from flows.settings import RunSettings
from sample_data.generator import staff_counts
from tests.postgres import find_bindir, temporary_cluster
from tests.prefect_server import pointing_at, serving_prefect
from tests.server.support import descendants
from thidua.district import school_variants
from thidua.mail import report_message_id
from thidua.plan import parse_plan
from thidua_cli.district_demo import run_district
from thidua_cli.google_demo import GoogleDemo, google_district

PLAN = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"
QUOTA_WINDOW_SECONDS = 60


def _reader(settings: RunSettings, throttled: bool) -> Callable[[], int]:
    """One school's read of all its sheets; built in the caller's thread, where the rate limits are created
    (Prefect's client would otherwise start one ephemeral server per thread)."""
    plan = load_plan(settings.plan_path)
    assert plan.google is not None
    info = json.loads(os.environ[ENV_VAR])
    throttle = prefect_throttle(plan.google.user, str(info["project_id"])) if throttled else None
    backend = google_backend(plan, settings.reports_dir, info, settings.google_base_url, throttle)
    return lambda: sum(len(t.rows) for t in backend.source.read_many(plan.sources).values())


def quota_floor(entries: list[LogEntry], quotas: WorkspaceQuotas = DEFAULT_QUOTAS) -> tuple[float, str]:
    """The least wall time Google's quotas allow for these calls, and the bucket that sets it.

    A bucket with a limit L per window W lets L units through at once and L more each window after: n units need
    (ceil(n / L) - 1) windows at least. Refused calls (429) are not counted: a run that is never refused makes none.
    """
    per_project: Counter[str] = Counter()
    per_user: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        if not entry.method_id or entry.path == "/token" or entry.status == 429:
            continue
        for bucket, units in quotas.charges(entry.method_id, entry.http_method):
            per_project[bucket] += units
            per_user[(entry.user or "", bucket)] += units
    floors = [(0.0, "none")]
    for bucket, units in per_project.items():
        limit = quotas.limit(bucket)
        if limit.per_project:
            floors.append((max(0, -(-units // limit.per_project) - 1) * limit.window_seconds, f"{bucket} (project)"))
    for (user, bucket), units in per_user.items():
        limit = quotas.limit(bucket)
        if limit.per_user:
            floors.append((max(0, -(-units // limit.per_user) - 1) * limit.window_seconds, f"{bucket} ({user})"))
    return max(floors, key=lambda floor: floor[0])


EMULATOR_THREADS = "this process, emulator's threads"
# The only LibreOffice under the benchmark is the emulator's (Google's PDF export): the Google path converts nothing.
GOOGLES_WORK = (EMULATOR_THREADS, "LibreOffice", "LibreOffice launcher")


def cpu_by_kind(workspace: GoogleDemo) -> Counter[str]:
    """CPU seconds used so far by this process's parts and by each kind of process under it (process_cpu.KINDS)."""
    times = os.times()
    emulator = workspace.emulator.cpu_seconds()
    used = Counter({EMULATOR_THREADS: emulator, "this process, the product": times.user + times.system - emulator})
    for pid in descendants(os.getpid()):
        try:
            fields, command = stat_fields(pid), command_line(pid)
        except OSError:  # gone since the listing
            continue
        used[kind_of(command)] += own_cpu(fields)
    return used


def product_cpu(used: Counter[str]) -> float:
    """What real Google would leave on the district's machines: everything but the emulator and its LibreOffice."""
    return sum(seconds for kind, seconds in used.items() if kind not in GOOGLES_WORK)


def burst(workspace: GoogleDemo, throttled: bool) -> dict[str, Any]:
    """Every school's sheets read at once, eight at a time (a worker pool's width, not the machine's).

    Each read runs in a copy of this thread's context: Prefect's settings are a context variable, and a bare pool
    thread would take its rate limits from an ephemeral server of its own instead of the district's server.
    """
    readers = [_reader(s, throttled) for s in workspace.schools]
    contexts = [contextvars.copy_context() for _ in readers]
    start, before = time.perf_counter(), workspace.api_calls()
    limited_before = workspace.rate_limited()
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = sum(pool.map(lambda context, read: context.run(read), contexts, readers))
    return {"benchmark": f"burst of reads, {'Prefect rate limits' if throttled else 'no limits (baseline)'}",
            "schools": len(workspace.schools), "rows": rows,
            "api_calls": workspace.api_calls() - before,
            "429s": workspace.rate_limited() - limited_before, "seconds": time.perf_counter() - start}


def sent_message_ids(workspace: GoogleDemo) -> Counter[str]:
    """Every Message-ID in every school's Gmail sent folder, read back through the Gmail API."""
    info = json.loads(os.environ[ENV_VAR])
    found: Counter[str] = Counter()
    for settings in workspace.schools:
        plan = load_plan(settings.plan_path)
        assert plan.google is not None
        credentials = load_credentials(info, plan.google.user, workspace.emulator.base_url, SCOPES)
        gmail = endpoints.build_service("gmail", "v1", credentials, workspace.emulator.base_url).users().messages()
        for item in gmail.list(userId="me", q="in:sent", maxResults=500).execute().get("messages", []):
            headers = gmail.get(userId="me", id=item["id"], format="metadata",
                                metadataHeaders=["Message-ID"]).execute()["payload"]["headers"]
            found.update(h["value"] for h in headers if h["name"].lower() == "message-id")
    return found


def run_district_apart(schools: list[RunSettings], parallel: int) -> tuple[list[dict[str, str]], float]:
    """run_district in a process of its own, as a district's worker runs its flows, while the emulator (Google's
    work) stays in this one: in one process the two shared one interpreter lock, and the district's threads waited
    for the emulator's. Returns each school-deadline's outcome and the process's CPU seconds."""
    from prefect.settings import PREFECT_API_URL

    with tempfile.TemporaryDirectory() as folder:
        asked, answer = Path(folder) / "schools.json", Path(folder) / "outcomes.json"
        asked.write_text(json.dumps([s.model_dump(mode="json") for s in schools]), encoding="utf-8")
        env = {**os.environ, "PREFECT_LOGGING_TO_API_ENABLED": "false"}
        if server := PREFECT_API_URL.value():  # this process's server (a fresh process would start an ephemeral one)
            env["PREFECT_API_URL"] = str(server)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "benchmarks.district", str(asked), str(parallel), str(answer)],
                       env=env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        outcomes: list[dict[str, str]] = json.loads(answer.read_text(encoding="utf-8"))
    return outcomes, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _district_process(asked: Path, parallel: int, answer: Path) -> None:
    """The other side of run_district_apart: every school's every deadline, each outcome written to `answer`."""
    schools = [RunSettings.model_validate(s) for s in json.loads(asked.read_text(encoding="utf-8"))]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        district = run_district(schools, rollup_to="", progress=bar, parallel=parallel)
    answer.write_text(json.dumps([{"school": o.school_id, "deadline": o.deadline_id, "error": o.error}
                                  for o in district.outcomes]), encoding="utf-8")


@contextmanager
def prefect_server() -> Iterator[str]:
    """Points this process's flows at a Prefect server on PostgreSQL; yields which database it runs on."""
    if find_bindir() is None:
        yield "SQLite (ephemeral)"
        return
    with tempfile.TemporaryDirectory() as home, temporary_cluster() as cluster, serving_prefect(
            Path(home), PREFECT_API_DATABASE_CONNECTION_URL=cluster.url("prefect", "asyncpg")) as server, \
            pointing_at(server):
        yield "PostgreSQL"


def run(schools: int = 60, staff: int = 30, parallel: int = 4) -> list[dict[str, Any]]:
    """`parallel`: schools run side by side; Google waits are I/O, so more than the two cores pays off."""
    with prefect_server() as database:
        return [{**row, "prefect_db": database} for row in _measure(schools, staff, parallel)]


def _measure(schools: int, staff: int, parallel: int) -> list[dict[str, Any]]:
    base = parse_plan(PLAN.read_text(encoding="utf-8"))
    plans = school_variants(base, schools, seed=2024)
    with tempfile.TemporaryDirectory() as folder, google_district(
            plans, staff_counts(plans, staff, seed=2024), Path(folder), seed=2024) as workspace:
        rows = [burst(workspace, throttled=False)]
        time.sleep(QUOTA_WINDOW_SECONDS)
        rows.append(burst(workspace, throttled=True))
        time.sleep(QUOTA_WINDOW_SECONDS)
        calls, limited = workspace.api_calls(), workspace.rate_limited()
        cpu_before = cpu_by_kind(workspace)
        started_at, start = time.time(), time.perf_counter()
        outcomes, district_cpu = run_district_apart(workspace.schools, parallel)
        seconds = time.perf_counter() - start
        used = cpu_by_kind(workspace)
        used.subtract(cpu_before)
        used["the district's own process"] = district_cpu
        calls, limited = workspace.api_calls() - calls, workspace.rate_limited() - limited
        floor, bucket = quota_floor([e for e in workspace.emulator.log.entries() if e.time >= started_at])
        ids = sent_message_ids(workspace)
        deployed = [load_plan(school.plan_path) for school in workspace.schools]
        expected = {report_message_id(p.id, d.id, 1, p.school.email_domain) for p in deployed for d in p.deadlines}
        reports = Counter({message_id: n for message_id, n in ids.items() if message_id in expected})
        failed = [o for o in outcomes if o["error"]]
        rows.append({"benchmark": f"district run, Prefect rate limits, {parallel} at a time, own process",
                     "schools": schools, "reports": len(outcomes) - len(failed), "failed": len(failed),
                     "api_calls": calls, "429s": limited, "emails": sum(reports.values()),
                     "distinct_message_ids": len(reports),
                     "missing": len(expected - set(reports)), "other_emails": sum(ids.values()) - sum(reports.values()),
                     "seconds": seconds, "quota_floor_seconds": floor, "floor_set_by": bucket,
                     "ratio_to_quota_floor": seconds / floor if floor else "∞ (no bucket past one window)",
                     "cpu_product_s": product_cpu(used), "cpu_emulator_s": sum(used.values()) - product_cpu(used),
                     "product_cpu_floor_s": product_cpu(used) / (os.cpu_count() or 1)})
        print("CPU seconds of the district run by part:",
              ", ".join(f"{kind} {seconds:,.1f}" for kind, seconds in used.most_common()))
    return rows


if __name__ == "__main__":
    _district_process(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
