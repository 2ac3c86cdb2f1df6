"""What goes out reads as an official document: header names that wrap only before the proper name, rules in
Vietnamese rather than codes, attachments counted and named in the email, no table for a source the plan does not
collect, and people in the roster's order."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sample_data.generator import generate
from thidua import mail
from thidua.calendar import schedule
from thidua.official import NBSP, attachment_names, keep_name_together
from thidua.pipeline import Collected, collect
from thidua.plan import Plan, ReportKind, SourceKind
from thidua.reports import NO_COLLECTIVE, build_context
from thidua.rows import Table


@pytest.mark.parametrize(("name", "bound"), [
    ("ỦY BAN NHÂN DÂN PHƯỜNG VƯỜN LÀI", "ỦY BAN NHÂN DÂN PHƯỜNG~VƯỜN~LÀI"),
    ("TRƯỜNG TRUNG HỌC CƠ SỞ TRẦN QUỐC TOẢN", "TRƯỜNG TRUNG HỌC CƠ SỞ TRẦN~QUỐC~TOẢN"),
    ("TRƯỜNG THCS LÊ ANH XUÂN", "TRƯỜNG THCS LÊ~ANH~XUÂN"),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HỒ CHÍ MINH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH~PHỐ~HỒ~CHÍ~MINH"),
    ("ỦY BAN NHÂN DÂN THỊ XÃ TÂN UYÊN", "ỦY BAN NHÂN DÂN THỊ~XÃ~TÂN~UYÊN"),  # "thị xã" whole, not "xã"
    ("Ủy ban nhân dân xã Bình Hưng", "Ủy ban nhân dân xã~Bình~Hưng"),
    ("CÔNG TY ABC", "CÔNG TY ABC"),  # nothing known to bind: left as it is
])
def test_header_names_are_bound_from_the_unit_or_after_the_kind_of_school(name: str, bound: str) -> None:
    assert keep_name_together(name) == bound.replace("~", NBSP)


def test_a_name_the_plan_already_bound_and_a_proper_name_too_long_for_a_line_are_left_to_the_plan() -> None:
    assert keep_name_together(f"ỦY BAN NHÂN DÂN PHƯỜNG{NBSP}5") == f"ỦY BAN NHÂN DÂN PHƯỜNG{NBSP}5"
    long_name = "ỦY BAN NHÂN DÂN PHƯỜNG NGUYỄN THÁI BÌNH VÀ BẾN THÀNH MỚI"  # bound, it would overflow its column
    assert keep_name_together(long_name) == long_name


def _collected(plan: Plan, kind: ReportKind) -> Collected:
    deadline = next(d for d in plan.deadlines if d.kind is kind)
    sample = generate(plan, seed=11, staff=60)
    tables = {s.id: Table.from_cells(s.id, s.name, sample.grids[s.id]) for s in plan.sources}
    return collect(plan, tables, schedule(plan, deadline).send_at)


def test_people_are_listed_by_team_then_in_the_rosters_order_not_the_order_they_answered(plan: Plan) -> None:
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    data = _collected(plan, ReportKind.REGISTRATION).dataset
    context = build_context(plan, deadline, data, deadline.due_before)
    people = next(t for t in context["tables"] if t["caption"].startswith("Bảng 4."))
    roster = {s.email: i for i, s in enumerate(sorted(data.staff, key=lambda s: s.origin.row_number))}
    teams = {t.id: i for i, t in enumerate(plan.teams)}
    expected = sorted(data.registrations, key=lambda r: (teams[r.team_id], roster[r.email]))
    answered = sorted(data.registrations, key=lambda r: (teams[r.team_id], r.origin.row_number))
    assert expected != answered  # the sample answers out of roster order, so the test can tell them apart
    assert [row[1] for row in people["rows"]] == [r.full_name for r in expected]


def test_a_plan_without_collective_registration_leaves_its_table_out_and_says_so(plan: Plan) -> None:
    without = plan.model_copy(update={"sources": tuple(s for s in plan.sources
                                                       if s.kind is not SourceKind.COLLECTIVE_REGISTRATION)})
    for kind in (ReportKind.REGISTRATION, ReportKind.EVALUATION):
        deadline = next(d for d in plan.deadlines if d.kind is kind)
        full = build_context(plan, deadline, _collected(plan, kind).dataset, deadline.due_before)
        lean = build_context(without, deadline, _collected(without, kind).dataset, deadline.due_before)
        assert NO_COLLECTIVE not in full["intro"] and lean["intro"].endswith(NO_COLLECTIVE)
        captions = [t["caption"] for t in lean["tables"]]
        assert not any("giao ước" in c for c in captions)
        numbers = [re.match(r"Bảng (\d+)", c) for c in captions]
        assert [int(n.group(1)) for n in numbers if n] == list(range(1, len(captions) + 1))
        def cells(context: dict[str, Any]) -> str:
            return " ".join(" ".join([*t["headers"], *(c for r in t["rows"] for c in r)]) for t in context["tables"])
        assert "tập thể đăng ký" in cells(full)
        assert "Chưa đăng ký" not in cells(lean) and "tập thể đăng ký" not in cells(lean)
        assert len(lean["tables"]) == len(full["tables"]) - (kind is ReportKind.REGISTRATION)


def test_the_evaluation_names_each_rule_in_vietnamese_never_by_its_code(plan: Plan) -> None:
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.EVALUATION)
    context = build_context(plan, deadline, _collected(plan, ReportKind.EVALUATION).dataset, deadline.due_before)
    assert context["flags"]
    for flag in context["flags"]:
        assert flag["rule"] and not re.search(r"[A-Z_]{6,}", flag["rule"]) and not flag["rule"].endswith(".")


def test_the_email_counts_and_names_its_attachments_without_internal_codes(plan: Plan) -> None:
    deadline = plan.deadlines[0]
    report, annex = attachment_names(deadline.title, ".pdf")
    assert report == f"{deadline.title}.pdf" and annex.endswith("Phụ lục số liệu chi tiết.xlsx")
    texts = mail.compose_report_texts(
        school_name=plan.school.name, report_title=deadline.title, recipient_office="Phòng GDĐT",
        deadline=deadline.due_before, signer_title="HIỆU TRƯỞNG", signer_name=plan.signer.name, version=1,
        attachments=[report, annex])
    assert f"Kèm theo thư này có 02 tệp: 1. {report}; 2. {annex}." in texts.body_text
    assert not re.search(r"D\d - ", texts.body_text + texts.body_html)
