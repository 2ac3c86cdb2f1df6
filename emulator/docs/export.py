"""Docs export (DOCX with python-docx, PDF by converting that DOCX with LibreOffice) and DOCX import."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import docx
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from connectors.pdf import PdfConversionError
from connectors.pdf import convert as convert_pdf
from emulator.docs.document import (
    NEWLINE,
    Atom,
    Block,
    Document,
    Paragraph,
    SectionBreak,
    Table,
    content_size,
    empty_cell,
)
from emulator.errors import GoogleError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
TEXT = "text/plain"
_HEADINGS = {f"HEADING_{n}": n for n in range(1, 7)}


class DocExporter:
    def __init__(self, soffice: str | None = "soffice", timeout_seconds: float = 180) -> None:
        self.soffice = shutil.which(soffice) if soffice else None
        self.timeout_seconds = timeout_seconds

    def export(self, doc: Document, mime: str) -> bytes:
        if mime == DOCX:
            return to_docx(doc)
        if mime == TEXT:
            return to_text(doc.body).encode("utf-8")
        if mime == PDF:
            return self.to_pdf(to_docx(doc))
        raise GoogleError(400, "The requested conversion is not supported.", reason="badRequest")

    def to_pdf(self, docx_bytes: bytes) -> bytes:
        if self.soffice is None:
            raise GoogleError(
                501,
                "Export to PDF needs LibreOffice (soffice), which is not installed on this machine; install it "
                "(apt-get install libreoffice-writer) or export as DOCX.",
                reason="notImplemented",
            )
        with tempfile.TemporaryDirectory(prefix="thidua-emu-pdf-") as tmp:
            source = os.path.join(tmp, "document.docx")
            with open(source, "wb") as handle:
                handle.write(docx_bytes)
            target = os.path.join(tmp, "document.pdf")
            try:  # the emulator process's long-lived LibreOffice (private profile, killed at the timeout)
                convert_pdf(Path(source), Path(target), self.timeout_seconds, self.soffice)
            except PdfConversionError as exc:
                raise GoogleError(500, f"PDF conversion with LibreOffice failed: {exc}") from exc
            with open(target, "rb") as handle:
                return handle.read()


def to_text(blocks: list[Block]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append("".join(a.ch for a in block.atoms if a.obj is None))
        elif isinstance(block, Table):
            for row in block.rows:
                out.append("\t".join(to_text(cell).rstrip("\n") for cell in row) + "\n")
    return "".join(out)


_ALIGN_OUT = {"CENTER": WD_ALIGN_PARAGRAPH.CENTER, "END": WD_ALIGN_PARAGRAPH.RIGHT,
              "JUSTIFIED": WD_ALIGN_PARAGRAPH.JUSTIFY, "START": WD_ALIGN_PARAGRAPH.LEFT}
_ALIGN_IN = {v: k for k, v in _ALIGN_OUT.items()}


def _points(dimension: Any) -> float | None:
    if isinstance(dimension, dict) and dimension.get("magnitude") is not None:
        return float(dimension["magnitude"])
    return None


def _font(run: Any, family: str) -> None:
    """A font in every script slot, as Google's DOCX export writes it."""
    run.font.name = family
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:eastAsia", "w:cs"):
        fonts.set(qn(slot), family)


def _apply_text_style(run: Any, style: dict[str, Any]) -> None:
    run.bold = style.get("bold")
    run.italic = style.get("italic")
    run.underline = style.get("underline")
    size = _points(style.get("fontSize"))
    if size:
        run.font.size = docx.shared.Pt(size)
    family = (style.get("weightedFontFamily") or {}).get("fontFamily")
    if family:
        _font(run, family)


def _apply_paragraph_style(target: DocxParagraph, style: dict[str, Any]) -> None:
    fmt = target.paragraph_format
    if style.get("alignment") in _ALIGN_OUT:
        fmt.alignment = _ALIGN_OUT[style["alignment"]]
    for key, attribute in (("spaceAbove", "space_before"), ("spaceBelow", "space_after"),
                           ("indentFirstLine", "first_line_indent"), ("indentStart", "left_indent"),
                           ("indentEnd", "right_indent")):
        value = _points(style.get(key))
        if value is not None:
            setattr(fmt, attribute, docx.shared.Pt(value))
    if style.get("keepWithNext"):
        fmt.keep_with_next = True


def _fill_paragraph(target: DocxParagraph, paragraph: Paragraph, doc: Document | None = None) -> None:
    run_text = ""
    run_style = "{}"
    _apply_paragraph_style(target, paragraph.style)

    def flush() -> None:
        if not run_text:
            return
        style: dict[str, Any] = json.loads(run_style)
        _apply_text_style(target.add_run(run_text), style)

    for atom in paragraph.atoms:
        if atom.obj is not None:
            flush()
            run_text = ""
            data = doc.images.get(atom.obj) if doc is not None else None
            if data is None:
                target.add_run("[image]")
                continue
            size = (doc.inline_objects.get(atom.obj, {}).get("inlineObjectProperties", {})  # type: ignore[union-attr]
                    .get("embeddedObject", {}).get("size", {}))
            width = _points(size.get("width"))
            target.add_run().add_picture(io.BytesIO(data), width=docx.shared.Pt(width) if width else None)
            continue
        if atom.ch == "\n":
            continue
        if atom.style != run_style:
            flush()
            run_text, run_style = "", atom.style
        run_text += atom.ch
    flush()


def _emit(container: Any, blocks: list[Block], in_cell: bool, doc: Document | None = None) -> None:
    first_cell_paragraph = in_cell
    for block in blocks:
        if isinstance(block, Paragraph):
            named = str(block.style.get("namedStyleType", "NORMAL_TEXT"))
            if first_cell_paragraph:
                target = container.paragraphs[0]
                first_cell_paragraph = False
            elif named in _HEADINGS and not in_cell:
                target = container.add_heading(level=_HEADINGS[named])
            elif named == "TITLE" and not in_cell:
                target = container.add_heading(level=0)
            else:
                target = container.add_paragraph()
            _fill_paragraph(target, block, doc)
        elif isinstance(block, Table):
            columns = max((len(r) for r in block.rows), default=1)
            table = container.add_table(rows=len(block.rows), cols=columns)
            if block.style.get("emuBorders") != "none":
                table.style = "Table Grid"
            if block.style.get("emuAlignment") == "CENTER":
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
            _cell_padding(table, block.style)
            widths = [_points((p or {}).get("width")) for p in block.style.get("tableColumnProperties") or []]
            fixed = len(widths) == columns and all(widths)
            if fixed:
                table.autofit = False
            # row.cells, not table.cell(r, c): python-docx rebuilds the whole grid on every table.cell call.
            for docx_row, row in zip(table.rows, block.rows, strict=True):
                for c, (docx_cell, cell) in enumerate(zip(docx_row.cells, row, strict=False)):
                    if fixed:
                        docx_cell.width = docx.shared.Pt(widths[c] or 0)
                    _emit(docx_cell, cell, True, doc)
            if fixed:
                for column, width in zip(table.columns, widths, strict=True):
                    column.width = docx.shared.Pt(width or 0)
            pinned = int(block.style.get("pinnedHeaderRowsCount") or 0)
            for r, docx_row in enumerate(table.rows):
                trpr = docx_row._tr.get_or_add_trPr()
                if block.style.get("emuPreventOverflow"):
                    trpr.append(OxmlElement("w:cantSplit"))
                if r < pinned:
                    trpr.append(OxmlElement("w:tblHeader"))
            first_cell_paragraph = False


def _cell_padding(table: DocxTable, style: dict[str, Any]) -> None:
    sides = [(side, style[key]) for side, key in (("left", "emuPaddingLeft"), ("right", "emuPaddingRight"))
             if key in style]
    if not sides:
        return
    margins = OxmlElement("w:tblCellMar")
    for side, points in sides:
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(round(points * 20)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                           "w:tblPrChange")


def _page_setup(out: DocxDocument, doc: Document) -> None:
    """The Doc's page size, margins and normal text style, which Google's export writes into the DOCX."""
    section = out.sections[0]
    page = doc.document_style.get("pageSize") or {}
    for key, attribute in (("width", "page_width"), ("height", "page_height")):
        value = _points(page.get(key))
        if value:
            setattr(section, attribute, docx.shared.Pt(value))
    for key, attribute in (("marginTop", "top_margin"), ("marginBottom", "bottom_margin"),
                           ("marginLeft", "left_margin"), ("marginRight", "right_margin")):
        value = _points(doc.document_style.get(key))
        if value is not None:
            setattr(section, attribute, docx.shared.Pt(value))
    normal = out.styles["Normal"]
    size = _points(doc.normal_text_style.get("fontSize"))
    if size:
        normal.font.size = docx.shared.Pt(size)
    family = (doc.normal_text_style.get("weightedFontFamily") or {}).get("fontFamily")
    if family:
        normal.font.name = family
        fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(slot), family)
    if doc.document_style:
        normal.paragraph_format.space_after = docx.shared.Pt(0)
        normal.paragraph_format.line_spacing = 1.0


def to_docx(doc: Document) -> bytes:
    out: DocxDocument = docx.Document()
    out.core_properties.title = doc.title
    _page_setup(out, doc)
    _emit(out, doc.body, False, doc)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _pt(value: Any) -> dict[str, Any]:
    return {"magnitude": round(float(value.pt), 2), "unit": "PT"}


def _atoms_from_docx(paragraph: DocxParagraph) -> list[Atom]:
    atoms: list[Atom] = []
    for run in paragraph.runs:
        style: dict[str, Any] = {}
        if run.bold:
            style["bold"] = True
        if run.italic:
            style["italic"] = True
        if run.underline:
            style["underline"] = True
        if run.font.size:
            style["fontSize"] = _pt(run.font.size)
        if run.font.name:
            style["weightedFontFamily"] = {"fontFamily": run.font.name, "weight": 400}
        key = json.dumps(style, sort_keys=True)
        atoms.extend(Atom(ch, key) for ch in run.text.replace("\r", "").replace("\n", "\u000b"))
    return [*atoms, NEWLINE]


def _paragraph_from_docx(paragraph: DocxParagraph, style_names: dict[str, str]) -> Paragraph:
    """`style_names`: the DOCX's style names by id, read once per file (python-docx's `paragraph.style` searches
    the styles part for every paragraph)."""
    named = "NORMAL_TEXT"
    style_name = style_names.get(paragraph._p.style or "", "")
    if style_name.startswith("Heading ") and style_name[8:].isdigit():
        named = f"HEADING_{style_name[8:]}"
    elif style_name == "Title":
        named = "TITLE"
    style: dict[str, Any] = {"namedStyleType": named, "direction": "LEFT_TO_RIGHT"}
    fmt = paragraph.paragraph_format
    if fmt.alignment in _ALIGN_IN:
        style["alignment"] = _ALIGN_IN[fmt.alignment]
    for attribute, key in (("space_before", "spaceAbove"), ("space_after", "spaceBelow"),
                           ("first_line_indent", "indentFirstLine"), ("left_indent", "indentStart"),
                           ("right_indent", "indentEnd")):
        value = getattr(fmt, attribute)
        if value is not None:
            style[key] = _pt(value)
    if fmt.keep_with_next:
        style["keepWithNext"] = True
    return Paragraph(_atoms_from_docx(paragraph), style)


def _table_style(table: DocxTable) -> dict[str, Any]:
    """Column widths, borders and alignment of an imported table, which Google keeps on conversion."""
    style: dict[str, Any] = {}
    grid = table._tbl.tblGrid
    widths = [int(c.get(qn("w:w"), "0")) for c in grid.findall(qn("w:gridCol"))] if grid is not None else []
    if widths and all(widths):
        style["tableColumnProperties"] = [{"widthType": "FIXED_WIDTH", "width": {"magnitude": w / 20, "unit": "PT"}}
                                          for w in widths]
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    if borders is not None and {e.get(qn("w:val")) for e in borders} <= {"nil", "none"}:
        style["emuBorders"] = "none"
    if table.alignment == WD_TABLE_ALIGNMENT.CENTER:
        style["emuAlignment"] = "CENTER"
    rows = table._tbl.findall(qn("w:tr"))
    pinned = 0
    for tr in rows:  # repeated header rows become pinned header rows
        if tr.trPr is None or tr.trPr.find(qn("w:tblHeader")) is None:
            break
        pinned += 1
    if pinned:
        style["pinnedHeaderRowsCount"] = pinned
    if rows and all(tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows):
        style["emuPreventOverflow"] = True  # each row's tableRowStyle.preventOverflow on Google
    margins = table._tbl.tblPr.find(qn("w:tblCellMar"))
    if margins is not None:  # Google keeps them as each cell's paddingLeft and paddingRight
        for side, key in (("left", "emuPaddingLeft"), ("right", "emuPaddingRight")):
            edge = margins.find(qn(f"w:{side}"))
            if edge is not None and edge.get(qn("w:w")):
                style[key] = int(edge.get(qn("w:w"))) / 20
    return style


def _blocks_from_container(parent: Any, element: Any, style_names: dict[str, str]) -> list[Block]:
    blocks: list[Block] = []
    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_paragraph_from_docx(DocxParagraph(child, parent), style_names))
        elif tag == "tbl":
            table = DocxTable(child, parent)
            rows: list[list[list[Block]]] = []
            for row in table.rows:
                cells: list[list[Block]] = []
                for cell in row.cells:
                    content = _blocks_from_container(cell, cell._tc, style_names)
                    cells.append([b for b in content if not isinstance(b, SectionBreak)] or empty_cell())
                rows.append(cells)
            if blocks and isinstance(blocks[-1], Table):
                blocks.append(Paragraph([NEWLINE]))
            blocks.append(Table(rows, _table_style(table)))
    return blocks


def styles_from_docx(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The documentStyle (page size, margins) and NORMAL_TEXT text style a DOCX import gives the Doc."""
    source = docx.Document(io.BytesIO(data))
    section = source.sections[0]
    document_style: dict[str, Any] = {}
    if section.page_width and section.page_height:
        document_style["pageSize"] = {"width": _pt(section.page_width), "height": _pt(section.page_height)}
    for attribute, key in (("top_margin", "marginTop"), ("bottom_margin", "marginBottom"),
                           ("left_margin", "marginLeft"), ("right_margin", "marginRight")):
        value = getattr(section, attribute)
        if value is not None:
            document_style[key] = _pt(value)
    normal = source.styles["Normal"].font
    text_style: dict[str, Any] = {}
    if normal.size:
        text_style["fontSize"] = _pt(normal.size)
    if normal.name:
        text_style["weightedFontFamily"] = {"fontFamily": normal.name, "weight": 400}
    return document_style, text_style


def blocks_from_docx(stream: IO[bytes]) -> list[Block]:
    """A DOCX body as Docs blocks (paragraph text and styles, tables); images and headers are dropped."""
    source = docx.Document(stream)
    style_names = {style.style_id: style.name or "" for style in source.styles}
    blocks: list[Block] = [SectionBreak(), *_blocks_from_container(source, source.element.body, style_names)]
    if not isinstance(blocks[-1], Paragraph):
        blocks.append(Paragraph([NEWLINE]))
    assert content_size(blocks) >= 2
    return blocks
