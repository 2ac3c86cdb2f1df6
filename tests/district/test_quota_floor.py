"""The floor Google's quotas set for a district's calls (benchmarks/district.py), from the one quota module."""

from __future__ import annotations

from benchmarks.district import quota_floor
from emulator.server import LogEntry


def _calls(method_id: str, http_method: str, user: str, n: int, status: int = 200) -> list[LogEntry]:
    return [LogEntry(method_id, http_method, "/api", user, status, 0.0, 1.0)] * n


def test_a_user_past_one_minute_of_sheets_reads_sets_the_floor_in_whole_windows() -> None:
    calls = _calls("sheets.spreadsheets.values.batchGet", "GET", "a@truong.edu.vn", 121)
    assert quota_floor(calls) == (120.0, "sheets_read (a@truong.edu.vn)")  # 60 a minute: 3 windows, 2 waited


def test_many_users_share_the_project_bucket() -> None:
    calls = [c for i in range(10) for c in _calls("sheets.spreadsheets.values.batchGet", "GET", f"u{i}@x.vn", 40)]
    assert quota_floor(calls) == (60.0, "sheets_read (project)")  # 400 reads, 300 a minute per project


def test_refused_calls_and_token_exchanges_are_not_counted() -> None:
    calls = _calls("sheets.spreadsheets.values.batchGet", "GET", "a@x.vn", 500, status=429)
    calls += [LogEntry("oauth2.token", "POST", "/token", None, 200, 0.0, 1.0)] * 500
    assert quota_floor(calls) == (0.0, "none")
