"""Fixtures for document tests: the fixture contexts rendered once per session with the real templates,
LibreOffice and poppler."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.local.documents import TEMPLATE_FOR_KIND, BuiltReport, LocalDocumentBuilder

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CONTEXTS = ROOT / "tests" / "fixtures" / "contexts"
ARTIFACTS = ROOT / "tests" / "artifacts"
#: One fixture per report kind (D3 interim and D8 annual share a template), built from the sample data.
FIXTURES = ["D1", "D2", "D3", "D5", "D8"]


def load_context(deadline_id: str) -> dict[str, Any]:
    context: dict[str, Any] = json.loads((CONTEXTS / f"{deadline_id}.json").read_text(encoding="utf-8"))
    return context


@pytest.fixture
def context_of() -> Callable[[str], dict[str, Any]]:
    """A fresh (deep-copied) fixture context, safe to modify in a test."""
    return lambda deadline_id: copy.deepcopy(load_context(deadline_id))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltReport]:
    """Every fixture context rendered to DOCX and PDF once: PDF conversion is the slow part."""
    builder = LocalDocumentBuilder(TEMPLATES, tmp_path_factory.mktemp("reports"))
    reports = {}
    for deadline_id in FIXTURES:
        context = load_context(deadline_id)
        reports[deadline_id] = builder.build(TEMPLATE_FOR_KIND[context["kind"]], context, deadline_id)
    return reports
