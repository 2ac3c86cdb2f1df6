"""The same cases against every registered backend: a new backend proves itself by passing them.

Each case asserts a behaviour of a port (connectors.ports), never how a backend achieves it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import uuid
from email.message import EmailMessage
from typing import Any

import pytest

from connectors.delivery import DeliveryStatus, deliver_once
from connectors.ports import ANNEX_SUFFIX, DeliveryKey, DeliveryState
from flows.ledger import open_ledger
from flows.report import report_basename
from thidua import mail
from thidua.pipeline import collect, source_ids_for
from thidua.plan import ReportKind
from thidua.reports import build_context

from .conftest import BACKENDS, Contract

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_the_contract_covers_every_registered_backend() -> None:
    from connectors.backends import BACKENDS as REGISTERED

    assert sorted(REGISTERED) == sorted(BACKENDS)


# --- RowSource ---------------------------------------------------------------------------------------------------


def test_every_source_reads_back_the_sample_headers_and_cells(backend: Contract) -> None:
    tables = backend.ports.source.read_many(backend.plan.sources)
    assert sorted(tables) == sorted(s.id for s in backend.plan.sources)
    for source in backend.plan.sources:
        grid = backend.sample.grids[source.id]
        table = tables[source.id]
        assert table.source_id == source.id
        assert list(table.headers) == grid[0], source.id
        width = len(grid[0])
        expected = [[*line, *[""] * (width - len(line))] for line in grid[1:]]
        assert [[row.values[h] for h in table.headers] for row in table.rows] == expected, source.id
        assert [row.row_number for row in table.rows] == list(range(2, len(grid) + 1)), source.id


def test_reading_a_subset_returns_only_those_sources(backend: Contract) -> None:
    wanted = backend.plan.sources[1:3]
    assert sorted(backend.ports.source.read_many(wanted)) == sorted(s.id for s in wanted)


def test_a_source_that_does_not_exist_is_an_error_naming_it(backend: Contract) -> None:
    real = backend.plan.sources[0]
    # no file, no tab, and no question any tab has: nothing a backend could fairly read in its place
    ghost = real.model_copy(update={"id": "KHONGCO9", "name": "Nguồn không có", "file": "khong_co.csv",
                                    "sheet": "Trang không có",
                                    "columns": {field: f"Câu hỏi không có {field}" for field in real.columns}})
    with pytest.raises(Exception) as raised:
        backend.ports.source.read_many([ghost])
    assert "KHONGCO9" in str(raised.value), str(raised.value)  # the clerk is told which source of the plan


def test_sources_ready_says_there_is_something_to_read(backend: Contract) -> None:
    assert backend.ports.sources_ready() is True


# --- DocumentBuilder ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registration_report(backend: Contract) -> tuple[dict[str, Any], str, Any]:
    """The registration report built from the backend's own reading, with its context and its PDF text."""
    plan = backend.plan
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    as_of = dt.datetime.combine(deadline.due_before, dt.time(17), dt.UTC)
    wanted = [s for s in plan.sources if s.id in source_ids_for(plan, deadline.kind)]
    collected = collect(plan, backend.ports.source.read_many(wanted), as_of)
    # through JSON, as the flows hand a context to the builder
    context = json.loads(json.dumps(build_context(plan, deadline, collected.dataset, as_of.date()),
                                    ensure_ascii=False))
    built = backend.ports.documents.build(deadline.template, context, report_basename(plan, deadline))
    assert built.pdf is not None, "the contract needs a PDF (LibreOffice is installed here)"
    text = subprocess.run(["pdftotext", "-raw", str(built.pdf), "-"], capture_output=True, check=True,
                          text=True).stdout
    return context, " ".join(text.split()), built


def test_a_built_report_is_a_pdf_an_editable_copy_and_an_annex_named_for_the_report(
        backend: Contract, registration_report: tuple[Any, str, Any]) -> None:
    _, _, built = registration_report
    deadline = next(d for d in backend.plan.deadlines if d.kind is ReportKind.REGISTRATION)
    basename = report_basename(backend.plan, deadline)
    assert built.pdf.read_bytes().startswith(b"%PDF")
    # the editable copy: a DOCX, or (Google, without export_docx) a shortcut to the Google Doc
    assert built.docx.is_file() and built.docx.stem == built.pdf.stem == basename
    assert built.annex is not None and built.annex.name == f"{basename}{ANNEX_SUFFIX}"
    assert built.annex.read_bytes().startswith(b"PK")


def test_a_built_report_says_the_school_and_title_with_no_placeholder_left(
        registration_report: tuple[dict[str, Any], str, Any]) -> None:
    context, text, _ = registration_report
    assert " ".join(context["school_name"].split()) in text
    assert " ".join(context["title"].split()).upper() in text.upper()
    assert "{{" not in text and "}}" not in text and "{%" not in text


def test_a_built_report_carries_its_tables_numbers(registration_report: tuple[dict[str, Any], str, Any]) -> None:
    context, text, _ = registration_report
    first = context["tables"][0]
    assert first["rows"], first["caption"]
    for row in [*first["rows"], first["total"]]:
        if row:
            assert " ".join(" ".join(str(c).split()) for c in row) in text, row


# --- Mailer + Outbox ---------------------------------------------------------------------------------------------


def _message(backend: Contract, recipients: list[str]) -> EmailMessage:
    plan = backend.plan
    message_id = f"<contract-{uuid.uuid4().hex}@{plan.school.email_domain}>"
    return mail.build_report_email(
        sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=recipients,
        allow_list=plan.allow_list, subject=f"Kiểm thử hợp đồng {backend.name}", body_text="Nội dung thử.",
        body_html="<p>Nội dung thử.</p>", attachment=b"%PDF-1.4\n%%EOF\n", attachment_name="bao-cao.pdf",
        attachment_mime="application/pdf", message_id=message_id,
        header_date=dt.datetime(2024, 9, 20, 8, 0, tzinfo=dt.UTC),
    )


def test_a_sent_message_is_found_in_the_outbox_by_its_message_id(backend: Contract) -> None:
    message = _message(backend, backend.plan.recipient_emails(backend.plan.deadlines[0]))
    message_id = str(message["Message-ID"])
    assert backend.ports.outbox.sent_ids(message_id) == set()
    backend.ports.mailer.send(message)
    assert backend.ports.outbox.sent_ids(message_id) == {message_id}
    assert backend.ports.outbox.sent_ids(f"<other-{uuid.uuid4().hex}@x.vn>") == set()


def test_a_message_outside_the_allow_list_is_never_sent(backend: Contract) -> None:
    stranger = "nguoi.la@ngoai-truong.example"
    assert stranger not in backend.plan.allow_list
    with pytest.raises(mail.RecipientNotAllowed) as refused:
        _message(backend, [*backend.plan.recipient_emails(backend.plan.deadlines[0]), stranger])
    assert refused.value.refused == (stranger,)


def test_deliver_once_sends_through_the_backend_exactly_once(backend: Contract, tmp_path: Any) -> None:
    message = _message(backend, backend.plan.recipient_emails(backend.plan.deadlines[0]))
    message_id = str(message["Message-ID"])
    settings = backend.settings.model_copy(update={"ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"})
    key = DeliveryKey(backend.plan.id, f"contract-{uuid.uuid4().hex[:8]}", 1)
    ledger = open_ledger(settings)
    sent_ids = lambda: backend.ports.outbox.sent_ids(message_id)  # noqa: E731
    now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    first = deliver_once(ledger, backend.ports.mailer, message, key, sent_ids, now)
    again = deliver_once(ledger, backend.ports.mailer, message, key, sent_ids, now)
    assert first.status is DeliveryStatus.SENT and again.status is DeliveryStatus.ALREADY_SENT
    assert sent_ids() == {message_id}
    record = ledger.get(key)
    assert record is not None and record.state is DeliveryState.SENT and record.message_id == message_id


# --- Ledger (backend-neutral: the SQL ledger every backend's run opens) -----------------------------------------


def test_ledger_round_trip_begin_sent_history_approve(backend: Contract, tmp_path: Any) -> None:
    settings = backend.settings.model_copy(update={"ledger_url": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"})
    ledger = open_ledger(settings)
    deadline = backend.plan.deadlines[0].id
    first, second = DeliveryKey(backend.plan.id, deadline, 1), DeliveryKey(backend.plan.id, deadline, 2)
    begun = ledger.begin(first, "<v1@x.vn>", ("a@x.vn",))
    assert begun.owned and begun.state is DeliveryState.PENDING and begun.attempt == 1
    assert not ledger.begin(first, "<v1@x.vn>", ("a@x.vn",)).owned
    sent_at = dt.datetime(2024, 9, 20, 8, 0, tzinfo=dt.UTC)
    assert ledger.mark_sent(first, sent_at).sent_at == sent_at
    assert ledger.mark_sent(first, sent_at + dt.timedelta(hours=1)).sent_at == sent_at
    ledger.begin(second, "<v2@x.vn>", ("a@x.vn",))
    assert [(r.version, r.state) for r in ledger.history(backend.plan.id, deadline)] == [
        (1, DeliveryState.SENT), (2, DeliveryState.PENDING)]
    report = tmp_path / "bao-cao.pdf"
    report.write_bytes(b"%PDF-1.4\n")
    digest = hashlib.sha256(report.read_bytes()).hexdigest()
    approval = ledger.approve(second, report, digest, "Hiệu trưởng", "Đồng ý")
    assert ledger.approve(second, report, "0" * 64, "Người khác").sha256 == digest  # the first approval stands
    assert ledger.approval(second) == approval and ledger.approval(first) is None
    assert re.fullmatch(r"[0-9a-f]{64}", approval.sha256)
