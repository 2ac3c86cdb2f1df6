"""Google's quotas as Prefect global concurrency limits, so every run on one server shares one budget.

Each quota bucket of connectors/google/quotas.py becomes two rate limits, per delegated user and per project.
A limit allows a small burst and refills at the rate that keeps any window within Google's number:
burst + refill × window ≤ quota. Every Google call occupies its units in both before it is sent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import fields

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import ObjectNotFound

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
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=burst, slot_decay_per_second=refill))
                continue
            if existing.limit != burst or abs((existing.slot_decay_per_second or 0) - refill) > 1e-9:
                client.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=burst, slot_decay_per_second=refill))
    return names


def prefect_throttle(user: str, project: str, quotas: WorkspaceQuotas = DEFAULT_QUOTAS,
                     timeout_seconds: float = 600) -> Callable[[Charges], None]:
    """The GoogleApi throttle: blocks until the call's units fit under both the user's and the project's limit."""
    known = set(ensure_limits(user, project, quotas))

    def throttle(charges: Charges) -> None:
        by_units: dict[int, list[str]] = defaultdict(list)
        for bucket, units in charges:
            for scope, who in (("user", user), ("project", project)):
                name = limit_name(bucket, scope, who)
                if name in known:
                    by_units[units].append(name)
        for units, names in by_units.items():
            rate_limit(names, occupy=units, timeout_seconds=timeout_seconds, strict=True)

    return throttle
