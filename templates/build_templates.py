"""Generate the DOCX report templates with python-docx, so every template is reproducible and reviewable.

Run `uv run python templates/build_templates.py` after changing this file; the clerk may also reword the
generated .docx files in Word directly (see templates/README.md). Layout follows Nghị định 30/2020/NĐ-CP:
A4, Times New Roman, Quốc hiệu and Tiêu ngữ at the right, issuing body at the left, signer at the right,
"Nơi nhận" at the left. Every report table is the template's own table, named by the table's key
(`{{ registered_by_team.… }}`, thidua.reports.TABLE_KEY), grown row by row by the filler; a slot the report has
no table for (review.docx's second phase in a sơ kết 6 tháng, its annual tables in a sơ kết) is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from connectors.local.documents import (
    CAPTION_PT,
    TABLE_PT,
    add_run,
    set_cell_margins,
    set_column_widths,
    set_font,
    set_table_borders,
)

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"
BODY_PT = 14
TEXT_WIDTH_MM = 210 - 30 - 15  # A4 minus the left (30 mm) and right (15 mm) margins

Adder = Callable[..., Paragraph]


def _rule(paragraph: Paragraph, width_mm: float, room_mm: float) -> None:
    """A short centered line drawn as a paragraph top border, as the decree asks under names and titles."""
    paragraph.paragraph_format.left_indent = Mm((room_mm - width_mm) / 2)
    paragraph.paragraph_format.right_indent = Mm((room_mm - width_mm) / 2)
    paragraph.paragraph_format.space_before = Pt(3)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
        "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange")
    run = paragraph.add_run("")
    run.font.size = Pt(2)


def _para(container: DocumentObject | _Cell, text: str = "", *, size: float = BODY_PT, bold: bool = False,
          italic: bool = False, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER, before: float = 0,
          after: float = 0, indent_mm: float = 0) -> Paragraph:
    """One paragraph with explicit formatting: templates must look the same whatever Word's defaults are."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if indent_mm:
        fmt.first_line_indent = Mm(indent_mm)
    if text:
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        run.italic = italic
        set_font(run._r)
    return paragraph


def _body(container: DocumentObject, text: str) -> Paragraph:
    """A justified body paragraph with a first-line indent and 6 pt between paragraphs."""
    return _para(container, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=6, indent_mm=10)


def _layout_table(document: DocumentObject, rows: int, widths_mm: tuple[float, float]) -> list[list[_Cell]]:
    """A fixed-width borderless 2-column table; returns its cells with their first empty paragraph removed."""
    table = document.add_table(rows=rows, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_table_borders(table, "nil")
    set_cell_margins(table, Mm(0.5))
    set_column_widths(table, widths_mm)
    cells = [[table.cell(r, c) for c in range(2)] for r in range(rows)]
    for row in cells:
        for cell in row:
            cell._tc.remove(cell.paragraphs[0]._p)
    return cells


def _page_numbers(section: Section) -> None:
    """Page number centered in the top margin from page 2 on; the first page shows none (Nghị định 30)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field)
    run = paragraph.add_run("2")
    run.font.size = Pt(BODY_PT)
    set_font(run._r)
    field.append(run._r)


def _base() -> DocumentObject:
    """A4 page, the decree's margins, Times New Roman 14 pt and the two-column header block."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    _page_numbers(section)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    set_font(normal.element)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")

    left_mm, right_mm = 75.0, 95.0
    (body, nation), (number, date) = _layout_table(document, 2, (left_mm, right_mm))
    _para(body, "{{ governing_body|upper }}", size=12)
    _para(body, "{{ school_header|upper }}", size=13, bold=True)
    _rule(_para(body), 25, left_mm - 1)
    _para(nation, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    _para(nation, "Độc lập - Tự do - Hạnh phúc", size=13.5, bold=True)
    _rule(_para(nation), 58, right_mm - 1)
    _para(number, "{{ number }}", size=13, before=6)
    _para(date, "{{ place_date }}", size=14, italic=True, before=6)

    _para(document, "{{ kind_label }}", bold=True, before=24)
    _para(document, "{{ title }}", bold=True)
    _rule(_para(document, after=6), 40, TEXT_WIDTH_MM)
    _body(document, "{{ intro }}")
    return document


class Slot(NamedTuple):
    """One report table as the template's own table: its key, column widths (mm), each column's alignment (L or
    C) and whether it has a total row. Widths were fitted to the sample school's tables (column_widths); the
    clerk may change them in Word or Google Docs."""

    key: str
    widths: tuple[float, ...]
    align: str
    total: bool = False


_ALIGN = {"L": WD_ALIGN_PARAGRAPH.LEFT, "C": WD_ALIGN_PARAGRAPH.CENTER}


def _cell_text(cell: _Cell, text: str, align: WD_ALIGN_PARAGRAPH, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    add_run(paragraph, text, TABLE_PT, bold=bold)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _slot_table(document: DocumentObject, slot: Slot) -> None:
    """Caption `{{ key.caption }}`, then a grid table: the header row `{{ key.hK }}` (bold, repeated on every
    page), ONE template row `{{ key.cK }}` that the filler repeats once per row, and the bold total row
    `{{ key.sK }}`."""
    caption = document.add_paragraph()
    caption.paragraph_format.space_before = Pt(12)
    caption.paragraph_format.space_after = Pt(6)
    caption.paragraph_format.keep_with_next = True
    add_run(caption, f"{{{{ {slot.key}.caption }}}}", CAPTION_PT, bold=True)
    columns = len(slot.widths)
    table = document.add_table(rows=2 + slot.total, cols=columns)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_table_borders(table, "single")
    set_cell_margins(table, Mm(1))
    for r, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        letter = "hcs"[r]
        for k, cell in enumerate(row.cells, start=1):
            align = WD_ALIGN_PARAGRAPH.CENTER if r == 0 else _ALIGN[slot.align[k - 1]]
            _cell_text(cell, f"{{{{ {slot.key}.{letter}{k} }}}}", align, bold=r != 1)
    set_column_widths(table, slot.widths)


def _tables(document: DocumentObject, slots: tuple[Slot, ...]) -> None:
    """Where the report's tables, then its charts, go: the template's own table for every table key the kind
    may have."""
    for slot in slots:
        _slot_table(document, slot)
    _para(document, "{{p charts_block }}", align=WD_ALIGN_PARAGRAPH.LEFT)


REGISTRATION_TABLES = (
    Slot("registered_by_team", (44.9, 15.8, 18.9, 22.5, 20.7, 12.2, 13.1, 17.0), "LCCCCCCC", total=True),
    Slot("title_ratios", (100.3, 20.3, 44.4), "LCC", total=True),
    Slot("collective_registration", (50.0, 15.0, 50.0, 50.0), "LCLL", total=True),
    Slot("registered_people", (9.8, 31.0, 31.0, 31.0, 31.1, 31.1), "CLLLLL"),
    Slot("not_registered", (17.6, 69.4, 78.0), "CLL"),
)
EXEMPLARS_TABLES = (
    Slot("exemplars_by_team", (115.7, 49.3), "LC", total=True),
    Slot("exemplar_people", (9.8, 40.2, 57.5, 57.5), "CLLL"),
)
#: Both phases of the seed plan (a sơ kết 6 tháng has only the first: the second's slots are removed), then the
#: tables of every review and those of the annual report only.
_MOVEMENTS = (42.1, 13.2, 29.1, 22.0, 32.2, 14.3, 12.2)
_PHASE_SUMMARY = (72.8, 17.7, 22.9, 31.0, 20.6)
REVIEW_TABLES = (
    Slot("phase1_movements", _MOVEMENTS, "LCCCCCC", total=True),
    Slot("phase1_summary", _PHASE_SUMMARY, "LCCCC", total=True),
    Slot("phase2_movements", _MOVEMENTS, "LCCCCCC", total=True),
    Slot("phase2_summary", _PHASE_SUMMARY, "LCCCC", total=True),
    Slot("titles_progress", (34.5, 14.0, 14.1, 16.6, 16.7, 17.4, 17.5, 17.0, 17.1), "LCCCCCCCC", total=True),
    Slot("compared_with_start", (33.8, 14.2, 14.3, 16.8, 16.8, 17.4, 17.5, 17.1, 17.2), "LCCCCCCCC", total=True),
    Slot("team_results", (27.5, 14.6, 12.2, 14.6, 12.2, 17.0, 14.6, 26.2, 26.2), "LCCCCCCLL", total=True),
)
EVALUATION_TABLES = (
    Slot("completion_by_team", (56.6, 27.6, 23.4, 20.1, 25.1, 12.2), "LCCCCC", total=True),
    Slot("proposed_by_team", (44.3, 15.6, 18.7, 22.1, 20.4, 12.2, 14.8, 16.9), "LCCCCCCC", total=True),
    Slot("title_caps", (132.8, 32.2), "LC"),
    Slot("team_results", (27.5, 14.6, 12.2, 14.6, 12.2, 17.0, 14.6, 26.1, 26.2), "LCCCCCCLL", total=True),
    Slot("evaluated_people", (9.8, 26.6, 25.8, 17.0, 14.6, 24.2, 17.0, 18.6, 11.4), "CLLLCLCLC"),
)


def _finish(document: DocumentObject, closing: str) -> None:
    """The closing sentence, then "Nơi nhận" at the left and the signer at the right, on one page: the row
    cannot split and the sentence stays with it, so a signature never starts a page alone."""
    _body(document, closing).paragraph_format.keep_with_next = True
    _para(document, after=6).paragraph_format.keep_with_next = True
    [[recipients, signer]] = _layout_table(document, 1, (95.0, 70.0))
    recipients._tc.getparent().get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    _para(recipients, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(recipients, "{%p for line in recipients %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(recipients, "{{ line }}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(recipients, "{%p endfor %}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(signer, "{{ signer_title|upper }}", bold=True)
    for _ in range(4):
        _para(signer)
    _para(signer, "{{ signer_name }}", bold=True)


def registration() -> DocumentObject:
    document = _base()
    _body(document, "1. Việc đăng ký: các tổ chuyên môn, tổ văn phòng đăng ký danh hiệu thi đua tập thể và giao "
                    "ước thi đua; từng viên chức, người lao động đăng ký danh hiệu thi đua cá nhân và sáng kiến, "
                    "đề tài (nếu có). Danh hiệu đã đăng ký là căn cứ để bình xét thi đua cuối năm; những cá nhân "
                    "chưa đăng ký được nêu tên để tổ trưởng đôn đốc.")
    _body(document, "2. Kết quả tổng hợp:")
    _tables(document, REGISTRATION_TABLES)
    _finish(document, "Trên đây là báo cáo đăng ký giao ước thi đua và danh hiệu thi đua của {{ school_name }}./.")
    return document


def exemplars() -> DocumentObject:
    document = _base()
    _body(document, "1. Việc giới thiệu: các tổ chuyên môn, tổ văn phòng đã giới thiệu những cá nhân tiêu biểu, "
                    "có thành tích nổi bật trong các phong trào thi đua để biểu dương, nhân rộng gương điển hình "
                    "tiên tiến.")
    _body(document, "2. Kết quả tổng hợp:")
    _tables(document, EXEMPLARS_TABLES)
    _finish(document, "Trên đây là báo cáo giới thiệu gương điển hình tiên tiến của {{ school_name }}./.")
    return document


def review() -> DocumentObject:
    document = _base()
    _body(document, "1. Kết quả thực hiện các phong trào thi đua: nhà trường tổng hợp thành tích của tập thể, cá "
                    "nhân theo từng đợt thi đua, theo phong trào thi đua và theo tổ{% if kind == 'annual' %}; "
                    "so sánh danh hiệu thi đua đề nghị cuối năm với danh hiệu đã đăng ký đầu năm{% endif %}.")
    _body(document, "2. Số liệu cụ thể:")
    _tables(document, REVIEW_TABLES)
    _finish(document, "Trên đây là báo cáo {% if kind == 'annual' %}tổng kết{% else %}sơ kết{% endif %} phong "
                      "trào thi đua của {{ school_name }}./.")
    return document


def evaluation() -> DocumentObject:
    document = _base()
    _body(document, "1. Việc bình xét: Hội đồng Thi đua – Khen thưởng nhà trường đã tổ chức bình xét mức hoàn "
                    "thành nhiệm vụ và danh hiệu thi đua của từng viên chức, người lao động.")
    _body(document, "2. Kết quả bình xét:")
    _tables(document, EVALUATION_TABLES)
    _body(document, "3. Những trường hợp cần Hội đồng Thi đua – Khen thưởng xem xét (số thứ tự được ghi ở cột "
                    "cuối Bảng 5):")
    _para(document, "{%p if flags %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _body(document, "Các trường hợp dưới đây chưa đáp ứng một hoặc một số điều kiện theo quy định; đề nghị Hội "
                    "đồng Thi đua – Khen thưởng xem xét, quyết định:")
    _para(document, "{%p for f in flags %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _body(document, "{{ f.no }}. {{ f.rule }}{% if f.full_name %} ({{ f.full_name }}, tổ {{ f.team }}){% endif %}: "
                    "{{ f.message }} Căn cứ: {{ f.reference }}.")
    _para(document, "{%p endfor %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _para(document, "{%p else %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _body(document, "Không có trường hợp nào chưa đáp ứng điều kiện theo quy định.")
    _para(document, "{%p endif %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _finish(document, "Trên đây là báo cáo kết quả bình xét thi đua, khen thưởng của {{ school_name }}./.")
    return document


TEMPLATES: dict[str, Callable[[], DocumentObject]] = {
    "registration.docx": registration,
    "exemplars.docx": exemplars,
    "review.docx": review,
    "evaluation.docx": evaluation,
}


def main(target: Path = HERE) -> list[Path]:
    """Write every template into `target` (the templates folder by default) and return their paths."""
    written = []
    for name, build in TEMPLATES.items():
        path = target / name
        build().save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in main():
        print(written_path)
