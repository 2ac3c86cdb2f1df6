"""Which failures a non-idempotent call (a send, a copy, a batchUpdate) may retry: only those that prove nothing
reached Google — a 429, or a connection the server had already closed before the request was written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.google.api import GoogleApi


def _failing_once(error: Exception) -> tuple[list[int], Callable[[], str]]:
    attempts: list[int] = []

    def call() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise error
        return "ok"

    return attempts, call


def test_a_broken_pipe_is_retried_even_for_a_send() -> None:
    attempts, call = _failing_once(BrokenPipeError(32, "Broken pipe"))
    api = GoogleApi(sleep=lambda seconds: None)
    assert api.call(call, "gmail.users.messages.send", "POST", idempotent=False) == "ok"
    assert len(attempts) == 2 and api.retries["gmail.users.messages.send"] == 1


@pytest.mark.parametrize("error", [ConnectionResetError(104, "reset"), TimeoutError("timed out")])
def test_a_reset_or_timeout_is_not_retried_for_a_send_since_google_may_have_acted(error: Exception) -> None:
    attempts, call = _failing_once(error)
    with pytest.raises(type(error)):
        GoogleApi(sleep=lambda seconds: None).call(call, "gmail.users.messages.send", "POST",
                                                    idempotent=False)
    assert len(attempts) == 1


def test_a_reset_is_retried_for_a_read() -> None:
    attempts, call = _failing_once(ConnectionResetError(104, "reset"))
    assert GoogleApi(sleep=lambda seconds: None).call(call, "sheets.spreadsheets.values.batchGet") == "ok"
    assert len(attempts) == 2


def test_the_default_backoff_outlasts_a_quota_minute_and_is_truncated() -> None:
    from connectors.google.api import RetryPolicy

    policy = RetryPolicy()
    assert policy.total_wait() > 60  # Google's per-minute quotas refill within a minute
    import random

    rng = random.Random(0)
    waits = [policy.delay(n, None, rng) for n in range(policy.attempts - 1)]
    assert waits == sorted(waits) and max(waits) == policy.cap_seconds
    assert 1 <= waits[0] <= 2 and 2 <= waits[1] <= 3  # 2ⁿ seconds plus up to a second of jitter
