"""Mapping what teachers type to the plan's vocabulary: teams, titles, phases, quarters, dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz

from thidua.plan import Team, Title
from thidua.text import fold, team_key


@dataclass(frozen=True)
class TeamMatch:
    team_id: str | None
    score: float
    problem: str = ""


class TeamMatcher:
    """Exact match on folded names and aliases first, then fuzzy above a threshold, refusing close calls.

    "Toán-Tin" must not silently become Toán: when two teams score within `ambiguity_margin`, the row is
    flagged for the clerk rather than guessed.
    """

    def __init__(self, teams: Iterable[Team], threshold: float, ambiguity_margin: float = 5.0,
                 extra_aliases: Mapping[str, str] | None = None) -> None:
        self._threshold = threshold
        self._margin = ambiguity_margin
        self._names: dict[str, str] = {}
        self._memo: dict[str, TeamMatch] = {}
        self._display: dict[str, str] = {}
        for team in teams:
            self._display[team.id] = team.name
            for name in (team.name, team.id, *team.aliases):
                self._names[_team_key(name)] = team.id
        for typed, team_id in (extra_aliases or {}).items():
            self._names[_team_key(typed)] = team_id

    def match(self, typed: str) -> TeamMatch:
        """Memoised: a school types the same few spellings thousands of times."""
        found = self._memo.get(typed)
        if found is None:
            found = self._memo[typed] = self._match(typed)
        return found

    def _match(self, typed: str) -> TeamMatch:
        key = _team_key(typed)
        if not key:
            return TeamMatch(None, 0.0, "Chưa ghi tên tổ")
        if key in self._names:
            return TeamMatch(self._names[key], 100.0)
        best_per_team: dict[str, float] = {}
        for name, team_id in self._names.items():
            score = fuzz.ratio(key, name)
            best_per_team[team_id] = max(score, best_per_team.get(team_id, 0.0))
        ranked = sorted(best_per_team.items(), key=lambda kv: kv[1], reverse=True)
        (best_id, best), runner_up = ranked[0], (ranked[1] if len(ranked) > 1 else ("", 0.0))
        valid = "; ".join(self._display.values())
        if best < self._threshold:
            return TeamMatch(None, best, f"Không nhận ra tổ «{typed.strip()}». Các tổ hợp lệ: {valid}")
        if best - runner_up[1] < self._margin:
            return TeamMatch(
                None,
                best,
                f"Tên tổ «{typed.strip()}» không rõ là tổ {self._display[best_id]} "
                f"hay tổ {self._display[runner_up[0]]}",
            )
        return TeamMatch(best_id, best)


_team_key = team_key


class TitleMatcher:
    """A title typed by its name or its id, folded; the plan's first title wins if two fold alike."""

    def __init__(self, titles: Iterable[Title]) -> None:
        self.titles = tuple(titles)
        self._ids: dict[str, str] = {}
        for title in self.titles:
            self._ids.setdefault(fold(title.name), title.id)
            self._ids.setdefault(fold(title.id), title.id)

    def match(self, typed: str) -> str | None:
        return self._ids.get(fold(typed))


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_quarter(typed: str) -> int | None:
    key = fold(typed).removeprefix("quy").strip()
    if key in _ROMAN:
        return _ROMAN[key]
    if key.isdigit() and 1 <= int(key) <= 4:
        return int(key)
    return None


_SHEETS_TIMESTAMP = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})")
_TIMESTAMP_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y")


@lru_cache(maxsize=65_536)
def parse_timestamp(typed: str, zone: ZoneInfo) -> dt.datetime | None:
    """Google Sheets' Vietnamese-locale export ("13/3/2024 8:05:09") and the ISO forms XLSX gives.

    Cached: a sheet is read as of its cutoff and then validated, so every stamp would be parsed twice.
    """
    text = typed.strip()
    exact = _SHEETS_TIMESTAMP.fullmatch(text)
    if exact is not None:  # the export's own format, parsed without strptime's locale machinery
        day, month, year, hour, minute, second = map(int, exact.groups())
        try:
            return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
        except ValueError:
            return None
    for fmt in _TIMESTAMP_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def parse_number(typed: str) -> float | None:
    """Numbers as Vietnamese users type them: "92,5", "92.5", "85%", " 12 "."""
    text = typed.strip().removesuffix("%").strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
