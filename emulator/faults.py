"""Fault injection: error statuses, latency and dropped connections for chosen methods, deterministically."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def _default_statuses() -> list[Literal[429, 500, 503]]:
    return [503]


class FaultRule(BaseModel):
    """One rule: for ``methods`` (discovery ids or ``"*"``), how often to fail and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: list[str] = Field(default_factory=lambda: ["*"])
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    statuses: list[Literal[429, 500, 503]] = Field(default_factory=lambda: _default_statuses())
    latency_ms: int = Field(0, ge=0)
    drop_rate: float = Field(0.0, ge=0.0, le=1.0)
    # The Retry-After an injected 429 carries, as a quota 429 does; None sends none (a test of the backoff's shape
    # that must not sleep a whole second per fault).
    retry_after_seconds: int | None = Field(1, ge=0)

    def applies_to(self, method_id: str) -> bool:
        return "*" in self.methods or method_id in self.methods


@dataclass(frozen=True)
class Fault:
    latency_s: float = 0.0
    status: int | None = None
    drop: bool = False
    retry_after_seconds: int | None = None


@dataclass
class FaultInjector:
    """Decides, per request, whether to delay, fail or drop it (seeded, so tests are repeatable)."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def configure(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self.rules = list(rules)
            if seed is not None:
                self.seed = seed
            self._rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [r.model_dump() for r in self.rules]}

    def decide(self, method_id: str) -> Fault:
        latency = 0.0
        with self._lock:
            for rule in self.rules:
                if not rule.applies_to(method_id):
                    continue
                latency += rule.latency_ms / 1000
                if rule.drop_rate and self._rng.random() < rule.drop_rate:
                    return Fault(latency, None, True)
                if rule.error_rate and self._rng.random() < rule.error_rate:
                    return Fault(latency, self._rng.choice(rule.statuses), False, rule.retry_after_seconds)
        return Fault(latency)
