"""A delivered report never shows a tag: every report kind, on the local path and on the Google path, is read
back (PDF text and DOCX text) and searched for `{{`, `}}`, `{%` and every field name."""

from __future__ import annotations

import re

import pytest

from connectors.local.documents import CONTEXT_KEYS, RENDERER_KEYS, BuiltReport, docx_text, pdf_text

from .conftest import FIXTURES

#: A field name as it would show if a tag leaked (`school_header`, `TABLES_BLOCK`, `phase2_summary.c2`…); `kind`
#: and `title` are ordinary words of the text, so only the names with an underscore or a slot's dot count.
LEAKS = re.compile(r"\{\{|\}\}|\{%|%\}|\b[a-z][a-z0-9_]*\.(?:caption|[hcs][0-9]+)\b|"
                   + "|".join(re.escape(k) for k in sorted(CONTEXT_KEYS | RENDERER_KEYS) if "_" in k),
                   re.IGNORECASE)


def _leaks(text: str) -> list[str]:
    return sorted({m.group(0) for m in LEAKS.finditer(text)})


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_local_report_has_no_tag_left(built: dict[str, BuiltReport], deadline_id: str) -> None:
    report = built[deadline_id]
    assert report.pdf is not None
    assert _leaks(pdf_text(report.pdf)) == []
    assert _leaks(docx_text(report.docx)) == []


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_google_report_has_no_tag_left(google_built: dict[str, BuiltReport], deadline_id: str) -> None:
    report = google_built[deadline_id]
    assert report.pdf is not None
    assert _leaks(pdf_text(report.pdf)) == []
    assert _leaks(docx_text(report.docx)) == []


def test_leak_pattern_finds_what_the_google_path_used_to_leave() -> None:
    assert _leaks("{{GOVERNING_BODY}}\nHIỆU TRƯỞNG {{SIGNER_TITLE}} team_results.c2") == [
        "GOVERNING_BODY", "SIGNER_TITLE", "team_results.c2", "{{", "}}"]
