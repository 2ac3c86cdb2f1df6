"""What lets a deadline run stop before building (flows.delivery.already_delivered): only a `sent` ledger row, under
this email's Message-ID, that reached every recipient the plan names now. Real SQLite ledger, the seed plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from connectors.ledger import SqlLedger
from connectors.ports import DeliveryKey
from flows.delivery import already_delivered
from flows.settings import DEFAULT_PLAN, RunSettings
from thidua import mail
from thidua.plan import Plan, parse_plan

TEXT = DEFAULT_PLAN.read_text(encoding="utf-8")
PLAN = parse_plan(TEXT)
KEY = DeliveryKey(PLAN.id, "D3", 1)
MESSAGE_ID = mail.report_message_id(PLAN.id, "D3", 1, PLAN.school.email_domain)
SENT_AT = dt.datetime(2024, 5, 20, 8, 0, 3, tzinfo=dt.timezone(dt.timedelta(hours=7)))
D3_RECIPIENTS = "recipients: [phong-gddt, ubnd-quan]"  # D3's line (D6 has the same one, later in the file)


def _settings(tmp_path: Path) -> RunSettings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return RunSettings(plan_path=DEFAULT_PLAN, data_dir=tmp_path / "data", out_dir=tmp_path)


def _record(settings: RunSettings, recipients: tuple[str, ...], message_id: str = MESSAGE_ID, sent: bool = True,
            refused: int = 0) -> None:
    """The ledger as a run leaves it: begun for `recipients`, then sent (the server refusing the last `refused`)."""
    ledger = SqlLedger(settings.ledger_database, clock=lambda: SENT_AT)
    ledger.begin(KEY, message_id, recipients)
    if sent:
        ledger.mark_sent(KEY, SENT_AT, recipients[:len(recipients) - refused] if refused else None)


def _with_d3_also_to(recipient_id: str) -> Plan:
    assert TEXT.count(D3_RECIPIENTS) == 2
    return parse_plan(TEXT.replace(D3_RECIPIENTS, f"recipients: [phong-gddt, ubnd-quan, {recipient_id}]", 1))


def test_a_version_sent_to_every_recipient_is_already_delivered(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _record(settings, tuple(r.upper() for r in PLAN.recipient_emails(PLAN.deadline("D3"))))  # any letter case
    earlier = already_delivered(settings, PLAN, "D3", 1)
    assert earlier is not None
    assert (earlier.status, earlier.message_id, earlier.sent_at) == ("already_sent", MESSAGE_ID, SENT_AT)
    assert earlier.recipients == PLAN.recipient_emails(PLAN.deadline("D3"))
    assert already_delivered(settings, PLAN, "D3", 2) is None  # a replacement version is a new delivery


def test_a_recipient_added_to_the_plan_after_the_send_means_not_delivered(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _record(settings, PLAN.recipient_emails(PLAN.deadline("D3")))
    assert already_delivered(settings, _with_d3_also_to("hdtdkt-quan"), "D3", 1) is None


def test_maybe_sent_refused_or_under_another_message_id_is_left_to_deliver_once(tmp_path: Path) -> None:
    recipients = PLAN.recipient_emails(PLAN.deadline("D3"))
    for case, (message_id, sent, refused) in {
        "pending": (MESSAGE_ID, False, 0),
        "one refused": (MESSAGE_ID, True, 1),
        "other Message-ID": (MESSAGE_ID.replace("@", "@cu."), True, 0),
    }.items():
        settings = _settings(tmp_path / case.replace(" ", "-"))
        _record(settings, recipients, message_id, sent, refused)
        assert already_delivered(settings, PLAN, "D3", 1) is None, case
