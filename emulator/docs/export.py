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
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from connectors.pdf import PdfConversionError
from connectors.pdf import convert as convert_pdf
from emulator.docs.models import (
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


def _fill_paragraph(target: DocxParagraph, paragraph: Paragraph) -> None:
    run_text = ""
    run_style = "{}"

    def flush() -> None:
        if not run_text:
            return
        style: dict[str, Any] = json.loads(run_style)
        run = target.add_run(run_text)
        run.bold = style.get("bold")
        run.italic = style.get("italic")
        run.underline = style.get("underline")
        size = (style.get("fontSize") or {}).get("magnitude")
        if size:
            run.font.size = docx.shared.Pt(float(size))

    for atom in paragraph.atoms:
        if atom.obj is not None:
            flush()
            run_text = ""
            target.add_run("[image]")
            continue
        if atom.ch == "\n":
            continue
        if atom.style != run_style:
            flush()
            run_text, run_style = "", atom.style
        run_text += atom.ch
    flush()


def _emit(container: Any, blocks: list[Block], in_cell: bool) -> None:
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
            _fill_paragraph(target, block)
        elif isinstance(block, Table):
            columns = max((len(r) for r in block.rows), default=1)
            table = container.add_table(rows=len(block.rows), cols=columns)
            table.style = "Table Grid"
            # row.cells, not table.cell(r, c): python-docx rebuilds the whole grid on every table.cell call.
            for docx_row, row in zip(table.rows, block.rows, strict=True):
                for docx_cell, cell in zip(docx_row.cells, row, strict=False):
                    _emit(docx_cell, cell, True)
            first_cell_paragraph = False


def to_docx(doc: Document) -> bytes:
    out: DocxDocument = docx.Document()
    out.core_properties.title = doc.title
    _emit(out, doc.body, False)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


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
        key = json.dumps(style, sort_keys=True)
        atoms.extend(Atom(ch, key) for ch in run.text.replace("\r", "").replace("\n", "\u000b"))
    return [*atoms, NEWLINE]


def _paragraph_from_docx(paragraph: DocxParagraph) -> Paragraph:
    named = "NORMAL_TEXT"
    style_name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style_name.startswith("Heading ") and style_name[8:].isdigit():
        named = f"HEADING_{style_name[8:]}"
    elif style_name == "Title":
        named = "TITLE"
    return Paragraph(_atoms_from_docx(paragraph), {"namedStyleType": named, "direction": "LEFT_TO_RIGHT"})


def _blocks_from_container(parent: Any, element: Any) -> list[Block]:
    blocks: list[Block] = []
    for child in element.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_paragraph_from_docx(DocxParagraph(child, parent)))
        elif tag == "tbl":
            table = DocxTable(child, parent)
            rows: list[list[list[Block]]] = []
            for row in table.rows:
                cells: list[list[Block]] = []
                for cell in row.cells:
                    content = _blocks_from_container(cell, cell._tc)
                    cells.append([b for b in content if not isinstance(b, SectionBreak)] or empty_cell())
                rows.append(cells)
            if blocks and isinstance(blocks[-1], Table):
                blocks.append(Paragraph([NEWLINE]))
            blocks.append(Table(rows))
    return blocks


def blocks_from_docx(stream: IO[bytes]) -> list[Block]:
    """A DOCX body as Docs blocks (paragraph text and styles, tables); images and headers are dropped."""
    source = docx.Document(stream)
    blocks: list[Block] = [SectionBreak(), *_blocks_from_container(source, source.element.body)]
    if not isinstance(blocks[-1], Paragraph):
        blocks.append(Paragraph([NEWLINE]))
    assert content_size(blocks) >= 2
    return blocks
