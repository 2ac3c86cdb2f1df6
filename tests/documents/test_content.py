"""What a rendered report says: the context's numbers cell by cell, the header, the signer and the recipients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from connectors.local.documents import (
    EMPTY_TABLE_TEXT,
    TEMPLATE_FOR_KIND,
    BuiltReport,
    docx_tables,
    docx_text,
    render_docx,
)

from .conftest import FIXTURES, TEMPLATES, load_context


def expected_table(spec: dict[str, Any]) -> list[list[str]]:
    body = spec["rows"] or [[EMPTY_TABLE_TEXT]]
    return [spec["headers"], *body, *([spec["total"]] if spec["total"] else [])]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_every_table_cell_equals_the_context(built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    _header, *data, _signature = docx_tables(built[deadline_id].docx)
    assert data == [expected_table(t) for t in context["tables"]]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_header_block_has_bodies_national_motto_number_and_date(
        built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    (bodies, nation), (number, place_date) = docx_tables(built[deadline_id].docx)[0]
    assert bodies.split("\n")[:2] == [context["governing_body"].upper(), context["school_header"].upper()]
    assert nation.split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number == context["number"] == "Số:       /BC-LAX"
    assert place_date == context["place_date"]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_kind_title_and_intro_follow_the_header_in_order(built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    paragraphs = [p.text for p in Document(str(built[deadline_id].docx)).paragraphs if p.text]
    assert paragraphs[:3] == [context["kind_label"], context["title"], context["intro"]]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_signer_at_right_and_recipients_at_left(built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    [[recipients, signer]] = docx_tables(built[deadline_id].docx)[-1]
    assert recipients.split("\n") == ["Nơi nhận:", *context["recipients"]]
    signer_lines = [line for line in signer.split("\n") if line]
    assert signer_lines == [context["signer_title"].upper(), context["signer_name"]]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_report_ends_with_the_decree_closing_mark(built: dict[str, BuiltReport], deadline_id: str) -> None:
    paragraphs = [p.text for p in Document(str(built[deadline_id].docx)).paragraphs if p.text]
    assert paragraphs[-1].startswith("Trên đây là báo cáo")
    assert paragraphs[-1].endswith(f"{load_context(deadline_id)['school_name']}./.")


def test_evaluation_lists_each_flag_once_numbered_with_rule_content_and_legal_basis(
        built: dict[str, BuiltReport]) -> None:
    flags = load_context("D5")["flags"]
    assert flags
    paragraphs = [p.text for p in Document(str(built["D5"].docx)).paragraphs]
    for flag in flags:
        who = f" ({flag['full_name']}, tổ {flag['team']})" if flag["full_name"] else ""
        line = f"{flag['no']}. {flag['rule']}{who}: {flag['message']} Căn cứ: {flag['reference']}."
        assert paragraphs.count(line) == 1
        assert flag["message"].endswith(".") and ".." not in line
        assert not any(flag["rule_id"] in p for p in paragraphs)  # the rule in Vietnamese, never its code
    table_cells = " ".join(" ".join(row) for table in docx_tables(built["D5"].docx) for row in table)
    assert not any(flag["message"] in table_cells for flag in flags)  # the list is the one place flags are told


def test_evaluation_without_flags_says_there_are_none(tmp_path: Path,
                                                      context_of: Callable[[str], dict[str, Any]]) -> None:
    context = context_of("D5")
    context["flags"] = []
    context["tables"][-1]["rows"] = []
    out = render_docx(TEMPLATES / "evaluation.docx", context, tmp_path / "D5.docx")
    assert "Không có trường hợp nào chưa đáp ứng điều kiện theo quy định." in docx_text(out)
    assert docx_tables(out)[-2][1] == [EMPTY_TABLE_TEXT]
    assert "Căn cứ:" not in docx_text(out)


@pytest.mark.parametrize(("kind", "word"), [("annual", "tổng kết"), ("interim", "sơ kết")])
def test_review_template_says_annual_or_interim(tmp_path: Path, context_of: Callable[[str], dict[str, Any]],
                                                kind: str, word: str) -> None:
    context = context_of("D8")
    context["kind"] = kind
    out = render_docx(TEMPLATES / TEMPLATE_FOR_KIND[kind], context, tmp_path / "review.docx")
    assert f"Trên đây là báo cáo {word} phong trào thi đua" in docx_text(out)


def test_registration_explains_registering_titles(built: dict[str, BuiltReport]) -> None:
    assert "đăng ký danh hiệu thi đua cá nhân và sáng kiến, đề tài (nếu có)" in docx_text(built["D1"].docx)


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_each_chart_is_embedded_as_a_picture_under_its_caption(built: dict[str, BuiltReport],
                                                               deadline_id: str) -> None:
    charts = load_context(deadline_id)["charts"]
    document = Document(str(built[deadline_id].docx))
    paragraphs = document.paragraphs
    pictured = [p for p in paragraphs if p._p.xpath(".//pic:pic")]
    assert [p.text.strip() for p in pictured] == [c["caption"] for c in charts]
    assert all(p.paragraph_format.keep_together for p in pictured)
    images = [r for r in document.part.rels.values() if r.reltype.endswith("/image")]
    assert len(images) == len(charts)
    assert all(r.target_part.blob.startswith(b"\x89PNG") for r in images)
