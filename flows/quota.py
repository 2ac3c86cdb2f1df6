"""Google's quotas as Prefect global concurrency limits, so every run on one server shares one budget.

Each quota bucket of connectors/google/quotas.py becomes two rate limits, per delegated user and per project.
A limit allows a small burst and refills at the rate that keeps any window within Google's number:
burst + refill × window ≤ quota. Every Google call occupies its units in both before it is sent.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import fields

import httpx
from prefect.client.base import PrefectHttpxSyncClient
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from connectors.google.api import Charges
from connectors.google.quotas import DEFAULT_QUOTAS, Limit, WorkspaceQuotas

BURST_SHARE = 10  # a tenth of the quota may go at once; the rest refills over the window


def limit_name(bucket: str, scope: str, who: str) -> str:
    """The Prefect concurrency limit's name for a quota bucket, scoped to a user or project, so schools sharing one
    share it."""
    return f"google-{bucket}-{scope}-" + re.sub(r"[^a-z0-9.@_-]+", "-", who.lower())


def _shape(quota: int, window_seconds: float, largest_charge: int) -> tuple[int, float]:
    """Burst and refill per second; the burst must hold the largest single charge (a Gmail send is 100 units)."""
    burst = min(quota, max(1, quota // BURST_SHARE, largest_charge))
    return burst, max(quota - burst, 1) / window_seconds


def _limits(quotas: WorkspaceQuotas, user: str, project: str) -> Iterator[tuple[str, int, float]]:
    for spec in fields(quotas):
        bucket = spec.name
        limit = getattr(quotas, bucket)
        if not isinstance(limit, Limit):
            continue
        largest = max(quotas.gmail_method_units.values()) if bucket == "gmail_units" else 1
        for scope, who, quota in (("user", user, limit.per_user), ("project", project, limit.per_project)):
            if quota:
                burst, refill = _shape(quota, limit.window_seconds, largest)
                yield limit_name(bucket, scope, who), burst, refill


def ensure_limits(user: str, project: str, quotas: WorkspaceQuotas = DEFAULT_QUOTAS) -> list[str]:
    """Creates (or corrects) the rate limits on the Prefect server; safe to call before every run."""
    names = []
    with get_client(sync_client=True) as client:
        for name, burst, refill in _limits(quotas, user, project):
            names.append(name)
            try:
                existing = client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                # Runs that start together (a district's schools at the same minute) race to create it: the
                # loser is told it exists (409), made by a run of the same quotas.
                with contextlib.suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=burst, slot_decay_per_second=refill))
                continue
            if existing.limit != burst or abs((existing.slot_decay_per_second or 0) - refill) > 1e-9:
                client.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=burst, slot_decay_per_second=refill))
    return names


#: How long a write that lost SQLite's race waits before trying again, at first (doubling, with jitter, to 1 s).
BUSY_RETRY_SECONDS = 0.02


def occupy(client: SyncPrefectClient, names: list[str], units: int, timeout_seconds: float) -> None:
    """Occupies `units` in every limit of `names` at once, waiting while any is full.

    What Prefect's `rate_limit` does, but for one thing: on a Prefect server on SQLite (the embedded default), an
    increment that loses a write race to the server's other writers is answered 503, and Prefect's client waits
    about 2 s before trying again, or before giving up when told not to retry (PrefectHQ/prefect#18934, #9938).
    The Google demo lost a third of its time there. The refused request wrote nothing, so it is tried again after
    tens of milliseconds; a full limit (423) waits the Retry-After the server computes from the refill rate, as
    Prefect's own acquisition service does."""
    deadline = time.monotonic() + timeout_seconds
    busy = 0
    while True:
        response = _increment(client, names, units)
        if response.status_code == 423:
            wait = float(response.headers.get("Retry-After", 1.0))
        elif response.status_code == 503:
            wait = min(BUSY_RETRY_SECONDS * 2**busy, 1.0) * random.uniform(1.0, 1.5)
            busy += 1
        else:
            response.raise_for_status()
            if len(response.json()) != len(names):  # the server skips a name it does not know
                raise LookupError(f"Prefect has no rate limit for one of {names}: run ensure_limits first")
            return
        if time.monotonic() + wait > deadline:
            raise TimeoutError(f"no room in {', '.join(names)} within {timeout_seconds:g} s")
        time.sleep(wait)


def _increment(client: SyncPrefectClient, names: list[str], units: int) -> httpx.Response:
    """One attempt: the request Prefect's client makes, sent without its retrying `send`."""
    http = client._client
    request = http.build_request("POST", "/v2/concurrency_limits/increment",
                                 json={"names": names, "slots": units, "mode": "rate_limit"})
    if isinstance(http, PrefectHttpxSyncClient) and http.enable_csrf_support:
        http._add_csrf_headers(request)
    return httpx.Client.send(http, request)


def prefect_throttle(user: str, project: str, quotas: WorkspaceQuotas = DEFAULT_QUOTAS,
                     timeout_seconds: float = 600) -> Callable[[Charges], None]:
    """The GoogleApi throttle: blocks until the call's units fit under both the user's and the project's limit."""
    known = set(ensure_limits(user, project, quotas))
    local = threading.local()

    def client() -> SyncPrefectClient:
        """This thread's client, kept open: a new one asks the server for a CSRF token first, a round trip each
        call would pay. Closed by the process's exit, like Prefect's own acquisition service's."""
        if not hasattr(local, "client"):
            local.client = get_client(sync_client=True).__enter__()
        opened: SyncPrefectClient = local.client
        return opened

    def throttle(charges: Charges) -> None:
        by_units: dict[int, list[str]] = defaultdict(list)
        for bucket, units in charges:
            for scope, who in (("user", user), ("project", project)):
                name = limit_name(bucket, scope, who)
                if name in known:
                    by_units[units].append(name)
        for units, names in by_units.items():
            occupy(client(), names, units, timeout_seconds)

    return throttle
