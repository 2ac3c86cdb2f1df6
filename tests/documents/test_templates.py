"""Templates are checked before any run: a broken file or an unknown placeholder stops the flow with a name."""

from __future__ import annotations

import importlib.util
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from connectors.local.documents import (
    CONTEXT_KEYS,
    TEMPLATE_FOR_KIND,
    LocalDocumentBuilder,
    TemplateError,
    check_template,
    render_docx,
)

from .conftest import FIXTURES, TEMPLATES, load_context

#: A minimal template that shows everything Nghị định 30 requires, to which a test adds its own lines.
REQUIRED_LINES = ("{{ school_header }}", "{{ number }}", "{{ place_date }}", "{{ kind_label }}", "{{ title }}",
                  "{{p tables_block }}", "{%p for line in recipients %}", "{{ line }}", "{%p endfor %}",
                  "{{ signer_title }}", "{{ signer_name }}")


def _template_with(tmp_path: Path, *lines: str, name: str = "mau.docx", complete: bool = True) -> Path:
    document = Document()
    for line in (*REQUIRED_LINES, *lines) if complete else lines:
        document.add_paragraph(line)
    path = tmp_path / name
    document.save(str(path))
    return path


def test_every_context_has_exactly_the_exported_keys() -> None:
    for deadline_id in FIXTURES:
        assert set(load_context(deadline_id)) == CONTEXT_KEYS


def test_shipped_templates_pass_the_check(tmp_path: Path) -> None:
    LocalDocumentBuilder(TEMPLATES, tmp_path).check_templates()
    assert {p.name for p in TEMPLATES.glob("*.docx")} == set(TEMPLATE_FOR_KIND.values())


def test_build_script_regenerates_every_template_and_they_pass_the_check(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_templates", TEMPLATES / "build_templates.py")
    assert spec is not None and spec.loader is not None
    build_templates = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_templates)
    written = build_templates.main(tmp_path)
    assert {p.name for p in written} == set(TEMPLATE_FOR_KIND.values())
    LocalDocumentBuilder(tmp_path, tmp_path / "out").check_templates()


def test_builder_checks_the_templates_a_plan_names(tmp_path: Path) -> None:
    builder = LocalDocumentBuilder(TEMPLATES, tmp_path)
    builder.check_templates(["registration.docx", "review"])
    with pytest.raises(TemplateError, match=r'"bao-cao-khac.docx".*không tìm thấy'):
        builder.check_templates(["registration.docx", "bao-cao-khac.docx"])


def test_unknown_placeholder_is_named(tmp_path: Path) -> None:
    path = _template_with(tmp_path, "{{ school_name }}", "Người ký: {{ nguoi_ky }}")
    with pytest.raises(TemplateError, match=r'"mau.docx".*\{\{ nguoi_ky \}\}') as caught:
        check_template(path, CONTEXT_KEYS)
    assert caught.value.placeholders == ("nguoi_ky",)


@pytest.mark.parametrize("left_out", ["{{ signer_name }}", "{{p tables_block }}", "{{ number }}"])
def test_a_template_missing_a_required_placeholder_is_rejected_naming_it(tmp_path: Path, left_out: str) -> None:
    path = _template_with(tmp_path, *(line for line in REQUIRED_LINES if line != left_out), complete=False)
    name = left_out.strip("{} ").removeprefix("p ").strip()
    with pytest.raises(TemplateError, match=r'"mau.docx".*thiếu trường bắt buộc') as caught:
        check_template(path, CONTEXT_KEYS)
    assert caught.value.placeholders == (name,)


def test_the_evaluation_template_must_list_the_flags(tmp_path: Path) -> None:
    path = _template_with(tmp_path, name="evaluation.docx")
    with pytest.raises(TemplateError, match=r"\{\{ flags \}\}"):
        check_template(path, CONTEXT_KEYS)


def test_non_zip_template_is_named_as_broken(tmp_path: Path) -> None:
    path = tmp_path / "registration.docx"
    path.write_bytes(b"this is not a Word file")
    with pytest.raises(TemplateError, match=r'"registration.docx".*không phải là tài liệu Word'):
        check_template(path, CONTEXT_KEYS)


def test_zip_that_is_not_a_docx_is_named_as_broken(tmp_path: Path) -> None:
    path = tmp_path / "review.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(TemplateError, match=r'"review.docx".*bị hỏng'):
        check_template(path, CONTEXT_KEYS)


def test_missing_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r'"evaluation.docx".*không tìm thấy'):
        check_template(tmp_path / "evaluation.docx", CONTEXT_KEYS)


def test_jinja_syntax_error_is_reported_for_the_clerk(tmp_path: Path) -> None:
    path = _template_with(tmp_path, "{% if kind == 'annual' %}tổng kết", complete=False)
    with pytest.raises(TemplateError, match=r'"mau.docx".*lỗi cú pháp'):
        check_template(path, CONTEXT_KEYS)


def test_render_refuses_a_context_missing_a_used_key(tmp_path: Path,
                                                     context_of: Callable[[str], dict[str, Any]]) -> None:
    context = context_of("D2")
    del context["signer_name"]
    with pytest.raises(TemplateError, match=r"\{\{ signer_name \}\}"):
        render_docx(TEMPLATES / "exemplars.docx", context, tmp_path / "D2.docx")
    assert not (tmp_path / "D2.docx").exists()


def test_render_refuses_an_unknown_attribute(tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    path = _template_with(tmp_path, "{% for f in flags %}{{ f.muc_do }}{% endfor %}")
    with pytest.raises(TemplateError, match="muc_do"):
        render_docx(path, context_of("D5"), tmp_path / "out.docx")
