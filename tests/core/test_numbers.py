"""Document numbers as Nghị định 30/2020 writes them, in the report's header and in the email."""

from __future__ import annotations

import datetime as dt

from thidua.mail import compose_report_texts
from thidua.plan import Plan
from thidua.reports import number_line, official_number, report_symbol


def test_numbers_below_ten_take_a_leading_zero_and_larger_ones_are_as_they_are() -> None:
    assert [official_number(n) for n in (1, 5, 9, 10, 12, 123)] == ["01", "05", "09", "10", "12", "123"]


def test_the_header_line_carries_the_number_or_leaves_room_for_the_clerk(plan: Plan) -> None:
    assert report_symbol(plan) == f"BC-{plan.school.symbol}"
    assert number_line(plan, "05") == f"Số: 05/BC-{plan.school.symbol}"
    assert number_line(plan, "") == f"Số:       /BC-{plan.school.symbol}"


def test_the_report_email_names_the_documents_number() -> None:
    texts = compose_report_texts(
        school_name="Trường THCS Lê Anh Xuân", report_title="Báo cáo sơ kết 6 tháng",
        recipient_office="Phòng GDĐT", deadline=dt.date(2024, 5, 22), signer_title="Hiệu trưởng",
        signer_name="Mai Thanh Bình", version=1, document_number="05/BC-LAX")
    assert "(số 05/BC-LAX)" in texts.subject
    assert "văn bản số 05/BC-LAX: Báo cáo sơ kết 6 tháng" in texts.body_text
    unnumbered = compose_report_texts(
        school_name="T", report_title="B", recipient_office="P", deadline=dt.date(2024, 5, 22),
        signer_title="H", signer_name="M", version=1)
    assert "số" not in unnumbered.subject
