"""Rejects are exactly the rows made unusable on purpose; everything else is messy but repairable."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter

from sample_data.generator import SampleData
from thidua.plan import Plan
from thidua.text import clean, looks_like_formula

from .support import resolve_team, rows_by_field

FORMS = ("F1", "F2", "F3", "F4", "F5", "F6")


def roster_emails(plan: Plan, sample: SampleData) -> set[str]:
    return {row["email"] for _, row in rows_by_field(plan, sample.grids["roster"], "roster")}


def test_every_expected_reject_is_the_deliberately_bad_kind(plan: Plan, sample: SampleData) -> None:
    emails = roster_emails(plan, sample)
    titles = {t.name for t in plan.titles.individual}
    for source_id, rejects in sample.expected_rejects.items():
        rows = dict(rows_by_field(plan, sample.grids[source_id], source_id))
        for number, code in rejects.items():
            row = rows[number]
            if code == "blank":
                assert all(cell == "" for cell in row.values())
                continue
            assert any(row.values())
            if code == "missing_email":
                assert row["email"] == ""
            elif code == "unknown_team":
                assert resolve_team(plan, row["team"]) is None
            elif code == "formula":
                assert looks_like_formula(row["full_name"])
            elif code == "unknown_title":
                assert row["title"] not in titles
            elif code == "unknown_email":
                assert row["email"] and clean(row["email"]).lower() not in emails
            elif code == "bad_timestamp":
                try:
                    dt.datetime.strptime(row["timestamp"], "%d/%m/%Y %H:%M:%S")
                except ValueError:
                    pass
                else:
                    raise AssertionError(f"{source_id} row {number}: timestamp parses")
            elif code == "bad_number":
                assert not row["months_worked"].replace(".", "", 1).isdigit()
            else:
                raise AssertionError(f"unexpected reject code {code}")


def test_every_other_row_is_usable_once_normalised(plan: Plan, sample: SampleData) -> None:
    emails = roster_emails(plan, sample)
    for source_id in FORMS:
        rejects = sample.expected_rejects[source_id]
        for number, row in rows_by_field(plan, sample.grids[source_id], source_id):
            if number in rejects:
                continue
            dt.datetime.strptime(row["timestamp"], "%d/%m/%Y %H:%M:%S")
            assert clean(row["email"]).lower() in emails, (source_id, number)
            assert resolve_team(plan, row["team"]) is not None, (source_id, number, row["team"])
            assert not any(looks_like_formula(cell) for cell in row.values()), (source_id, number)


def test_the_listed_rejects_cover_each_kind_of_fault(sample: SampleData) -> None:
    codes = Counter(code for rejects in sample.expected_rejects.values() for code in rejects.values())
    assert set(codes) == {
        "blank", "missing_email", "unknown_team", "formula", "unknown_title", "unknown_email", "bad_timestamp",
        "bad_number",
    }
    assert Counter(sample.expected_rejects["F1"].values())["blank"] >= 2
    assert Counter(sample.expected_rejects["F3"].values())["blank"] >= 2
    assert not sample.expected_rejects["roster"]


def test_rejects_are_a_small_minority(sample: SampleData) -> None:
    rows = sum(len(grid) - 1 for grid in sample.grids.values())
    rejects = sum(len(r) for r in sample.expected_rejects.values())
    assert 0.02 <= rejects / rows <= 0.05


def test_blank_rows_sit_in_the_middle_of_the_sheet(sample: SampleData) -> None:
    for source_id in ("F1", "F3"):
        last_row = len(sample.grids[source_id])
        blanks = [n for n, code in sample.expected_rejects[source_id].items() if code == "blank"]
        assert all(2 < n < last_row for n in blanks)


def test_messiness_for_the_normaliser_appears_several_times(plan: Plan, sample: SampleData) -> None:
    team_names = {t.name for t in plan.teams}
    aliases = {alias for t in plan.teams for alias in t.aliases}
    found = Counter[str]()
    for source_id in FORMS:
        for line in sample.grids[source_id][1:]:
            found["nfd"] += sum(unicodedata.normalize("NFC", cell) != cell for cell in line)
        for _, row in rows_by_field(plan, sample.grids[source_id], source_id):
            team, name, email = row["team"], row.get("full_name", ""), row["email"]
            if resolve_team(plan, team) is None:
                continue
            found["undiacritised team"] += team.isascii() and team not in aliases
            found["alias"] += team in aliases
            found["team with case or space noise"] += (
                team not in team_names and team not in aliases and not team.isascii()
                and unicodedata.is_normalized("NFC", team)
            )
            found["name spaces"] += bool(name) and name != clean(name)
            found["name case"] += bool(name) and name.strip() in (name.upper().strip(), name.lower().strip())
            found["email noise"] += bool(email) and email != email.strip().lower()
    assert all(found[kind] >= 3 for kind in (
        "nfd", "undiacritised team", "alias", "team with case or space noise", "name spaces", "name case",
        "email noise",
    )), found

