"""Helpers shared by the sample tests: reading a sheet's cells by plan field, and a minimal team matcher."""

from __future__ import annotations

from collections.abc import Iterator

from thidua.plan import Plan, Source
from thidua.text import fold


def source(plan: Plan, source_id: str) -> Source:
    return next(s for s in plan.sources if s.id == source_id)


def rows_by_field(plan: Plan, grid: list[list[str]], source_id: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields (sheet row number, {plan field: cell}) for each data row."""
    fields = list(source(plan, source_id).columns)
    for row_number, line in enumerate(grid[1:], start=2):
        yield row_number, dict(zip(fields, line, strict=True))


def team_key(text: str) -> str:
    return fold(text).removeprefix("to ")


def resolve_team(plan: Plan, typed: str) -> str | None:
    """The team a typed name means, by folded name or alias only: what any normaliser must at least manage."""
    for team in plan.teams:
        if team_key(typed) in {team_key(name) for name in (team.name, *team.aliases)}:
            return team.id
    return None
