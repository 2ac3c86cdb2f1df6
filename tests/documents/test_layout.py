"""The rendered DOCX follows Nghị định 30/2020/NĐ-CP: A4, margins, Times New Roman, sizes, table structure."""

from __future__ import annotations

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Emu, Pt
from docx.table import Table

from connectors.local.documents import FONT, TABLE_PT, BuiltReport, pdf_text

from .conftest import FIXTURES, load_context


def _mm(length: int | None) -> float:
    assert length is not None
    return float(Emu(length).mm)


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_page_is_a4_portrait_with_the_decree_margins(built: dict[str, BuiltReport], deadline_id: str) -> None:
    for section in Document(str(built[deadline_id].docx)).sections:
        assert round(_mm(section.page_width)) == 210 and round(_mm(section.page_height)) == 297
        assert 20 <= round(_mm(section.top_margin)) <= 25
        assert 20 <= round(_mm(section.bottom_margin)) <= 25
        assert 30 <= round(_mm(section.left_margin)) <= 35
        assert 15 <= round(_mm(section.right_margin)) <= 20


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_every_run_is_times_new_roman_and_body_is_14pt(built: dict[str, BuiltReport], deadline_id: str) -> None:
    document = Document(str(built[deadline_id].docx))
    normal = document.styles["Normal"]
    assert normal.font.name == FONT and normal.font.size == Pt(14)
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and all(r.font.name in (None, FONT) for r in runs)
    assert all(13 <= r.font.size.pt <= 14 for p in document.paragraphs for r in p.runs
               if r.text and r.font.size is not None)


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_header_is_a_borderless_two_column_table(built: dict[str, BuiltReport], deadline_id: str) -> None:
    header = Document(str(built[deadline_id].docx)).tables[0]
    assert len(header.columns) == 2
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert {edge.get(qn("w:val")) for edge in borders} == {"nil"}
    national, motto = header.cell(0, 1).paragraphs[:2]
    assert national.runs[0].bold and 12 <= national.runs[0].font.size.pt <= 13
    assert motto.runs[0].bold and 13 <= motto.runs[0].font.size.pt <= 14
    assert header.cell(1, 1).paragraphs[0].runs[0].italic
    governing, school = header.cell(0, 0).paragraphs[:2]
    assert not governing.runs[0].bold and school.runs[0].bold


def _data_tables(deadline_id: str, built: dict[str, BuiltReport]) -> list[Table]:
    return Document(str(built[deadline_id].docx)).tables[1:-1]


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_data_tables_have_grid_repeated_bold_header_and_bold_total(built: dict[str, BuiltReport],
                                                                    deadline_id: str) -> None:
    specs = load_context(deadline_id)["tables"]
    for table, spec in zip(_data_tables(deadline_id, built), specs, strict=True):
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert {edge.get(qn("w:val")) for edge in borders} == {"single"}
        header = table.rows[0]
        assert header._tr.trPr is not None and header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r.bold for c in header.cells for r in c.paragraphs[0].runs)
        assert all(r.font.size == Pt(TABLE_PT) for row in table.rows for c in row.cells for r in c.paragraphs[0].runs)
        last = table.rows[-1]
        assert all(r.bold for c in last.cells for r in c.paragraphs[0].runs if r.text) == bool(spec["total"])


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_data_tables_fit_the_text_width(built: dict[str, BuiltReport], deadline_id: str) -> None:
    for table in _data_tables(deadline_id, built):
        width = sum(_mm(column.width) for column in table.columns)
        assert 164 <= width <= 166


def test_caption_is_bold_and_kept_with_its_table(built: dict[str, BuiltReport]) -> None:
    captions = [p for p in Document(str(built["D1"].docx)).paragraphs if p.text.startswith("Bảng ")]
    assert [c.text for c in captions] == [t["caption"] for t in load_context("D1")["tables"]]
    assert all(c.runs[0].bold and c.paragraph_format.keep_with_next for c in captions)


def test_page_numbers_start_on_page_two_in_the_top_margin(built: dict[str, BuiltReport]) -> None:
    section = Document(str(built["D8"].docx)).sections[0]
    assert section.different_first_page_header_footer
    assert not section.first_page_header.paragraphs[0].text
    assert section.header._element.xpath('.//w:fldSimple[@w:instr="PAGE"]')
    pdf = built["D8"].pdf
    assert pdf is not None
    pages = pdf_text(pdf).split("\f")
    assert pages[1].split()[0] == "2" and pages[0].split()[0] != "1"


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_closing_recipients_and_signer_stay_on_one_page(built: dict[str, BuiltReport], deadline_id: str) -> None:
    document = Document(str(built[deadline_id].docx))
    signature = document.tables[-1]
    row_properties = signature.rows[0]._tr.trPr
    assert row_properties is not None and row_properties.find(qn("w:cantSplit")) is not None
    closing = [p for p in document.paragraphs if p.text.startswith("Trên đây là báo cáo")][-1]
    assert closing.paragraph_format.keep_with_next
    pdf = built[deadline_id].pdf
    assert pdf is not None
    last_page = pdf_text(pdf).split("\f")[-2]  # the text ends with a form feed
    assert "Trên đây là báo cáo" in last_page and "HIỆU TRƯỞNG" in last_page and "Lưu: VT." in last_page
