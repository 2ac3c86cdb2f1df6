"""Short emails inside the school — reminders, alerts to the clerk — built as data, never to an unknown address.

Pure like `thidua.mail`: the caller passes the Message-ID and the Date, and the allow-list the addresses must be in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from thidua.mail import UNFOLDED_HEADERS, MailBuildError, check_recipients
from thidua.text import nfc


def notice_tag(purpose: str, recipient: str) -> str:
    """One notice's identity: its purpose (e.g. "D3-nhac7") and the person, without their address in clear."""
    return f"{purpose}.{hashlib.sha256(recipient.casefold().encode()).hexdigest()[:12]}"


def notice_message_id(plan_id: str, purpose: str, recipient: str, domain: str) -> str:
    """Deterministic per plan, purpose and person, so a re-run finds the notice it already sent."""
    return f"<thidua.{plan_id}.{notice_tag(purpose, recipient)}@{domain.lower()}>"


def build_notice(
    *,
    sender: str,
    sender_name: str,
    recipients: Sequence[str],
    allow_list: Collection[str],
    subject: str,
    body: str,
    message_id: str,
    header_date: datetime,
) -> EmailMessage:
    """A plain-text UTF-8 email; refused whole if any recipient is off the allow-list."""
    check_recipients(recipients, allow_list)
    if header_date.utcoffset() is None:
        raise MailBuildError("Ngày gửi thư phải có múi giờ.")
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=nfc(sender_name), addr_spec=sender)
    message["To"] = ", ".join(recipients)
    message["Subject"] = nfc(" ".join(subject.split()))
    message["Message-ID"] = message_id
    message["Date"] = header_date.strftime("%a, %d %b %Y %H:%M:%S %z")
    message.set_content(nfc(body), subtype="plain", charset="utf-8", cte="base64")
    message.policy = UNFOLDED_HEADERS  # see thidua.mail: CPython's folder can drop spaces in Vietnamese subjects
    return message
