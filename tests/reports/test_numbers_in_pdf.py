"""Every report kind, rendered to PDF from a fresh sample, says the numbers a clerk counts from the sheets.

The expected figures are counted here straight from the sample CSVs (csv module, each person's team from the
roster by email, the generator's spoiled rows left out, the latest answer per person or team winning), then
looked up as whole table rows in the PDF's text (pdftotext -raw keeps a row's cells together).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from collections import Counter
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from connectors.local.documents import TEMPLATE_FOR_KIND, BuiltReport, LocalDocumentBuilder
from connectors.local.files import FileSource, write_sample
from thidua.calendar import schedule
from thidua.pipeline import collect, source_ids_for
from thidua.plan import Deadline, Plan, ReportKind, parse_plan

ROOT = Path(__file__).resolve().parents[2]
PLAN = parse_plan((ROOT / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
VN = dt.timezone(dt.timedelta(hours=7))
Row = dict[str, str]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}".replace(".", ",") + "%" if whole else "0,0%"


class Sheets:
    """The sample's answers as a clerk would count them in a spreadsheet."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        spoiled = json.loads((folder / "expected_rejects.json").read_text(encoding="utf-8"))
        self.rows: dict[str, list[Row]] = {}
        for source in plan.sources:
            with (folder / source.file).open(encoding="utf-8", newline="") as handle:
                self.rows[source.id] = [
                    {name: line[header] for name, header in source.columns.items()} | {"row": str(n)}
                    for n, line in enumerate(csv.DictReader(handle), start=2)
                    if str(n) not in spoiled.get(source.id, {})]
        self.team_of = {r["email"].strip().lower(): r["team"] for r in self.rows["roster"]}

    def current(self, source_id: str, as_of: dt.datetime, key: Callable[[Row], Hashable]) -> list[Row]:
        newest: dict[Hashable, tuple[dt.datetime, int, Row]] = {}
        for row in self.rows[source_id]:
            stamp = dt.datetime.strptime(row["timestamp"].strip(), "%d/%m/%Y %H:%M:%S").replace(tzinfo=VN)
            if stamp <= as_of and (key(row) not in newest or (stamp, int(row["row"])) > newest[key(row)][:2]):
                newest[key(row)] = (stamp, int(row["row"]), row)
        return [entry[2] for entry in newest.values()]

    def team(self, row: Row) -> str:
        return self.team_of[row["email"].strip().lower()]


def _email(row: Row) -> str:
    return row["email"].strip().lower()


def quarter(row: Row) -> int:
    typed = row["quarter"].lower().replace("quý", "").strip()
    return int(typed) if typed.isdigit() else {"i": 1, "ii": 2, "iii": 3, "iv": 4}[typed]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _send_at(deadline: Deadline) -> dt.datetime:
    return schedule(PLAN, deadline).send_at


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Sheets, dict[str, tuple[BuiltReport, str]]]:
    """The nine reports of the seed year, built the way the flows build them, with each PDF's text."""
    from thidua.reports import build_context

    folder = tmp_path_factory.mktemp("sample")
    write_sample(PLAN, folder)
    files = FileSource(folder)
    sources = {s.id: s for s in PLAN.sources}

    def dataset(deadline: Deadline, as_of: dt.datetime) -> Any:
        tables = {sid: files.read(sources[sid]) for sid in source_ids_for(PLAN, deadline.kind)}
        return collect(PLAN, tables, as_of).dataset

    registration = next(d for d in PLAN.deadlines if d.kind is ReportKind.REGISTRATION)
    builder = LocalDocumentBuilder(ROOT / "templates", tmp_path_factory.mktemp("reports"))
    reports = {}
    for deadline in PLAN.deadlines:
        baseline = dataset(registration, _send_at(registration)) if deadline.kind is ReportKind.ANNUAL else None
        context = build_context(PLAN, deadline, dataset(deadline, _send_at(deadline)), _send_at(deadline).date(),
                                baseline)
        report = builder.build(TEMPLATE_FOR_KIND[context["kind"]], context, deadline.id)
        assert report.pdf is not None
        text = subprocess.run(["pdftotext", "-raw", str(report.pdf), "-"], capture_output=True, check=True,
                              text=True).stdout
        reports[deadline.id] = (report, _squash(text))
    return Sheets(folder, PLAN), reports


def _has_row(text: str, *cells: object) -> None:
    row = " ".join(str(c) for c in cells)
    assert row in text, row


def _deadlines(*kinds: str) -> list[Deadline]:
    return [d for d in PLAN.deadlines if d.kind.value in kinds]


def test_registration_rows_per_team_and_school(built: tuple[Sheets, dict[str, Any]]) -> None:
    sheets, reports = built
    deadline = PLAN.deadline("D1")
    registered = sheets.current("F1", _send_at(deadline), _email)
    staff = Counter(sheets.team_of.values())
    text = reports["D1"][1]
    titles = [t.name for t in PLAN.titles.individual]
    for team in [*(t.name for t in PLAN.teams), None]:
        mine = [r for r in registered if team is None or sheets.team(r) == team]
        people = len(sheets.team_of) if team is None else staff[team]
        counts = [sum(1 for r in mine if r["title"].strip() == t) for t in titles]
        _has_row(text, team or "Toàn trường", *counts, len(mine), people, _pct(len(mine), people))
    for title in titles:
        n = sum(1 for r in registered if r["title"].strip() == title)
        _has_row(text, title, n, _pct(n, len(sheets.team_of)))
    registered_emails = {_email(r) for r in registered}
    missing = [e for e in sheets.team_of if e not in registered_emails]
    not_registered = text.split("Bảng 5.")[1].split("Trên đây")[0]
    assert f" {len(missing)} " in not_registered
    assert load_workbook(reports["D1"][0].annex)["Bảng 5"].max_row - 2 == len(missing)
    collective = sheets.current("F2", _send_at(deadline), lambda r: sheets.team(r))
    assert len(collective) == len(PLAN.teams)
    for row in collective:
        _has_row(text, sheets.team(row), row["members"].strip(), row["title"].strip())
    for kind in PLAN.titles.collective:
        _has_row(text, f"{kind.name}:", sum(1 for r in collective if r["title"].strip() == kind.name))


@pytest.mark.parametrize("deadline", _deadlines("exemplars"), ids=lambda d: d.id)
def test_exemplar_rows_per_team_and_each_nominee(built: tuple[Sheets, dict[str, Any]], deadline: Deadline) -> None:
    sheets, reports = built
    chosen = [r for r in sheets.current("F4", _send_at(deadline), lambda r: (sheets.team(r), quarter(r)))
              if quarter(r) == deadline.quarter]
    text = reports[deadline.id][1]
    counts = Counter(sheets.team(r) for r in chosen)
    for team in PLAN.teams:
        _has_row(text, team.name, counts[team.name])
    _has_row(text, "Toàn trường", len(chosen))
    nominees = load_workbook(reports[deadline.id][0].annex)["Bảng 2"]
    assert nominees.max_row - 2 == len(chosen)


@pytest.mark.parametrize("deadline", _deadlines("interim", "annual"), ids=lambda d: d.id)
def test_review_rows_per_phase_and_team(built: tuple[Sheets, dict[str, Any]], deadline: Deadline) -> None:
    sheets, reports = built
    as_of = _send_at(deadline)
    text = reports[deadline.id][1]
    achievements = sheets.current("F3", as_of, lambda r: (_email(r), r["phase"].strip()))
    initiatives = sheets.current("F5", as_of, lambda r: (_email(r), _squash(r["name"]).lower()))
    exemplars = sheets.current("F4", as_of, lambda r: (sheets.team(r), quarter(r)))
    for index, phase in enumerate((p for p in PLAN.phases if p.start <= as_of.date()), start=1):
        part = text.split(f"Bảng {index}b.")[1]

        def submitted(row: Row, phase: Any = phase) -> bool:
            day = dt.datetime.strptime(row["timestamp"].strip(), "%d/%m/%Y %H:%M:%S").date()
            return bool(phase.start <= day <= phase.end)

        quarters = range((phase.start.month - 1) // 3 + 1, (phase.end.month - 1) // 3 + 2)
        for team in [*(t.name for t in PLAN.teams), None]:
            def mine(rows: list[Row], team: str | None = team) -> list[Row]:
                return [r for r in rows if team is None or sheets.team(r) == team]
            done = [r for r in mine(achievements) if r["phase"].strip() == phase.name]
            ideas = [r for r in mine(initiatives) if submitted(r)]
            recognised = [r for r in ideas if r["result"].strip() == "Được công nhận"]
            named = [r for r in mine(exemplars) if quarter(r) in quarters]
            _has_row(part, team or "Toàn trường", len(done), len(ideas), len(recognised), len(named))
    registered = sheets.current("F1", as_of, _email)
    school = [sum(1 for r in registered if r["title"].strip() == t.name) for t in PLAN.titles.individual]
    assert f"Toàn trường {school[0]} " in text.split(f"Bảng {index + 1}.")[1]


def test_evaluation_rows_caps_and_collective_results(built: tuple[Sheets, dict[str, Any]]) -> None:
    sheets, reports = built
    deadline = PLAN.deadline("D5")
    council = sheets.current("F6", _send_at(deadline), _email)
    text = reports["D5"][1]
    levels = ["Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ",
              "Không hoàn thành nhiệm vụ"]
    titles = [t.name for t in PLAN.titles.individual]
    for team in PLAN.teams:
        rows = [r for r in council if sheets.team(r) == team.name]
        by_level = [sum(1 for r in rows if r["completion"].strip() == level) for level in levels]
        _has_row(text.split("Bảng 1.")[1], team.name, *by_level, len(rows))
        by_title = [sum(1 for r in rows if r["proposed_title"].strip() == t) for t in titles]
        _has_row(text.split("Bảng 2.")[1], team.name, *by_title, sum(by_title), len(rows),
                 _pct(sum(by_title), len(rows)))
    at_ldtt = sum(1 for r in council if r["proposed_title"].strip() in titles)
    at_cstdcs = sum(1 for r in council if r["proposed_title"].strip() in titles[1:])
    cap = int(at_ldtt * PLAN.rules.cstdcs_share_of_ldtt + 1e-9)
    _has_row(text, "(kể cả Chiến sĩ thi đua)", at_ldtt)
    _has_row(text, f"({at_ldtt} × 15,0%, làm tròn xuống)", cap)
    _has_row(text, "Chiến sĩ thi đua cơ sở vượt tỷ lệ", max(0, at_cstdcs - cap))
    collective = sheets.current("F2", _send_at(deadline), lambda r: sheets.team(r))
    excellent = sum(1 for r in collective if r["title"].strip() == "Tập thể lao động xuất sắc")
    _has_row(text, "Số tập thể đăng ký Tập thể lao động xuất sắc", excellent)
    staff = Counter(sheets.team_of.values())
    for team in PLAN.teams:
        rows = [r for r in council if sheets.team(r) == team.name]
        ldtt = sum(1 for r in rows if r["proposed_title"].strip() in titles)
        _has_row(text.split("Bảng 4.")[1], team.name, staff[team.name], len(rows))
        assert f"{ldtt} {_pct(ldtt, staff[team.name])}" in text.split("Bảng 4.")[1]
    flagged = text.split("3. Những trường hợp")[1]
    assert "Căn cứ: Luật Thi đua, khen thưởng số 06/2022/QH15" in flagged


def test_every_report_has_an_annex_with_real_numbers(built: tuple[Sheets, dict[str, Any]]) -> None:
    sheets, reports = built
    report: BuiltReport = reports["D1"][0]
    assert report.annex is not None
    workbook = load_workbook(report.annex)
    sheet = workbook["Bảng 1"]
    total = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Toàn trường")
    assert total[-2] == len(sheets.team_of) and isinstance(total[-1], float)
    people = workbook["Bảng 4"]
    assert people.max_row - 2 == len(sheets.current("F1", _send_at(PLAN.deadline("D1")), _email))
    assert all(reports[d.id][0].annex is not None and reports[d.id][0].annex.is_file() for d in PLAN.deadlines)
    flags = load_workbook(reports["D5"][0].annex)["Cần xem xét"]
    assert flags.max_row > 2 and flags.cell(2, 6).value == "Căn cứ"
