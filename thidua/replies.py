"""The principal's decision written as a reply to the draft email: "Duyệt" or "Không duyệt: <lý do>".

Pure: the Gmail connector hands over each reply's sender and text, this module says what it decides. Only the
reply's own words count (the quoted draft below it is dropped), only its first line carrying words decides, and
only a reply from the principal's own address is a decision at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses

from thidua.text import clean, fold

# What a mail client puts between the reply and the quoted message, in Vietnamese and English clients.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"(?:vào|vao|on)\b.*\b(?:viết|viet|wrote)\s*:?\s*$"  # "Vào 10:00 ngày … đã viết:", "On … wrote:"
    r"|-{2,}\s*(?:original message|forwarded message|thư gốc|thu goc|thư chuyển tiếp)\s*-{2,}"
    r"|_{5,}"  # Outlook's rule above the quoted header block
    r"|--\s*$"  # the signature separator
    r"|(?:from|từ|tu)\s*:.*@.*"  # Outlook's "From: …" block
    r")",
    re.IGNORECASE,
)
# Folded (no diacritics, lower case) openings; the refusals are tried first ("không duyệt" contains "duyệt").
_REJECT = ("khong duyet", "khong phe duyet", "khong dong y", "tu choi", "chua duyet", "chua dong y")
_APPROVE = ("duyet", "phe duyet", "dong y", "da duyet", "chap thuan")
_WORD = re.compile(r"\w+")
_LEADING_PUNCTUATION = " \t:;,.-–—!"


@dataclass(frozen=True)
class ReplyDecision:
    """What a reply says: approved, or refused with the reason as written (may be empty)."""

    approved: bool
    reason: str = ""


@dataclass(frozen=True)
class EmailReply:
    """One reply found in the draft's thread, as the mail system delivered it."""

    message_id: str
    sender: str  # the From header as received
    received_at: datetime
    text: str  # the plain-text body, quoted draft included


@dataclass(frozen=True)
class ReplyVerdict:
    """The decision of the first reply from the principal that says one, and the replies that do not count."""

    decision: ReplyDecision | None
    reply: EmailReply | None
    ignored: tuple[tuple[EmailReply, str], ...]  # each with why, in Vietnamese, for the run's log


def own_words(text: str) -> str:
    """The reply without what it quotes: lines from the first quote marker or quote header on are dropped."""
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith(">") or _QUOTE_HEADER.match(line):
            break
        kept.append(line)
    return "\n".join(kept)


def parse_reply(text: str) -> ReplyDecision | None:
    """The decision the reply's first line with words states, or None when it states none ("Cảm ơn", empty); a
    refusal's reason is the rest of its paragraph."""
    paragraphs = [p for p in re.split(r"\n\s*\n", own_words(text)) if fold(p)]
    if not paragraphs:
        return None
    lines = [clean(line) for line in paragraphs[0].split("\n") if fold(line)]
    first = lines[0]
    words = list(_WORD.finditer(first))
    folded = [fold(w.group()) for w in words]
    for phrases, approved in ((_REJECT, False), (_APPROVE, True)):
        for phrase in phrases:
            n = len(phrase.split())
            if folded[:n] == phrase.split():
                if approved:
                    return ReplyDecision(True)
                rest = first[words[n - 1].end():].lstrip(_LEADING_PUNCTUATION)
                return ReplyDecision(False, " ".join(part for part in [rest, *lines[1:]] if part))
    return None


def sender_address(from_header: str) -> str:
    """The address in a From header ("Mai Thanh Bình <hieutruong@…>"), lower case; empty if none."""
    found = [address for _, address in getaddresses([from_header]) if "@" in address]
    return found[0].strip().lower() if len(found) == 1 else ""


def decide(replies: Iterable[EmailReply], principal_email: str, exclude: Sequence[str] = ()) -> ReplyVerdict:
    """The first reply (oldest first) from `principal_email` that states a decision. A reply from another address
    never decides, whatever it says; messages whose Message-ID is in `exclude` (the draft itself) are skipped."""
    principal = principal_email.strip().lower()
    ignored: list[tuple[EmailReply, str]] = []
    for reply in sorted(replies, key=lambda r: r.received_at):
        if reply.message_id in exclude:
            continue
        address = sender_address(reply.sender)
        if address != principal:
            ignored.append((reply, f"thư trả lời từ «{reply.sender}», không phải địa chỉ của Hiệu trưởng "
                                   f"({principal}): không được tính"))
            continue
        decision = parse_reply(reply.text)
        if decision is None:
            ignored.append((reply, "thư trả lời của Hiệu trưởng không ghi «Duyệt» hoặc «Không duyệt: lý do»"))
            continue
        return ReplyVerdict(decision, reply, tuple(ignored))
    return ReplyVerdict(None, None, tuple(ignored))
