"""Reports as files: a report context rendered into a DOCX template (docxtpl), then PDF through LibreOffice.

The templates in `templates/` carry the fixed wording and the Nghị định 30/2020 layout. A report table is the
template's own table, named by the table's key (`{{ registered_by_team.… }}` slots: one template row repeated
per item, so the clerk styles it in Word); a table the template has no slot for is built here with python-docx
at `{{p tables_block }}`, when the template has one.
"""

from __future__ import annotations

import copy
import logging
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from markupsafe import Markup

from connectors.annex import write_annex
from connectors.local.charts import render_chart
from connectors.pdf import PdfConversionError, find_soffice
from connectors.pdf import convert as convert_pdf
from connectors.pdf import prewarm as prewarm_pdf
from connectors.ports import ANNEX_SUFFIX, CONTEXT_KEYS, BuiltReport, DocumentError, TemplateError
from connectors.writing import written_whole
from thidua.reports import is_table_key

log = logging.getLogger(__name__)

FONT = "Times New Roman"
TABLE_PT = 11
CAPTION_PT = 13
EMPTY_TABLE_TEXT = "Không có"

#: Keys the renderer adds to the context before rendering.
RENDERER_KEYS: frozenset[str] = frozenset({"tables_block", "charts_block"})
#: What every template must show (Nghị định 30/2020: issuing body, number, place and date, kind and summary,
#: signer's title and name, Nơi nhận) and the report's tables; a template without one of them is rejected.
REQUIRED_PLACEHOLDERS: frozenset[str] = frozenset({
    "school_header", "number", "place_date", "kind_label", "title", "signer_title", "signer_name", "recipients",
    "tables_block",
})
#: A report table that grows from the template's own table, named by the table's key (thidua.reports.TABLE_KEY):
#: `{{ registered_by_team.caption }}` above it, `{{ registered_by_team.h1 }}`… in its header row,
#: `{{ registered_by_team.c1 }}`… in its one template row (repeated once per row of the context's table of that
#: key) and, optionally, `{{ registered_by_team.s1 }}`… in a total row. A template uses these slots,
#: `{{p tables_block }}`, or both.
SLOT_TOKEN = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\.(caption|[hcs][1-9][0-9]?)\s*\}\}")
#: Placeholders a kind's template must also have: the evaluation must list the cases for the council.
REQUIRED_FOR_TEMPLATE: dict[str, frozenset[str]] = {"evaluation.docx": frozenset({"flags"})}
#: Which template renders which report kind (thidua.plan.ReportKind values).
TEMPLATE_FOR_KIND: dict[str, str] = {
    "registration": "registration.docx",
    "exemplars": "exemplars.docx",
    "interim": "review.docx",
    "annual": "review.docx",
    "evaluation": "evaluation.docx",
}

_NUMERIC = re.compile(r"^[\d.,%\s]*$")
_CHAR_MM = 2.4  # width of a wide 11 pt Times New Roman character, bold header text included
_PAD_MM = 2.6  # cell margins (1 mm each side) and a little slack
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class ConversionError(DocumentError):
    """LibreOffice (or pdftotext) failed or timed out on a file."""


# --- OOXML helpers, shared with templates/build_templates.py -------------------------------------------------


def set_font(element: Any) -> None:
    """Times New Roman in every script slot of a run or style, so Vietnamese never falls back to another font."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def set_table_borders(table: Table, value: str) -> None:
    """Grid lines ("single") for data tables, none ("nil") for layout tables, in schema order inside tblPr."""
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), value)
        if value != "nil":
            edge.set(qn("w:sz"), "4")
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), "000000")
        borders.append(edge)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                           "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def add_run(paragraph: Paragraph, text: str, size: float, bold: bool = False, italic: bool = False) -> None:
    """A run with explicit size and font; the paragraph mark gets the same size so empty lines stay small."""
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    set_font(run._r)
    ppr = paragraph._p.get_or_add_pPr()
    if ppr.find(qn("w:rPr")) is None:
        mark = OxmlElement("w:rPr")
        mark_size = OxmlElement("w:sz")
        mark_size.set(qn("w:val"), str(round(size * 2)))
        mark.append(mark_size)
        ppr.insert_element_before(mark, "w:sectPr", "w:pPrChange")


# --- Tables --------------------------------------------------------------------------------------------------


def column_widths(headers: Sequence[str], body: Sequence[Sequence[str]], width_mm: float) -> list[float]:
    """Column widths in mm filling `width_mm`, in tiers: every column fits its longest word; then short cells
    (team names, "Toàn trường") fit on one line; then long cells fit in about two lines and headers in 2–3."""
    word: list[float] = []
    short: list[float] = []
    roomy: list[float] = []
    for i, header in enumerate(headers):
        cells = [row[i] for row in body if i < len(row)]
        words = [*header.split(), *(w for cell in cells for w in cell.split())]
        longest_word = max((len(w) for w in words), default=1)
        content = max((len(cell) for cell in cells), default=0)
        word.append(longest_word * _CHAR_MM + _PAD_MM)
        short.append(max(longest_word, min(content, 12)) * _CHAR_MM + _PAD_MM)
        roomy.append(max(longest_word, min(content, 24), len(header) / 2.5) * _CHAR_MM + _PAD_MM)
    if sum(roomy) <= width_mm:
        return [w * width_mm / sum(roomy) for w in roomy]
    if sum(word) >= width_mm:
        return [w * width_mm / sum(word) for w in word]
    low, high = (short, roomy) if sum(short) <= width_mm else (word, short)
    growth = [h - lo for h, lo in zip(high, low, strict=True)]
    room = width_mm - sum(low)
    return [lo + room * g / sum(growth) for lo, g in zip(low, growth, strict=True)]


def _cell(cell: _Cell, text: str, *, bold: bool = False, italic: bool = False,
          align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    add_run(paragraph, text, TABLE_PT, bold=bold, italic=italic)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _row_flags(row: Any, *flags: str) -> None:
    """cantSplit / tblHeader on a row (in schema order): rows never break across pages; headers repeat."""
    trpr = row._tr.get_or_add_trPr()
    for flag in flags:
        trpr.append(OxmlElement(f"w:{flag}"))


def _add_table(doc: Any, spec: dict[str, Any], width_mm: float) -> None:
    """Caption in bold, then a grid table: bold repeated header row, one row per entry, bold total row."""
    headers: list[str] = list(spec["headers"])
    rows: list[list[str]] = [list(r) for r in spec["rows"]]
    total: list[str] = list(spec.get("total") or [])
    caption = doc.add_paragraph()
    caption.paragraph_format.space_before = Pt(12)
    caption.paragraph_format.space_after = Pt(6)
    caption.paragraph_format.keep_with_next = True
    add_run(caption, str(spec["caption"]), CAPTION_PT, bold=True)

    table = doc.add_table(rows=0, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_table_borders(table, "single")
    set_cell_margins(table, Mm(1))
    widths = column_widths(headers, [*rows, total], width_mm)

    def new_row(values: Sequence[str], *, bold: bool = False, header: bool = False) -> None:
        row = table.add_row()
        _row_flags(row, "cantSplit", *(["tblHeader"] if header else []))
        for i, cell in enumerate(row.cells):
            text = values[i] if i < len(values) else ""
            left = not header and not _NUMERIC.match(text)
            _cell(cell, text, bold=bold or header,
                  align=WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER)

    new_row(headers, header=True)
    for values in rows:
        new_row(values)
    if not rows:
        row = table.add_row()
        merged = row.cells[0].merge(row.cells[-1]) if len(headers) > 1 else row.cells[0]
        _cell(merged, EMPTY_TABLE_TEXT, italic=True)
    if total:
        new_row(total, bold=True)
    set_column_widths(table, widths)


def set_column_widths(table: Table, widths_mm: Sequence[float]) -> None:
    """Fixed widths on the grid, every cell and the table itself: Word and LibreOffice then agree."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)
    table_width = table._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(sum(Mm(w).twips for w in widths_mm)))


def set_cell_margins(table: Table, margin: Length) -> None:
    """Left and right margins inside cells (Word's default is 1.9 mm): narrow columns need the room."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(margin.twips))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                           "w:tblPrChange")


def _text_width_mm(document: DocumentObject) -> float:
    """The template's text width, so tables follow the clerk's margins and orientation."""
    section = document.sections[-1]
    width = Emu((section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0))
    return float(width.mm)


def tables_block(template: DocxTemplate, tables: Sequence[dict[str, Any]]) -> Markup:
    """All report tables as WordprocessingML for the `{{p tables_block }}` placeholder.

    Built with python-docx in a scratch document and inserted as raw XML, which is what a docxtpl Subdoc
    does without needing docxcompose; the tables use direct formatting only, so no style has to follow them.
    """
    scratch = Document()
    width = _text_width_mm(template.get_docx())
    for spec in tables:
        _add_table(scratch, spec, width)
    body = scratch.element.body
    return Markup("".join(etree.tostring(child, encoding="unicode") for child in body
                          if child.tag != qn("w:sectPr")))


class TableSlot:
    """What `{{ key.… }}` renders to: the caption and headers of the context's table of that key as text, and
    every row cell (`cK`, `sK`) back as its own token, for `fill_table_slots` to repeat the template row once the
    Jinja pass is done (so a teacher's text that looks like a tag is never evaluated). Without a table, everything
    is a token: that is how the Google starter Doc keeps the slots, and how an unused slot is found and removed."""

    def __init__(self, key: str, spec: dict[str, Any] | None = None) -> None:
        self._key = key
        self._spec = spec

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._spec is not None and name == "caption":
            return str(self._spec["caption"])
        if self._spec is not None and name[:1] == "h" and name[1:].isdigit():
            headers = self._spec["headers"]
            return str(headers[int(name[1:]) - 1]) if int(name[1:]) <= len(headers) else ""
        return f"{{{{{self._key}.{name}}}}}"


def table_by_key(tables: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The context's tables by key (a table saved without a key has no slot: it goes to the code-built block)."""
    return {str(t["key"]): t for t in tables if t.get("key")}


def table_slots(names: Iterable[str], tables: Sequence[dict[str, Any]] | None) -> dict[str, TableSlot]:
    """A `TableSlot` for every table key a template uses; `tables` None keeps them all as tokens (the starter
    Doc)."""
    specs = table_by_key(tables or [])
    return {name: TableSlot(name, None if tables is None else specs.get(name)) for name in names
            if is_table_key(name)}


def _slot_tokens(element: Any) -> list[tuple[str, str]]:
    return [(key, part) for text in element.itertext() for key, part in SLOT_TOKEN.findall(text)
            if is_table_key(key)]


def _fill_tokens(tr: Any, key: str, letter: str, values: Sequence[str], *, bold: bool = False) -> None:
    """Each `{{key.<letter>K}}` run of a row becomes the row's K-th value, keeping the run's formatting."""
    from docx.text.run import Run

    def value(match: re.Match[str]) -> str:
        if match.group(2) == "caption":
            return match.group(0)
        if not is_table_key(match.group(1)):
            return match.group(0)
        k = int(match.group(2)[1:])
        return values[k - 1] if match.group(2)[0] == letter and match.group(1) == key and k <= len(values) else ""

    for r in tr.iter(qn("w:r")):
        run = Run(r, None)  # type: ignore[arg-type]
        if "{{" in run.text:
            run.text = SLOT_TOKEN.sub(value, run.text)
            if bold:
                run.bold = True


def _empty_row(tr: Any) -> None:
    """The copied template row as one merged cell saying "Không có" (the list is empty)."""
    cells = tr.findall(qn("w:tc"))
    first = cells[0]
    for r in list(first.iter(qn("w:r")))[1:]:
        r.getparent().remove(r)
    runs = list(first.iter(qn("w:r")))
    if runs:
        from docx.text.run import Run
        run = Run(runs[0], None)  # type: ignore[arg-type]
        run.text = EMPTY_TABLE_TEXT
        run.italic = True
    span = 0
    for tc in cells:
        width = tc.find(qn("w:tcPr") + "/" + qn("w:gridSpan"))
        span += int(width.get(qn("w:val"))) if width is not None else 1
    for tc in cells[1:]:
        tr.remove(tc)
    if span > 1:
        first.grid_span = span
        total = sum(int(tc.find(qn("w:tcPr") + "/" + qn("w:tcW")).get(qn("w:w"), "0"))
                    for tc in cells if tc.find(qn("w:tcPr") + "/" + qn("w:tcW")) is not None)
        if total:
            first.get_or_add_tcPr().get_or_add_tcW().set(qn("w:w"), str(total))
    for p in first.iter(qn("w:p")):
        jc = p.find(qn("w:pPr") + "/" + qn("w:jc"))
        if jc is not None:
            jc.set(qn("w:val"), "center")


def fill_table_slots(document: DocumentObject, tables: Sequence[dict[str, Any]], template: Path) -> None:
    """Grow every slot table of a rendered template from its own template row, keeping the clerk's widths,
    borders, fonts and shading; remove the slots (and their captions) the report has no table for."""
    body = document.element.body
    specs = table_by_key(tables)
    for table in list(document.tables):
        tokens = _slot_tokens(table._tbl)
        if not tokens:
            continue
        key = tokens[0][0]
        rows = list(table._tbl.findall(qn("w:tr")))
        template_rows = [tr for tr in rows if any(p[0] == "c" for _, p in _slot_tokens(tr))]
        total_rows = [tr for tr in rows if any(p[0] == "s" for _, p in _slot_tokens(tr))]
        if key not in specs:
            for p in body.iter(qn("w:p")):
                if any(k == key and part == "caption" for k, part in _slot_tokens(p)):
                    p.getparent().remove(p)
                    break
            table._tbl.getparent().remove(table._tbl)
            continue
        spec = specs[key]
        if len(template_rows) != 1:
            raise TemplateError(template, f"bảng mẫu {{{{ {key}.… }}}} phải có đúng một dòng mẫu chứa "
                                          f"{{{{ {key}.c1 }}}}, {{{{ {key}.c2 }}}}…", [key])
        placed = {int(part[1:]) for _, part in _slot_tokens(template_rows[0]) if part[0] == "c"}
        missing = [k for k in range(1, len(spec["headers"]) + 1) if k not in placed]
        if missing:
            names = [f"{key}.c{k}" for k in missing]
            raise TemplateError(template, "dòng mẫu của " + str(spec["caption"]).split(".")[0] + " thiếu ô "
                                + ", ".join("{{ " + n + " }}" for n in names) + " (bảng có "
                                + str(len(spec["headers"])) + " cột); hãy thêm cột theo templates/README.md.", names)
        model = template_rows[0]
        anchor = model
        for values in spec["rows"] or [None]:
            row = copy.deepcopy(model)
            if values is None:
                _empty_row(row)
            else:
                _fill_tokens(row, key, "c", [str(v) for v in values])
            anchor.addnext(row)
            anchor = row
        model.getparent().remove(model)
        total = [str(v) for v in spec.get("total") or []]
        for tr in total_rows:
            if total:
                _fill_tokens(tr, key, "s", total)
            else:
                tr.getparent().remove(tr)
        if total and not total_rows:
            row = copy.deepcopy(model)
            _fill_tokens(row, key, "c", total, bold=True)
            anchor.addnext(row)


# --- Templates -----------------------------------------------------------------------------------------------


def _open(path: Path) -> DocxTemplate:
    """Open a template or say, naming the file, why it is not a usable DOCX."""
    if not path.is_file():
        raise TemplateError(path, f"không tìm thấy tệp {path}.")
    if not zipfile.is_zipfile(path):
        raise TemplateError(path, "tệp không phải là tài liệu Word (.docx) hợp lệ hoặc đã bị hỏng; hãy lưu lại "
                                  "mẫu bằng Word dưới dạng .docx hoặc tạo lại bằng templates/build_templates.py.")
    try:
        template = DocxTemplate(path)
        template.init_docx()
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise TemplateError(path, f"tệp .docx bị hỏng, không đọc được ({exc}).") from exc
    return template


class _TemplateEnvironment(SandboxedEnvironment):
    """Templates are documents a clerk edits in Word, maybe received from elsewhere: rendering runs in Jinja's
    sandbox (no `__class__`, `__subclasses__`, `__globals__`…), and what a template parses to is kept so its
    check can refuse such a reach before any run, naming it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.parsed: list[nodes.Template] = []

    def parse(self, source: str, name: str | None = None, filename: str | None = None) -> nodes.Template:
        tree = super().parse(source, name, filename)
        self.parsed.append(tree)
        return tree


def _unsafe_reaches(trees: Iterable[nodes.Template]) -> list[str]:
    """Attribute or item names the sandbox would refuse: anything private or dunder."""
    found: list[str] = []
    for tree in trees:
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            name = node.attr if isinstance(node, nodes.Getattr) else getattr(getattr(node, "arg", None), "value", None)
            if isinstance(name, str) and name.startswith("_"):
                found.append(name)
    return sorted(set(found))


def _checked(path: Path, context_keys: AbstractSet[str],
             required: AbstractSet[str] = REQUIRED_PLACEHOLDERS) -> tuple[DocxTemplate, set[str]]:
    """The opened template and the placeholders it uses, once it is known to be a DOCX that uses only
    `context_keys` (and RENDERER_KEYS) and every `required` placeholder."""
    template = _open(path)
    environment = _TemplateEnvironment()
    try:
        used = template.get_undeclared_template_variables(jinja_env=environment)
    except TemplateSyntaxError as exc:
        raise TemplateError(path, f"lỗi cú pháp trong thẻ mẫu: {exc.message}.") from exc
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise TemplateError(path, f"tệp .docx bị hỏng, không đọc được ({exc}).") from exc
    unsafe = _unsafe_reaches(environment.parsed)
    if unsafe:
        raise TemplateError(path, "có thẻ truy cập thuộc tính nội bộ (" + ", ".join(unsafe) + "), không được "
                                  "phép trong mẫu báo cáo. Hãy dùng đúng các trường ở templates/README.md.")
    slots = {name for name in used if is_table_key(name)}
    # the template's own tables stand for the code-built block
    satisfied = used | {"tables_block"} if slots else used
    unknown = sorted(used - set(context_keys) - RENDERER_KEYS - slots)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        raise TemplateError(path, f"dùng trường {names} nhưng dữ liệu báo cáo không có trường này. Hãy sửa tên "
                                  f"trường trong Word theo danh sách ở templates/README.md.", unknown)
    missing = sorted((set(required) | REQUIRED_FOR_TEMPLATE.get(path.name, frozenset())) - satisfied)
    if missing:
        names = ", ".join("{{ " + name + " }}" for name in missing)
        raise TemplateError(path, f"thiếu trường bắt buộc {names} (báo cáo phải có đủ các thành phần theo Nghị "
                                  f"định 30/2020/NĐ-CP). Hãy thêm lại trường này theo templates/README.md.", missing)
    return template, set(used)


def check_template(path: Path, context_keys: AbstractSet[str],
                   required: AbstractSet[str] = REQUIRED_PLACEHOLDERS) -> None:
    """Fail before any run if a template is broken, uses a placeholder the context will not have, or lacks one
    the report must show."""
    _checked(path, context_keys, required)


def _nfc(value: Any) -> Any:
    """Vietnamese text in composed form (NFC), so diacritics print and search the same everywhere."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_nfc(v) for v in value]
    return value


def charts_block(template: DocxTemplate, charts: Sequence[dict[str, Any]], work_dir: Path) -> Markup:
    """Every chart drawn to PNG and placed at `{{p charts_block }}`: the bold caption and the picture (at the text
    width, 16 cm at most) in one paragraph whose lines are kept together, so a caption never ends a page alone."""
    width = Mm(min(_text_width_mm(template.get_docx()), 160))
    scratch = Document()
    parts = []
    for index, spec in enumerate(charts, start=1):
        png = render_chart(spec, work_dir / f"chart-{index}.png")
        paragraph = scratch.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(12)
        paragraph.paragraph_format.keep_together = True
        add_run(paragraph, str(spec["caption"]), CAPTION_PT, bold=True)
        paragraph.add_run().add_break()
        picture = etree.fromstring(f'<w:r xmlns:w="{_W}"><w:drawing/></w:r>')
        picture[0].append(template.docx.part.new_pic_inline(str(png), width, None))
        paragraph._p.append(picture)
        parts.append(etree.tostring(paragraph._p, encoding="unicode"))
    return Markup("".join(parts))


def render_docx(template: Path, context: dict[str, Any], out: Path) -> Path:
    """Render `context` into `template` and save it as `out`; text is XML-escaped, so "&" and "<" stay literal."""
    tpl, used = _checked(template, context.keys())
    data = _nfc(context)
    tables = data.get("tables", [])
    slots = table_slots(used, tables)
    data |= slots
    unplaced = [t for t in tables if t.get("key") not in slots]
    if unplaced and "tables_block" not in used:
        raise TemplateError(template, "không có chỗ cho " + ", ".join(
            str(t["caption"]).split(".")[0] + (f" ({{{{ {t['key']}.… }}}})" if t.get("key") else "") for t in unplaced)
            + ": thêm bảng mẫu hoặc {{p tables_block }} theo templates/README.md.")
    # Tables with a slot in the template grow there; the others, if any, go to the code-built block.
    data["tables_block"] = tables_block(tpl, unplaced)
    with tempfile.TemporaryDirectory(prefix="thidua-charts-") as work:
        data["charts_block"] = charts_block(tpl, data.get("charts", []), Path(work))
        try:
            tpl.render(data, jinja_env=_TemplateEnvironment(undefined=StrictUndefined), autoescape=True)
        except SecurityError:
            raise TemplateError(template, "có thao tác không được phép trong mẫu báo cáo (môi trường an toàn đã "
                                          "chặn); hãy dùng đúng các trường ở templates/README.md.") from None
        except (UndefinedError, TemplateSyntaxError) as exc:
            raise TemplateError(template, f"không điền được mẫu vì thiếu dữ liệu ({exc.message}).") from exc
    fill_table_slots(tpl.docx, tables, template)
    properties = tpl.docx.core_properties
    properties.title = str(data.get("title", ""))
    properties.author = str(data.get("school_header", ""))
    with written_whole(out, "báo cáo") as partial:  # a retried task never finds a half-written report
        tpl.save(partial)
    return out


# --- Conversion and reading back -----------------------------------------------------------------------------


def docx_to_pdf(docx: Path, out_dir: Path, timeout: float = 120) -> Path | None:
    """Convert with this process's long-lived LibreOffice (connectors.pdf: private profile, killed at the timeout,
    one-shot soffice when it cannot start).

    Returns None when LibreOffice is not installed: the caller reports "skipping PDF" and sends the DOCX.
    """
    soffice = find_soffice()
    if soffice is None:
        log.warning("LibreOffice (soffice) is not installed: skipping PDF for %s", docx.name)
        return None
    pdf = out_dir / f"{docx.stem}.pdf"
    try:
        convert_pdf(docx, pdf, timeout, soffice)
    except PdfConversionError as exc:
        raise ConversionError(str(exc)) from exc
    return pdf


def _cells(row: Any) -> list[str]:
    """A row's visible cells: a horizontally merged cell counts once."""
    seen: list[Any] = []
    texts: list[str] = []
    for cell in row.cells:
        if cell._tc not in seen:
            seen.append(cell._tc)
            texts.append(cell.text)
    return texts


def docx_tables(path: Path) -> list[list[list[str]]]:
    """Every top-level table (header and signature layout tables included) as rows of cell texts."""
    return [[_cells(row) for row in table.rows] for table in Document(str(path)).tables]


def docx_text(path: Path) -> str:
    """The document's text in reading order: paragraphs, and table rows with cells separated by tabs."""
    document = Document(str(path))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend("\t".join(_cells(row)) for row in block.rows)
    return "\n".join(lines)


def pdf_text(path: Path) -> str:
    """Text of a PDF as laid out on the page (pdftotext -layout)."""
    if shutil.which("pdftotext") is None:
        raise ConversionError("Chưa cài pdftotext (poppler-utils), không đọc được PDF.")
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, timeout=60, check=False)
    if result.returncode != 0:
        raise ConversionError(f"pdftotext không đọc được {path.name}: {result.stderr.decode('utf-8', 'replace')}")
    return result.stdout.decode("utf-8")


# --- The flow's single call ----------------------------------------------------------------------------------


class LocalDocumentBuilder:
    """Builds report files from local DOCX templates into `out_dir`: DOCX always, PDF when LibreOffice exists."""

    def __init__(self, templates_dir: Path, out_dir: Path, pdf_timeout: float = 120) -> None:
        self.templates_dir = templates_dir
        self.out_dir = out_dir
        self.pdf_timeout = pdf_timeout

    def template_path(self, template_name: str) -> Path:
        """The template inside the templates folder, or a TemplateError: a plan's `template:` is never a way
        to a file elsewhere (`../`, an absolute path, a symlink out)."""
        name = template_name if template_name.endswith(".docx") else f"{template_name}.docx"
        folder = self.templates_dir.resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise TemplateError(Path(name), f"mẫu phải nằm trong thư mục mẫu «{self.templates_dir}»; hãy ghi tên "
                                            "tệp mẫu (ví dụ: registration), không ghi đường dẫn.")
        return path

    def check_templates(self, names: Iterable[str] | None = None) -> None:
        """Check the named templates (the plan's; by default every kind's), so a broken one stops the flow
        before any work."""
        for name in sorted(set(TEMPLATE_FOR_KIND.values() if names is None else names)):
            check_template(self.template_path(name), CONTEXT_KEYS)

    def build(self, template_name: str, context: dict[str, Any], basename: str) -> BuiltReport:
        """Render `context` with the named template into `<out_dir>/<basename>.docx`, its PDF and its annex
        workbook `<basename>_phu_luc.xlsx` (every table with real numbers, for the district's own sums)."""
        if (soffice := find_soffice()) is not None:
            prewarm_pdf(soffice)  # LibreOffice starts while the DOCX is rendered
        docx = render_docx(self.template_path(template_name), context, self.out_dir / f"{basename}.docx")
        annex = write_annex(_nfc(context), self.out_dir / f"{basename}{ANNEX_SUFFIX}")
        return BuiltReport(docx=docx, pdf=docx_to_pdf(docx, self.out_dir, self.pdf_timeout), annex=annex)
