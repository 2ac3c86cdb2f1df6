from __future__ import annotations

import datetime as dt

import pytest

from thidua.pipeline import collect
from thidua.plan import Plan
from thidua.rows import Table
from thidua.validate import SourceShapeError

LATE = dt.datetime(2024, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _table(plan: Plan, source_id: str, rows: list[list[str]], headers: list[str] | None = None) -> Table:
    source = next(s for s in plan.sources if s.id == source_id)
    return Table.from_cells(source_id, source.sheet, [headers or list(source.columns.values()), *rows])


@pytest.fixture
def roster(plan: Plan) -> Table:
    return _table(plan, "roster", [["Nguyễn Thị Lan", "lan@x.vn", "Toán", "Giáo viên", ""],
                                   ["Trần Văn Bình", "binh@x.vn", "Ngữ văn", "Giáo viên", ""]])


def test_every_row_is_either_accepted_or_rejected_with_its_row_number(plan: Plan, roster: Table) -> None:
    f1 = _table(plan, "F1", [
        ["1/3/2024 8:00:00", " LAN@x.vn ", "Nguyễn Thị  Lan", "To Toan", "", "Lao động tiên tiến", "", ""],
        ["", "", "", "", "", "", "", ""],
        ["2/3/2024 8:00:00", "", "Ai đó", "Toán", "", "Lao động tiên tiến", "", ""],
        ["2/3/2024 8:00:00", "binh@x.vn", "=HYPERLINK(\"x\")", "Ngữ văn", "", "Giáo viên dạy giỏi", "", ""],
        ["2/3/2024 9:00:00", "binh@x.vn", "Trần Văn Bình", "Toán", "", "Lao động tiên tiến", "", ""],
        ["ngày mai", "binh@x.vn", "Trần Văn Bình", "Ngữ văn", "", "Lao động tiên tiến", "", ""],
    ])
    result = collect(plan, {"roster": roster, "F1": f1}, LATE)
    by_row: dict[int, list[str]] = {}
    for r in result.rejects:
        by_row.setdefault(r.row_number, []).append(f"{r.field}: {r.reason}")
    assert set(by_row) == {3, 4, 5, 6, 7}
    assert by_row[3] == [": Dòng trống (không có câu trả lời nào)"]
    assert by_row[4] == ["Địa chỉ email: Thiếu câu trả lời cho «Địa chỉ email»"]
    assert any("công thức" in r for r in by_row[5]) and any("«Giáo viên dạy giỏi» không phải" in r for r in by_row[5])
    assert by_row[6] == ["Tổ: Tổ «Toán» khác với tổ trong danh sách viên chức «Ngữ văn»; hãy kiểm tra lại"]
    assert by_row[7][0].startswith("Dấu thời gian: Dấu thời gian «ngày mai» không đọc được")
    (f1_count,) = [c for c in result.counts if c.source_id == "F1"]
    assert (f1_count.rows_read, f1_count.rows_accepted, f1_count.rows_rejected) == (6, 1, 5)
    (accepted,) = result.dataset.registrations
    assert (accepted.email, accepted.full_name, accepted.team_id) == ("lan@x.vn", "Nguyễn Thị Lan", "toan")


def test_rows_after_the_cutoff_do_not_exist_yet(plan: Plan, roster: Table) -> None:
    f1 = _table(plan, "F1", [
        ["1/3/2024 8:00:00", "lan@x.vn", "Nguyễn Thị Lan", "Toán", "", "Lao động tiên tiến", "", ""],
        ["20/3/2024 8:00:00", "lan@x.vn", "Nguyễn Thị Lan", "Toán", "", "Chiến sĩ thi đua cơ sở", "", ""],
    ])
    before = collect(plan, {"roster": roster, "F1": f1}, dt.datetime(2024, 3, 13, 8, tzinfo=LATE.tzinfo))
    after = collect(plan, {"roster": roster, "F1": f1}, LATE)
    assert [r.title_id for r in before.dataset.registrations] == ["LDTT"]
    assert [r.title_id for r in after.dataset.registrations] == ["CSTDCS"]
    assert [r.origin.row_number for r in after.dataset.history] == [2]


def test_a_renamed_question_stops_the_source_naming_the_column(plan: Plan, roster: Table) -> None:
    headers = list(next(s for s in plan.sources if s.id == "F1").columns.values())
    headers[5] = "Danh hiệu muốn đăng ký"
    f1 = _table(plan, "F1", [], headers=headers)
    with pytest.raises(SourceShapeError) as caught:
        collect(plan, {"roster": roster, "F1": f1}, LATE)
    assert "thiếu cột: «Danh hiệu thi đua đăng ký»" in str(caught.value)
    assert "«Danh hiệu muốn đăng ký»" in str(caught.value)
