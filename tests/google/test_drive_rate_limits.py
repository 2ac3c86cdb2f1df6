"""Drive's rate limits come as 403 (userRateLimitExceeded / rateLimitExceeded) with no Retry-After: the client
retries them with truncated exponential backoff until the quota window has passed, even for a copy."""

from __future__ import annotations

import time

import pytest

from connectors.google.api import GoogleApi, RetryPolicy
from connectors.google.quotas import Limit, uniform_quotas
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import WorkspaceClients


@pytest.fixture(scope="module")
def tight_drive() -> WorkspaceEmulator:
    quotas = uniform_quotas(None).with_limits(drive_queries=Limit(per_user=3, per_project=None, window_seconds=2))
    with WorkspaceEmulator(EmulatorConfig(quotas=quotas)) as running:
        yield running  # type: ignore[misc]


def test_a_drive_rate_limit_is_a_403_with_googles_reason_and_no_retry_after(tight_drive: WorkspaceEmulator) -> None:
    session = WorkspaceClients(tight_drive).session()
    url = "https://www.googleapis.com/drive/v3/files"
    statuses = [session.get(url, params={"pageSize": 1}) for _ in range(4)]
    refused = statuses[-1]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    assert refused.status_code == 403 and "Retry-After" not in refused.headers
    error = refused.json()["error"]["errors"][0]
    assert (error["reason"], error["domain"]) == ("userRateLimitExceeded", "usageLimits")


def test_drive_403_rate_limits_are_retried_past_the_quota_window(tight_drive: WorkspaceEmulator) -> None:
    time.sleep(2.1)  # the previous test's window
    drive = WorkspaceClients(tight_drive).service("drive", "v3")
    api = GoogleApi(policy=RetryPolicy(base_seconds=0.05, cap_seconds=1.0, jitter_seconds=0.05))
    body = {"name": "mẫu", "mimeType": "application/vnd.google-apps.document"}
    template = api.execute(drive.files().create(body=body), idempotent=False)
    started = time.monotonic()
    for n in range(5):  # a copy is not idempotent, but a 403 rate limit proves it was never run
        api.execute(drive.files().copy(fileId=template["id"], body={"name": f"bản {n}"}), idempotent=False)
    assert api.retries["drive.files.copy"] >= 1
    assert time.monotonic() - started >= 2.0  # waited for the window rather than failing
    names = [f["name"] for f in api.execute(drive.files().list(pageSize=20))["files"]]
    assert sorted(n for n in names if n.startswith("bản")) == [f"bản {n}" for n in range(5)]
