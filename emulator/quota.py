"""Per-user and per-project quota buckets (sliding one-window counters) over ``WorkspaceQuotas``."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from connectors.google.quotas import DEFAULT_QUOTAS, WorkspaceQuotas


@dataclass(frozen=True)
class Exhausted:
    """Which bucket ran dry, for whom, and when to retry."""

    bucket: str
    scope: str  # "user" or "project"
    limit: int
    retry_after: int


class QuotaKeeper:
    def __init__(
        self,
        quotas: WorkspaceQuotas = DEFAULT_QUOTAS,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quotas = quotas
        self.enabled = enabled
        self._clock = clock
        self._spent: dict[tuple[str, str, str], deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._spent.clear()

    def charge(self, method_id: str, http_method: str, user: str, project: str) -> Exhausted | None:
        """Spend the call's units, or return what is exhausted (spending nothing)."""
        if not self.enabled:
            return None
        now = self._clock()
        charges = self.quotas.charges(method_id, http_method)
        with self._lock:
            plan: list[tuple[deque[tuple[float, int]], int]] = []
            for bucket, units in charges:
                limit = self.quotas.limit(bucket)
                for scope, who, allowed in (("user", user, limit.per_user), ("project", project, limit.per_project)):
                    if allowed is None:
                        continue
                    spent = self._spent.setdefault((bucket, scope, who), deque())
                    while spent and spent[0][0] <= now - limit.window_seconds:
                        spent.popleft()
                    used = sum(u for _, u in spent)
                    if used + units > allowed:
                        retry = limit.window_seconds - (now - spent[0][0]) if spent else limit.window_seconds
                        return Exhausted(bucket, scope, allowed, max(1, math.ceil(retry)))
                    plan.append((spent, units))
            for spent, units in plan:
                spent.append((now, units))
        return None
