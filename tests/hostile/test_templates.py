"""A report template is a document from outside the code: it renders in Jinja's sandbox and only from the
templates folder, so neither a hostile tag nor a plan's `template:` path can reach past it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document

from connectors.local.documents import LocalDocumentBuilder, TemplateError
from tests.documents.conftest import TEMPLATES, load_context

# What ran a shell command under a plain jinja2.Environment (issue 18, finding 2).
SUBCLASSES = "{{ ''.__class__.__mro__[1].__subclasses__() }}"


def _shipped_with(tmp_path: Path, line: str, name: str = "registration.docx") -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    document = Document(str(TEMPLATES / name))
    document.add_paragraph(line)
    document.save(str(folder / name))
    return folder


@pytest.mark.parametrize("line", [
    SUBCLASSES,
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ title['__class__'] }}",
    "{% set x = lipsum.__globals__ %}{{ x }}",
], ids=["mro-subclasses", "cycler-globals-popen", "item-dunder", "lipsum-globals"])
def test_a_template_reaching_for_python_internals_is_refused_before_anything_runs(tmp_path: Path, line: str) -> None:
    marker = tmp_path / "ran"
    folder = _shipped_with(tmp_path, line.replace("{marker}", str(marker)))
    builder = LocalDocumentBuilder(folder, tmp_path / "out")
    with pytest.raises(TemplateError, match="thuộc tính nội bộ"):
        builder.check_templates(["registration"])
    with pytest.raises(TemplateError):
        builder.build("registration", load_context("D1"), "D1")
    assert not marker.exists()


def test_the_sandbox_stops_what_the_check_cannot_see(tmp_path: Path) -> None:
    """str.format reaches attributes from inside a string constant: only the sandbox sees it, at render time."""
    folder = _shipped_with(tmp_path, '{{ "{0.__class__.__mro__}".format(title) }}')
    builder = LocalDocumentBuilder(folder, tmp_path / "out")
    with pytest.raises(TemplateError, match="môi trường an toàn"):
        builder.build("registration", load_context("D1"), "D1")
    assert not (tmp_path / "out" / "D1.docx").exists()


@pytest.mark.parametrize("name", ["../registration", "../../templates/registration.docx", "/etc/passwd",
                                  "sub/../../registration"])
def test_a_template_outside_the_templates_folder_is_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(TEMPLATES / "registration.docx", tmp_path / "registration.docx")
    with pytest.raises(TemplateError, match="phải nằm trong thư mục mẫu"):
        LocalDocumentBuilder(folder, tmp_path / "out").template_path(name)


def test_a_symlink_out_of_the_templates_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(TEMPLATES / "registration.docx", tmp_path / "elsewhere.docx")
    (folder / "registration.docx").symlink_to(tmp_path / "elsewhere.docx")
    with pytest.raises(TemplateError, match="phải nằm trong thư mục mẫu"):
        LocalDocumentBuilder(folder, tmp_path / "out").template_path("registration")


def test_a_template_in_a_subfolder_of_the_templates_folder_is_used(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "2025").mkdir(parents=True)
    shutil.copy(TEMPLATES / "registration.docx", folder / "2025" / "registration.docx")
    path = LocalDocumentBuilder(folder, tmp_path / "out").template_path("2025/registration")
    assert path == (folder / "2025" / "registration.docx").resolve()
