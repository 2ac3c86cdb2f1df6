"""The principal's emailed decision: how a reply's words are read, and whose reply counts."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest

from thidua.replies import EmailReply, ReplyDecision, decide, own_words, parse_reply, sender_address

GMAIL_QUOTE = ("\n\nVào Th 2, 1 thg 12, 2026 vào lúc 08:00 Văn thư <vanthu@lax.edu.vn> đã viết:\n"
               "> Kính gửi Hiệu trưởng,\n> Duyệt hoặc Không duyệt\n")


@pytest.mark.parametrize("text", [
    "Duyệt", "duyet", "DUYỆT.", "  Duyệt!  ", "Phê duyệt", "phe duyet, gui di", "Đồng ý", "dong y",
    "Duyệt\n\nMai Thanh Bình", "Duyệt" + GMAIL_QUOTE, "Đã duyệt.", "Chấp thuận",
    unicodedata.normalize("NFD", "Duyệt"),  # a keyboard that types decomposed marks
    "Duyệt\r\n\r\nOn Mon, Dec 1, 2026 at 8:00 AM Van Thu <vanthu@lax.edu.vn> wrote:\r\n> Không duyệt\r\n",
])
def test_approving_phrasings_approve(text: str) -> None:
    assert parse_reply(text) == ReplyDecision(True)


@pytest.mark.parametrize(("text", "reason"), [
    ("Không duyệt: thiếu tổ Toán", "thiếu tổ Toán"),
    ("khong duyet: thieu to Toan", "thieu to Toan"),
    ("KHÔNG DUYỆT - bổ sung gương tổ Văn phòng.", "bổ sung gương tổ Văn phòng."),
    ("Không duyệt", ""),
    ("Không duyệt.", ""),
    ("Không đồng ý: số liệu tổ Ngữ văn sai", "số liệu tổ Ngữ văn sai"),
    ("Từ chối, lập lại", "lập lại"),
    ("Không duyệt:\nthiếu tổ Toán\nvà tổ Văn phòng\n\nMai Thanh Bình", "thiếu tổ Toán và tổ Văn phòng"),
    ("Không duyệt: thiếu tổ Toán" + GMAIL_QUOTE, "thiếu tổ Toán"),
    ("Chưa duyệt: chờ tổ Toán nộp", "chờ tổ Toán nộp"),
])
def test_refusing_phrasings_refuse_with_the_reason_as_written(text: str, reason: str) -> None:
    assert parse_reply(text) == ReplyDecision(False, reason)


@pytest.mark.parametrize("text", [
    "", "   \n  ", "Cảm ơn cô", "Tôi sẽ xem sau", "> Duyệt", GMAIL_QUOTE, "Duyệtt", "Okay",
    "Em xem lại giúp\n\nDuyệt",  # only the first paragraph's first line decides
    "-- \nDuyệt",  # a signature is not the reply
])
def test_replies_stating_no_decision_decide_nothing(text: str) -> None:
    assert parse_reply(text) is None


def test_quoted_text_and_what_follows_it_are_not_the_reply() -> None:
    text = "Duyệt\n> Không duyệt\nmore"
    assert own_words(text) == "Duyệt"
    outlook = "Không duyệt: sai số\n________________________________\nFrom: Van Thu <vanthu@lax.edu.vn>\nDuyệt"
    assert parse_reply(outlook) == ReplyDecision(False, "sai số")


def test_sender_address_reads_the_from_header() -> None:
    assert sender_address("Mai Thanh Bình <HieuTruong@LAX.edu.vn>") == "hieutruong@lax.edu.vn"
    assert sender_address("=?utf-8?q?x?= <a@b.vn>") == "a@b.vn"
    assert sender_address("no address") == ""
    assert sender_address("a@b.vn, c@d.vn") == ""  # two senders: nobody's decision


T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _reply(sender: str, text: str, minutes: int, message_id: str = "") -> EmailReply:
    return EmailReply(message_id or f"<{minutes}@x>", sender, T0 + timedelta(minutes=minutes), text)


def test_only_the_principals_own_address_decides_and_others_are_reported() -> None:
    principal = "hieutruong@lax.edu.vn"
    replies = [
        _reply("Hiệu trưởng <hieutruong@lax.edu.vn>", "Không duyệt: thiếu tổ Toán", 5),
        _reply("Kẻ mạo danh <hieutruong@lax-edu.vn>", "Duyệt", 1),
        _reply("Văn thư <vanthu@lax.edu.vn>", "Duyệt", 2),
        _reply("Hieu truong <HIEUTRUONG@lax.edu.vn>", "Cảm ơn, để tôi xem", 3),
    ]
    verdict = decide(replies, principal)
    assert verdict.decision == ReplyDecision(False, "thiếu tổ Toán")
    assert verdict.reply is replies[0]
    assert [r.sender for r, _ in verdict.ignored] == [replies[1].sender, replies[2].sender, replies[3].sender]
    assert "không phải địa chỉ của Hiệu trưởng" in verdict.ignored[0][1]


def test_the_earliest_decision_of_the_principal_stands_and_the_draft_itself_is_skipped() -> None:
    principal = "hieutruong@lax.edu.vn"
    draft = _reply(principal, "Duyệt", 0, "<draft@x>")  # the draft quoting the instructions, sent as the principal
    replies = [_reply(principal, "Không duyệt: sai", 9), draft, _reply(principal, "Duyệt", 4)]
    verdict = decide(replies, principal, exclude=["<draft@x>"])
    assert verdict.decision == ReplyDecision(True) and verdict.reply is replies[2]
    assert decide([], principal).decision is None
