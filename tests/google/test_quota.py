"""Prefect rate limits keep a burst of Google calls under the quota: the emulator answers no 429."""

from __future__ import annotations

import contextvars
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.google.api import GoogleApi
from connectors.google.quotas import Limit, uniform_quotas
from connectors.google.sheets import SheetsSource
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import WorkspaceClients
from flows.quota import ensure_limits, prefect_throttle
from tests.conftest import PrefectServer
from thidua.plan import Source, SourceKind

# 12 reads per 3 s per user: a burst of 24 reads must be spread over about 6 s to stay under it.
QUOTAS = uniform_quotas(None).with_limits(sheets_read=Limit(per_user=12, per_project=100, window_seconds=3))
BURST = 24
# The project's limits by a name of this test's own: the demos on the run's shared Prefect server draw from (and set)
# the emulator project's.
PROJECT = "thidua-quota-test"


@pytest.fixture
def small_quota_emulator() -> Iterator[WorkspaceEmulator]:
    """One per test: a burst in one test must not eat the next test's quota window."""
    with WorkspaceEmulator(EmulatorConfig(quotas=QUOTAS)) as running:
        yield running


def _source(workspace: WorkspaceClients) -> Source:
    spreadsheet = workspace.gspread().create("Bảng")
    spreadsheet.sheet1.update([["Họ và tên"], ["Lan"]], "A1")
    return Source(id="roster", name="Danh sách", kind=SourceKind.ROSTER, sheet="Sheet1",
                  spreadsheet_id=spreadsheet.id,
                  columns={"full_name": "Họ và tên", "email": "e", "team": "t", "position": "p"})


def _burst(emulator: WorkspaceEmulator, api: GoogleApi) -> tuple[int, float]:
    workspace = WorkspaceClients(emulator)
    source = _source(workspace)
    reader = SheetsSource(workspace.gspread(), api)
    time.sleep(3.1)  # let the set-up's own reads leave the window
    emulator.log.clear()
    start = time.monotonic()
    for _ in range(BURST):
        reader.read(source)
    return emulator.log.count(status=429), time.monotonic() - start


def test_without_the_throttle_a_burst_trips_429s(small_quota_emulator: WorkspaceEmulator) -> None:
    too_many, _ = _burst(small_quota_emulator, GoogleApi(sleep=lambda s: time.sleep(min(s, 0.5))))
    assert too_many > 0


def test_prefect_rate_limits_keep_the_burst_under_quota(small_quota_emulator: WorkspaceEmulator,
                                                        prefect_api: PrefectServer) -> None:
    throttle = prefect_throttle(WorkspaceClients(small_quota_emulator).user, PROJECT, QUOTAS)
    too_many, seconds = _burst(small_quota_emulator, GoogleApi(throttle=throttle))
    assert too_many == 0
    assert seconds >= 3.0


def test_runs_that_start_together_each_find_or_create_the_limits(prefect_api: PrefectServer) -> None:
    """A district's schools start their runs at the same minute on one server: each must end up with the limits,
    whichever created them (the loser of the race is told they exist, 409)."""
    user, runs = f"truong-{uuid.uuid4().hex[:8]}@lax.example.edu.vn", 6
    start = threading.Barrier(runs)

    def ensure() -> list[str]:
        start.wait()
        return ensure_limits(user, PROJECT, QUOTAS)

    with ThreadPoolExecutor(runs) as pool:
        found = [future.result() for future in [pool.submit(contextvars.copy_context().run, ensure)
                                                 for _ in range(runs)]]
    assert all(names == found[0] for names in found) and found[0]
