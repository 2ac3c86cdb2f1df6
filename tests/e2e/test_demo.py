"""The main job end to end: the real CLI, Prefect's ephemeral server, a loopback SMTP server, real DOCX/PDF.

Every number in every report is checked against counts computed here, independently of the core: straight
from the sample CSVs with the csv module, taking each person's team from the roster by email (not from what
they typed) and leaving out exactly the rows the generator says it spoiled.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document

from connectors.signing import TEST_MARK, validate
from tests.e2e.conftest import run_demo
from tests.prefect_server import PrefectServer
from thidua.plan import Plan, parse_plan
from thidua.reports import COMPLETION_SHORT

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def demo(local_demo: tuple[Path, subprocess.CompletedProcess[str]]) -> tuple[Path, subprocess.CompletedProcess[str]]:
    return local_demo


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def summary(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> dict[str, dict[str, Any]]:
    out, run = demo
    assert run.returncode == 0, run.stdout + run.stderr
    return {row["id"]: row for row in json.loads((out / "summary.json").read_text(encoding="utf-8"))}


class SampleSheets:
    """The sample CSVs read the simple way, as a clerk with a spreadsheet would count them."""

    def __init__(self, data_dir: Path, plan: Plan) -> None:
        self.plan = plan
        self.spoiled = {sid: {int(r) for r in rows}
                        for sid, rows in json.loads((data_dir / "expected_rejects.json").read_text()).items()}
        self.rows: dict[str, list[dict[str, str]]] = {}
        for source in plan.sources:
            with (data_dir / source.file).open(encoding="utf-8", newline="") as file:
                reader = csv.DictReader(file)
                self.rows[source.id] = [
                    {field: row[header] for field, header in source.columns.items()} | {"_row": str(number)}
                    for number, row in enumerate(reader, start=2) if number not in self.spoiled.get(source.id, set())
                ]
        self.team_by_email = {r["email"].strip().lower(): r["team"] for r in self.rows["roster"]}

    def latest(self, source_id: str, as_of: dt.datetime, key: Callable[[dict[str, str]], Any]) -> list[dict[str, str]]:
        winners: dict[Any, tuple[dt.datetime, int, dict[str, str]]] = {}
        for row in self.rows[source_id]:
            stamp = dt.datetime.strptime(row["timestamp"].strip(), "%d/%m/%Y %H:%M:%S").replace(tzinfo=VN)
            if stamp > as_of:
                continue
            candidate = (stamp, int(row["_row"]), row)
            k = key(row)
            if k not in winners or candidate[:2] > winners[k][:2]:
                winners[k] = candidate
        return [w[2] for w in winners.values()]

    def team(self, row: dict[str, str]) -> str:
        return self.team_by_email[row["email"].strip().lower()]

    def by_team(self, rows: list[dict[str, str]],
                category: Callable[[dict[str, str]], str]) -> Counter[tuple[str, str]]:
        return Counter((self.team(r), category(r)) for r in rows)


@pytest.fixture(scope="module")
def sheets(demo: tuple[Path, subprocess.CompletedProcess[str]], plan: Plan) -> SampleSheets:
    return SampleSheets(demo[0] / "data", plan)


def _tables(docx: Path) -> dict[str, list[list[str]]]:
    """Each report table keyed by the caption paragraph that precedes it."""
    document = Document(str(docx))
    captions = [p.text.strip() for p in document.paragraphs if p.text.strip().startswith("Bảng ")]
    grids = [[[c.text.strip() for c in row.cells] for row in t.rows] for t in document.tables
             if t.rows and t.rows[0].cells[0].text.strip() in ("Tổ", "STT", "Nội dung", "Danh hiệu")]
    assert len(captions) == len(grids), (captions, [g[0] for g in grids])
    return dict(zip(captions, grids, strict=True))


def _cell(grid: list[list[str]], row_label: str, column: str) -> int:
    header = grid[0]
    row = next(r for r in grid[1:] if r[0] == row_label)
    return int(row[header.index(column)].replace(".", ""))


def _table(tables: dict[str, list[list[str]]], starts: str) -> list[list[str]]:
    return next(grid for caption, grid in tables.items() if caption.startswith(starts))


def _as_of(row: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(row["send_at"])


def test_demo_exits_cleanly_and_delivers_nine_reports_once(demo: tuple[Path, subprocess.CompletedProcess[str]],
                                                             summary: dict[str, dict[str, Any]], plan: Plan) -> None:
    out, run = demo
    assert "Traceback" not in run.stdout + run.stderr
    assert sorted(summary) == [f"D{i}" for i in range(1, 10)]
    assert {row["delivery"] for row in summary.values()} == {"sent"}
    mails = sorted((out / "mail").glob("*.eml"))
    assert len(mails) == 9
    parsed = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in mails]
    assert sorted(str(m["Message-ID"]) for m in parsed) == sorted(r["message_id"] for r in summary.values())
    for message in parsed:
        recipients = {a.addr_spec for a in message["To"].addresses}
        assert recipients <= plan.allow_list
        attachment, annex = list(message.iter_attachments())
        assert attachment.get_content_type() in ("application/pdf",
                                                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        # The annex workbook travels with the report: it opens, and holds the report's per-person tables.
        assert annex.get_filename().endswith("Phụ lục số liệu chi tiết.xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(annex.get_content()), read_only=True)
        assert workbook.sheetnames and any(ws.max_row > 1 for ws in workbook.worksheets)
    for row in summary.values():
        assert (out / row["report"]).is_file() and (out / row["docx"]).is_file()
        assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]


def test_registration_report_numbers_match_the_sheets(demo: tuple[Path, Any], summary: dict[str, Any],
                                                      sheets: SampleSheets, plan: Plan) -> None:
    row = summary["D1"]
    tables = _tables(demo[0] / row["docx"])
    registered = sheets.by_team(sheets.latest("F1", _as_of(row), lambda r: r["email"].strip().lower()),
                                lambda r: r["title"].strip())
    staff = Counter(sheets.team_by_email.values())
    grid = _table(tables, "Bảng 1.")
    for team in plan.teams:
        assert _cell(grid, team.name, "Số viên chức") == staff[team.name]
        for title in plan.titles.individual:
            assert _cell(grid, team.name, title.name) == registered[(team.name, title.name)], (team.name, title.name)
    assert _cell(grid, "Toàn trường", "Tổng") == sum(registered.values())
    assert _cell(grid, "Toàn trường", "Số viên chức") == len(sheets.team_by_email)
    not_registered = _table(tables, "Bảng 5.")
    assert len(not_registered) - 1 == len(sheets.team_by_email) - sum(registered.values())


def test_exemplar_reports_count_each_quarters_nominations(demo: tuple[Path, Any], summary: dict[str, Any],
                                                          sheets: SampleSheets, plan: Plan) -> None:
    quarter_words = {"1": 1, "i": 1, "2": 2, "ii": 2, "3": 3, "iii": 3, "4": 4, "iv": 4}

    def quarter(r: dict[str, str]) -> int:
        return quarter_words[r["quarter"].lower().replace("quý", "").strip()]

    for deadline in (d for d in plan.deadlines if d.kind.value == "exemplars"):
        row = summary[deadline.id]
        chosen = [r for r in sheets.latest("F4", _as_of(row), lambda r: (sheets.team(r), quarter(r)))
                  if quarter(r) == deadline.quarter]
        counts = Counter(sheets.team(r) for r in chosen)
        grid = _table(_tables(demo[0] / row["docx"]), "Bảng 1.")
        for team in plan.teams:
            assert _cell(grid, team.name, "Số gương được giới thiệu") == counts[team.name], (deadline.id, team.name)
        assert _cell(grid, "Toàn trường", "Số gương được giới thiệu") == len(chosen)


def test_evaluation_report_counts_proposed_titles_per_team(demo: tuple[Path, Any], summary: dict[str, Any],
                                                           sheets: SampleSheets, plan: Plan) -> None:
    row = summary["D5"]
    proposed = sheets.by_team(sheets.latest("F6", _as_of(row), lambda r: r["email"].strip().lower()),
                              lambda r: r["proposed_title"].strip())
    grid = _table(_tables(demo[0] / row["docx"]), "Bảng 2.")
    for team in plan.teams:
        for title in plan.titles.individual:
            assert _cell(grid, team.name, title.name) == proposed[(team.name, title.name)], (team.name, title.name)


def test_review_reports_count_achievements_per_phase_and_team(demo: tuple[Path, Any], summary: dict[str, Any],
                                                              sheets: SampleSheets, plan: Plan) -> None:
    for deadline in (d for d in plan.deadlines if d.kind.value in ("interim", "annual")):
        row = summary[deadline.id]
        tables = _tables(demo[0] / row["docx"])
        achievements = sheets.latest("F3", _as_of(row), lambda r: (r["email"].strip().lower(), r["phase"].strip()))
        for index, phase in enumerate((p for p in plan.phases if p.start <= _as_of(row).date()), start=1):
            counts = Counter(sheets.team(r) for r in achievements if r["phase"].strip() == phase.name)
            grid = _table(tables, f"Bảng {index}b.")
            for team in plan.teams:
                assert _cell(grid, team.name, "Thành tích") == counts[team.name], (deadline.id, phase.id, team.name)


def test_every_spoiled_row_is_in_the_rejects_with_its_row_number(demo: tuple[Path, Any], sheets: SampleSheets,
                                                                 summary: dict[str, Any]) -> None:
    with (demo[0] / "rejects.csv").open(encoding="utf-8", newline="") as file:
        rejected = {(r["source"], int(r["row"])) for r in csv.DictReader(file)}
    read_by_some_deadline = {sid for sid, rows in sheets.spoiled.items() if rows}
    expected = {(sid, row) for sid in read_by_some_deadline for row in sheets.spoiled[sid]}
    assert rejected == expected


def _delivered(out: Path) -> list[Any]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((out / "mail").glob("*.eml"))]


def _keep_as_artifact(pdf: Path, checks: list[Any]) -> None:
    """The first page and the signature page as PNG, and the validator's report, in tests/artifacts/."""
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                            check=True).stdout).group(1))  # type: ignore[union-attr]
    for page, name in ((1, "demo-signed-report"), (pages, "demo-signed-report-signatures")):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(artifacts / name)], check=True, timeout=60)
    (artifacts / "demo-signed-report-validation.txt").write_text(
        "\n\n".join(f"== {c.field} ==\n{c.details}" for c in checks), encoding="utf-8")


def test_every_delivered_report_is_signed_by_the_principal_and_the_school_with_a_test_certificate(
        demo: tuple[Path, subprocess.CompletedProcess[str]], summary: dict[str, Any], plan: Plan,
        tmp_path: Path) -> None:
    out, run = demo
    assert "Chữ ký số THỬ NGHIỆM" in run.stdout and TEST_MARK in " ".join(run.stdout.split())
    sent_digests = set()
    for number, message in enumerate(_delivered(out)):
        report = next(message.iter_attachments())
        pdf = tmp_path / f"{number}.pdf"
        pdf.write_bytes(report.get_content())
        checks = validate(pdf, [out / "chu-ky-so-thu" / "ca.pem"])
        assert [c.field for c in checks] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuanToChuc"]
        assert all(c.intact and c.valid and c.trusted for c in checks), [c.details for c in checks]
        assert checks[-1].covers_whole_file
        assert plan.signer.name in checks[0].signer and plan.school.name in checks[1].signer
        assert all(TEST_MARK in c.signer for c in checks)
        sent_digests.add(hashlib.sha256(pdf.read_bytes()).hexdigest())
        if number == 0:  # the registration report as the district receives it, for the closing note
            _keep_as_artifact(pdf, checks)
    assert {row["signed_sha256"] for row in summary.values()} == sent_digests  # what was recorded is what went out


#: Vietnamese abbreviations a report may use, each spelled out in the caption of the table that uses it.
SPELLED_OUT = frozenset(COMPLETION_SHORT.values())


def _pdf_text(data: bytes, path: Path) -> str:
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def test_nothing_internal_reaches_a_recipient_and_the_email_counts_and_names_its_attachments(
        demo: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    out, _ = demo
    for number, message in enumerate(_delivered(out)):
        report, annex = message.iter_attachments()
        names = [report.get_filename(), annex.get_filename()]
        body = message.get_body(("plain",)).get_content()
        page = re.sub(r"<[^>]+>", " ", message.get_body(("html",)).get_content())
        assert f"Kèm theo thư này có 02 tệp: 1. {names[0]}; 2. {names[1]}." in " ".join(body.split())
        workbook = openpyxl.load_workbook(io.BytesIO(annex.get_content()), read_only=True)
        cells = " ".join(str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
                         for c in row if c is not None)
        for where, text in (("tiêu đề", str(message["Subject"])), ("tên tệp", " ".join(names)), ("thư", body),
                            ("thư HTML", html.unescape(page)), ("phụ lục", cells),
                            ("báo cáo", _pdf_text(report.get_content(), tmp_path / f"{number}.pdf"))):
            codes = set(re.findall(r"[A-Z_]{6,}", text)) - SPELLED_OUT
            assert not codes, (message["Subject"], where, codes)
            assert not re.search(r"D\d - ", text), (message["Subject"], where)


def test_running_again_sends_nothing_twice(demo: tuple[Path, subprocess.CompletedProcess[str]],
                                          summary: dict[str, Any], tmp_path: Path,
                                          prefect_server: PrefectServer) -> None:
    # Again over a copy of the first run's folder (ledger, mailbox, reports): the first run's output is shared with
    # test_google_demo.py, which may be reading it on another xdist worker right now.
    out = tmp_path / "demo"
    shutil.copytree(demo[0], out, symlinks=True)
    built = {p: p.stat().st_mtime_ns for folder in ("reports", "approved", "signed") for p in (out / folder).iterdir()}
    again = run_demo(out, server=prefect_server)  # the run's server: no embedded one started for nine short runs
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(list((out / "mail").glob("*.eml"))) == 9
    second = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {row["delivery"] for row in second} == {"already_sent"}
    assert [row["message_id"] for row in second] == [summary[row["id"]]["message_id"] for row in second]
    # Every version was already delivered: nothing read, rendered, converted or signed again, and it says so.
    assert {p: p.stat().st_mtime_ns for p in built} == built
    assert {row["rows_read"] for row in second} == {None}
    assert "9 báo cáo đã gửi trước đó" in " ".join(again.stdout.split())
    for row in second:
        first = summary[row["id"]]
        assert (row["report"], row["sent_at"], row["signed_sha256"]) == (first["report"], first["sent_at"],
                                                                         first["signed_sha256"])
