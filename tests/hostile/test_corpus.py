"""The hostile-input corpus: one folder per case under tests/hostile/cases (its input files and expected.yaml),
run by kind. A new case is a new folder; nothing here knows any case by name.

Kinds: `plan` (the seed plan with `edits`/`append`, or `plan.bin` as the file's bytes: refused with message
fragments and a line, or accepted), `rows` (CSV/XLSX exports named by source id, with the seed plan: refused
whole, or rows kept/rejected with reasons, control characters counted, reminders sent to exactly whom),
`annex` (a text written to the annex and to rejects.csv comes back inert), `template` (a line added to a shipped
template is refused and runs nothing), `credentials` (a raw secret is read or refused without being echoed),
`delivery` (a damaged or lost ledger, a mail server's faults, the state a kill -9 leaves: each run's status or
error, the emails received, the ledger after). tests/hostile/README.md lists the kinds and what stays a plain test.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
from collections.abc import Callable
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from connectors.annex import write_annex
from connectors.delivery import deliver_once
from connectors.google.api import GoogleAuthError
from connectors.google.auth import parse_credentials
from connectors.ledger import SqlLedger
from connectors.local.documents import LocalDocumentBuilder, TemplateError
from connectors.local.files import SourceFileError, read_table
from connectors.local.rejects import write_rejects
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer, message_ids_in
from connectors.ports import DeliveryKey
from tests.delivery.support import DISTRICT, FakeClock, report_email
from tests.prefect_server import free_port
from thidua.drafts import controls_note
from thidua.pipeline import collect
from thidua.plan import Plan, PlanError, SourceKind, decode_plan, parse_plan
from thidua.records import Reject
from thidua.reminders import missing, reminder_emails
from thidua.rows import Table
from thidua.validate import SourceShapeError
from thidua_cli.failures import known_failure

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
TEMPLATES = REPO / "templates"
CASES = sorted(p for p in (HERE / "cases").iterdir() if (p / "expected.yaml").is_file())
END_OF_YEAR = "2024-12-31T23:59:00+07:00"
ENGLISH = ("Input should", "Traceback", "Error:", "valid integer", "valid tuple", "Field required")


def _plan_bytes(folder: Path, expected: dict[str, Any]) -> bytes:
    if (folder / "plan.bin").is_file():
        return (folder / "plan.bin").read_bytes()
    text = SEED.read_text(encoding="utf-8")
    for old, new in expected.get("edits", []):
        assert old in text, f"the case's edit no longer applies to the seed plan: {old!r}"
        text = text.replace(old, new, 1)
    return (text + expected.get("append", "")).encode("utf-8")


def _load(data: bytes) -> Plan:
    return parse_plan(decode_plan(data, "plan.yaml"), filename="plan.yaml")


def run_plan(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    started = time.monotonic()
    try:
        _load(_plan_bytes(folder, expected))
        problems: list[str] | None = None
    except PlanError as error:
        problems = error.problems
    elapsed = time.monotonic() - started
    assert elapsed < expected.get("max_seconds", 10), f"took {elapsed:.1f} s"
    if expected.get("accepted"):
        assert problems is None, problems
        return
    assert problems, "the plan was accepted"
    joined = "\n".join(problems)
    for fragment in expected["refused"]:
        assert fragment in joined, joined
    if "line" in expected:
        assert f"dòng {expected['line']}" in joined, joined
    for fragment in (*ENGLISH, *expected.get("absent", [])):
        assert fragment not in joined, joined
    assert all(p.startswith("plan.yaml") for p in problems), problems


def _reminded(plan: Plan, collected: Any) -> list[str]:
    deadline = plan.deadline("D1")
    now = dt.datetime.fromisoformat("2024-03-10T08:00:00+07:00")
    emails = reminder_emails(plan, deadline, missing(plan, deadline, collected.dataset), collected.dataset,
                             days_before=3, form_names={s.kind: s.name for s in plan.sources}, now=now)
    return sorted(address for email in emails for _, address in getaddresses(email.message.get_all("To", [])))


def run_rows(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    plan = _load(_plan_bytes(folder, {"edits": expected.get("edits", [])}))
    sources = {s.id: s for s in plan.sources}
    tables: dict[str, Table] = {}
    refused = ""
    try:
        for path in sorted(folder.iterdir()):
            if path.suffix in (".csv", ".xlsx"):
                source = sources[path.stem]
                tables[source.id] = read_table(path, source.id, source.sheet)
        collected = collect(plan, tables, dt.datetime.fromisoformat(expected.get("as_of", END_OF_YEAR)))
    except (SourceFileError, SourceShapeError) as error:
        refused = str(error)
    if "refused" in expected:
        assert refused, "the source was read"
        for fragment in expected["refused"]:
            assert fragment in refused, refused
        return
    assert not refused, refused
    counts = {c.source_id: c for c in collected.counts}
    for source_id, kept in expected.get("kept", {}).items():
        assert counts[source_id].rows_accepted == kept, collected.rejects
    for source_id, rejected in expected.get("rejected_rows", {}).items():
        assert counts[source_id].rows_rejected == rejected, collected.rejects
    for source_id, read in expected.get("read", {}).items():
        assert counts[source_id].rows_read == read
    for source_id, count in counts.items():  # nothing dropped: every row read is kept or rejected
        assert count.rows_accepted + count.rows_rejected + count.superseded >= count.rows_read, source_id
    reasons = [r.reason for r in collected.rejects]
    for fragment in expected.get("reasons", []):
        assert any(fragment in reason for reason in reasons), reasons
    if "controls_removed" in expected:
        assert sum(t.controls_removed for t in tables.values()) == expected["controls_removed"]
        assert sum(c.controls_removed for c in counts.values()) == expected["controls_removed"]
        note = controls_note(collected)  # what the clerk reads in the run's summary and the preview
        assert (f"Đã xoá {expected['controls_removed']} ký tự" in note) if expected["controls_removed"] else not note
    if "reminded" in expected:
        assert _reminded(plan, collected) == sorted(expected["reminded"])


def run_annex(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    text = expected["text"]
    shown = "'" + text if expected["neutralised"] else text
    context = {"title": text, "tables": [{"caption": "Bảng 1. Thử", "headers": [text, "Số"], "rows": [[text, "1"]]}]}
    workbook = load_workbook(write_annex(context, tmp_path / "annex.xlsx"))
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert sum(1 for c in cells if c.value == shown) == 3  # the cover's title, the header, the row
    rejects = tmp_path / "rejects.csv"
    write_rejects(rejects, [Reject("F1", text, 2, text, text, text)])
    with rejects.open(encoding="utf-8", newline="") as handle:
        (_, row) = list(csv.reader(handle))
    assert row == ["F1", shown, "2", shown, shown, shown]


def run_template(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    templates = tmp_path / "templates"
    templates.mkdir()
    document = Document(str(TEMPLATES / "registration.docx"))
    document.add_paragraph(expected["line"].replace("MARKER", str(marker)))
    document.save(str(templates / "registration.docx"))
    shutil.copy(REPO / "tests" / "fixtures" / "contexts" / "D1.json", tmp_path / "D1.json")
    import json

    context = json.loads((tmp_path / "D1.json").read_text(encoding="utf-8"))
    with pytest.raises(TemplateError):
        LocalDocumentBuilder(templates, tmp_path / "out").build("registration", context, "D1")
    assert not marker.exists()
    assert not (tmp_path / "out" / "D1.docx").exists()


def run_credentials(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    raw = (folder / "raw.txt").read_text(encoding="utf-8")
    if expected.get("accepted"):
        assert parse_credentials(raw)["type"] == "service_account"
        return
    with pytest.raises(GoogleAuthError) as caught:
        parse_credentials(raw)
    for fragment in expected["refused"]:
        assert fragment in str(caught.value)
    assert expected["marker"] not in str(caught.value)


KEY = DeliveryKey("lax", "D3", 1)


def _open_ledger(path: Path, clock: FakeClock) -> SqlLedger:
    return SqlLedger(f"sqlite:///{path}", clock=clock)


def run_delivery(folder: Path, expected: dict[str, Any], tmp_path: Path) -> None:
    """One report's delivery key, run `runs` times an hour apart (a task's retries, re-runs of the deadline) from the
    state a damaged or lost ledger, a faulty mail server or a kill -9 left, against a real loopback SMTP server."""
    clock = FakeClock()
    ledger_path, maildir = tmp_path / "deliveries.sqlite", tmp_path / "mail"
    if (folder / "deliveries.sqlite").is_file():
        shutil.copy(folder / "deliveries.sqlite", ledger_path)
    message = report_email(recipients=tuple(expected.get("recipients", [DISTRICT])))
    message_id, recipients = str(message["Message-ID"]), tuple(expected.get("recipients", [DISTRICT]))
    before = expected.get("before")
    if before:
        ledger = _open_ledger(ledger_path, clock)
        ledger.begin(KEY, "<another.build@lax.example>" if before == "other-message-id" else message_id, recipients)
        if before == "sent":
            ledger.mark_sent(KEY, clock())
    if expected.get("in_mailbox"):  # the report a run sent before it died or its ledger was lost
        maildir.mkdir()
        (maildir / "1-earlier.eml").write_bytes(message.as_bytes())
    clock.advance(dt.timedelta(minutes=expected.get("minutes_later", 0)))
    statuses: list[str | None] = []
    errors: list[Exception] = []
    with LoopbackSmtpServer(maildir, refused_recipients=expected.get("refused", [])) as server:
        for run in range(1, expected["runs"] + 1):
            port = free_port() if run in expected.get("down_runs", []) else server.port  # nothing listens there
            try:
                outcome = deliver_once(_open_ledger(ledger_path, clock), SmtpMailer("127.0.0.1", port, timeout=5),
                                       message, KEY, sent_ids=lambda: message_ids_in(maildir), now=clock)
                statuses.append(outcome.status.value)
            except Exception as error:  # what each run raised is the case's expectation
                statuses.append(None)
                errors.append(error)
            clock.advance(dt.timedelta(hours=1))
        received = server.received
    assert received == expected["received"]
    copies = [p for p in maildir.glob("*.eml") if message_id in p.read_text(encoding="utf-8", errors="replace")]
    assert len(copies) <= 1, "the report reached the mailbox twice"
    if "statuses" in expected:
        assert statuses == expected["statuses"], (statuses, errors)
    if "raises_first" in expected:
        assert errors and type(errors[0]).__name__ == expected["raises_first"], errors
    if "raises" in expected:
        assert len(errors) == expected["runs"], statuses
        for error in errors:
            said = known_failure(error) if expected["raises"] == "damaged" else str(error)
            if expected["raises"] != "damaged":
                assert type(error).__name__ == expected["raises"], error
            assert said is not None, f"not a known failure: {error!r}"
            for fragment in expected.get("says", []):
                assert fragment in said, said
    if "ledger_state" in expected:
        record = _open_ledger(ledger_path, clock).get(KEY)
        assert (record.state.value if record else "absent") == expected["ledger_state"]
        if "ledger_recipients" in expected:
            assert record is not None and list(record.recipients) == expected["ledger_recipients"]


RUNNERS: dict[str, Callable[[Path, dict[str, Any], Path], None]] = {
    "plan": run_plan, "rows": run_rows, "annex": run_annex, "template": run_template,
    "credentials": run_credentials, "delivery": run_delivery,
}


def test_the_corpus_has_at_least_a_hundred_cases_of_every_kind_it_names() -> None:
    kinds = {yaml.safe_load((c / "expected.yaml").read_text(encoding="utf-8"))["kind"] for c in CASES}
    assert len(CASES) >= 100 and kinds == set(RUNNERS)


@pytest.mark.parametrize("folder", CASES, ids=[c.name for c in CASES])
def test_hostile_case(folder: Path, tmp_path: Path) -> None:
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    RUNNERS[expected["kind"]](folder, expected, tmp_path)


_ = SourceKind  # the plan's kinds name the sources a case's files are read as
