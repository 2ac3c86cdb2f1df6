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
    """How a typed team name was matched: the team (or None), the score, and the problem to report when it is unsure."""

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
        """The title id for a typed title name or id, ignoring case, diacritics and spacing; None if it is not one of
        the plan's."""
        return self._ids.get(fold(typed))


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def parse_quarter(typed: str) -> int | None:
    """Reads a quarter as people type it ("Quý II", "2", "quy 2"); None when it is not one of 1-4."""
    key = fold(typed).removeprefix("quy").strip()
    if key in _ROMAN:
        return _ROMAN[key]
    if key.isdigit() and 1 <= int(key) <= 4:
        return int(key)
    return None


_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@lru_cache(maxsize=65_536)
def parse_timestamp(typed: str, zone: ZoneInfo, order: str = "d/m/yyyy") -> dt.datetime | None:
    """Google Sheets' export in the sheet's date order ("13/3/2024 8:05:09" for Vietnamese, "3/13/2024 …" for
    a US-locale sheet) and the ISO forms XLSX gives; None when the text is no date in that order.

    Cached: a sheet is read as of its cutoff and then validated, so every stamp would be parsed twice.
    """
    text = typed.strip()
    slashed = _SLASHED.fullmatch(text)
    if slashed is not None:
        first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
        day, month = (second, first) if order == "m/d/yyyy" else (first, second)
        return _moment(year, month, day, slashed[4], slashed[5], slashed[6], zone)
    iso = _ISO.fullmatch(text)
    if iso is not None:
        return _moment(int(iso[1]), int(iso[2]), int(iso[3]), iso[4], iso[5], iso[6], zone)
    return None


def _moment(year: int, month: int, day: int, hour: str | None, minute: str | None, second: str | None,
            zone: ZoneInfo) -> dt.datetime | None:
    try:
        return dt.datetime(year, month, day, int(hour or 0), int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError:
        return None


@dataclass(frozen=True)
class Stamp:
    """A row's timestamp as read in its sheet's date order, or why it cannot be trusted (then `at` is None)."""

    at: dt.datetime | None
    problem: str = ""


class StampReader:
    """Reads a sheet's timestamps in its declared date order, and refuses to guess where the sheet contradicts it.

    A US-locale export read as d/m does not fail: "3/10/2024" becomes 3 October and the row silently falls
    after a cutoff. So once any stamp of the sheet fits only the other order, every stamp that reads both ways
    is a problem too; and a year far from the plan's is one whatever the order.
    """

    def __init__(self, stamps: Iterable[str], zone: ZoneInfo, order: str, years: range) -> None:
        self.zone, self.order, self.years = zone, order, years
        other = "m/d/yyyy" if order == "d/m/yyyy" else "d/m/yyyy"
        self.other = other
        self.contradicted = order != "yyyy-m-d" and any(
            parse_timestamp(text, zone, order) is None and parse_timestamp(text, zone, other) is not None
            for text in set(stamps)
        )

    def read(self, typed: str) -> Stamp:
        """Reads one timestamp in the sheet's order, or says why it cannot be trusted instead of guessing."""
        text = typed.strip()
        at = parse_timestamp(text, self.zone, self.order)
        if at is None:
            if self.order != "yyyy-m-d" and parse_timestamp(text, self.zone, self.other) is not None:
                return Stamp(None, f"Dấu thời gian «{text}» chỉ đọc được theo thứ tự {self.other}, khác với thứ "
                                   f"tự {self.order} của nguồn trong kế hoạch (date_order); hãy kiểm tra định dạng "
                                   "ngày của bảng tính")
            return Stamp(None, f"Dấu thời gian «{text}» không đọc được (cần dạng {self.order} giờ:phút:giây)")
        if at.year not in self.years:
            return Stamp(None, f"Dấu thời gian «{text}» có năm {at.year} không hợp lý cho kế hoạch (từ "
                               f"{self.years.start} đến {self.years.stop - 1})")
        slashed = _SLASHED.fullmatch(text)
        if self.contradicted and slashed is not None and int(slashed[1]) <= 12 and int(slashed[2]) <= 12 \
                and slashed[1] != slashed[2]:
            return Stamp(None, f"Dấu thời gian «{text}» đọc được cả hai cách (ngày/tháng và tháng/ngày) trong khi "
                               f"bảng có dấu thời gian theo thứ tự {self.other}; không thể đoán, hãy kiểm tra định "
                               "dạng ngày của bảng tính")
        return Stamp(at)


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
