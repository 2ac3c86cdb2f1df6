"""Teachers' free text renders literally: XML specials, template-looking braces, decomposed diacritics."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document

from connectors.local.documents import docx_tables, docx_text, render_docx

from .conftest import TEMPLATES

Context = Callable[[str], dict[str, Any]]


def test_ampersand_and_angle_brackets_render_literally(tmp_path: Path, context_of: Context) -> None:
    context = context_of("D2")
    context["title"] = "Gương điển hình: Văn & Toán <quý I>"
    context["tables"][1]["rows"][0][3] = 'Dạy tốt & học tốt; điểm < 5 giảm "30%" > mục tiêu'
    out = render_docx(TEMPLATES / "exemplars.docx", context, tmp_path / "D2.docx")
    Document(str(out))  # still a valid document
    assert "Gương điển hình: Văn & Toán <quý I>" in docx_text(out)
    assert docx_tables(out)[2][1][3] == 'Dạy tốt & học tốt; điểm < 5 giảm "30%" > mục tiêu'


def test_template_tags_in_teacher_text_are_not_evaluated(tmp_path: Path, context_of: Context) -> None:
    context = context_of("D1")
    context["tables"][3]["rows"][0][5] = "{{ signer_name }} {% if 1 %}x{% endif %}"
    context["intro"] = "Ghi chú {{ title }}"
    out = render_docx(TEMPLATES / "registration.docx", context, tmp_path / "D1.docx")
    assert docx_tables(out)[4][1][5] == "{{ signer_name }} {% if 1 %}x{% endif %}"
    assert "Ghi chú {{ title }}" in docx_text(out)


def test_decomposed_diacritics_are_written_composed(tmp_path: Path, context_of: Context) -> None:
    context = context_of("D2")
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Lan")
    context["tables"][1]["rows"][0][1] = decomposed
    out = render_docx(TEMPLATES / "exemplars.docx", context, tmp_path / "D2.docx")
    assert docx_tables(out)[2][1][1] == "Nguyễn Thị Lan" != decomposed


def test_template_wording_is_composed_unicode(tmp_path: Path) -> None:
    for template in TEMPLATES.glob("*.docx"):
        text = docx_text(template)
        assert text == unicodedata.normalize("NFC", text), template.name
