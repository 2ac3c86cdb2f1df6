"""Fixtures for document tests: the fixture contexts rendered with the real templates, LibreOffice and poppler,
once per test run whichever xdist worker asks first (tests/run_once.py): the other worker reads the files."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from connectors.local.documents import TEMPLATE_FOR_KIND, BuiltReport, LocalDocumentBuilder
from connectors.ports import DocumentBuilder
from tests.run_once import once_per_run

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


def build_fixtures(builder: DocumentBuilder) -> dict[str, BuiltReport]:
    """Every fixture context built by `builder`, named by its deadline."""
    reports = {}
    for deadline_id in FIXTURES:
        context = load_context(deadline_id)
        reports[deadline_id] = builder.build(TEMPLATE_FOR_KIND[context["kind"]], context, deadline_id)
    return reports


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], dict[str, BuiltReport]]) -> dict[str, BuiltReport]:
    """`build`'s reports, made once per run (tests/run_once.py); their files are only read."""
    def paths(out: Path) -> dict[str, dict[str, str | None]]:
        return {deadline_id: {field: str(path) if path else None for field, path in asdict(report).items()}
                for deadline_id, report in build(out).items()}

    _, found = once_per_run(tmp_path_factory, name, paths)
    return {deadline_id: BuiltReport(**{field: Path(path) if path else None for field, path in report.items()})
            for deadline_id, report in found.items()}


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltReport]:
    """Every fixture context rendered to DOCX and PDF once: PDF conversion is the slow part."""
    return built_once(tmp_path_factory, "built-reports",
                      lambda out: build_fixtures(LocalDocumentBuilder(TEMPLATES, out)))


# --- The same fixtures built on the Google path, over the Workspace emulator --------------------------------

GOOGLE_USER = "van.thu@truong-thcs.edu.vn"


def upload_starter(clients: Any, template: str, kind: str, folder: str = "", templates: Path = TEMPLATES) -> str:
    """The starter Doc of a template and kind, uploaded with conversion as provisioning does."""
    import io

    from googleapiclient.http import MediaIoBaseUpload

    from connectors.google.docs import DOCX, starter_docx

    media = MediaIoBaseUpload(io.BytesIO(starter_docx(templates / template, kind)), mimetype=DOCX)
    body: dict[str, Any] = {"name": f"Mẫu – {template} – {kind}", "mimeType": "application/vnd.google-apps.document"}
    if folder:
        body["parents"] = [folder]
    created = clients.service("drive", "v3").files().create(body=body, media_body=media, fields="id").execute()
    return str(created["id"])


def google_plan(templates: dict[str, str], folder: str = "") -> Any:
    from thidua.plan import GoogleSettings, parse_plan

    plan = parse_plan((ROOT / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    return plan.model_copy(update={"google": GoogleSettings(user=GOOGLE_USER, templates=templates,
                                                            folder_id=folder)})


@pytest.fixture(scope="session")
def docs_emulator() -> Any:
    from emulator.server import EmulatorConfig, WorkspaceEmulator

    with WorkspaceEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture(scope="session")
def google_built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltReport]:
    """Every fixture context built on the Google path (starter Docs from the shipped templates, one batchUpdate,
    PDF export by the emulator's LibreOffice) once per run, with the DOCX export asked for, on an emulator of its
    own (the files are what the tests read)."""
    from connectors.google.api import GoogleApi
    from connectors.google.docs import GoogleDocsBuilder, StructureCache, template_key
    from emulator.server import EmulatorConfig, WorkspaceEmulator
    from emulator.testing import WorkspaceClients

    def build(out: Path) -> dict[str, BuiltReport]:
        with WorkspaceEmulator(EmulatorConfig()) as emulator:
            clients = WorkspaceClients(emulator)
            folder = clients.service("drive", "v3").files().create(
                body={"name": "Báo cáo", "mimeType": "application/vnd.google-apps.folder"}, fields="id").execute()["id"]
            templates = {}
            for deadline_id in FIXTURES:
                kind = load_context(deadline_id)["kind"]
                key = template_key(TEMPLATE_FOR_KIND[kind], kind)
                if key not in templates:
                    templates[key] = upload_starter(clients, TEMPLATE_FOR_KIND[kind], kind, folder)
            return build_fixtures(GoogleDocsBuilder(
                google_plan(templates, folder), clients.service("drive", "v3"), clients.service("docs", "v1"),
                GoogleApi(sleep=lambda s: None), out, StructureCache(), export_docx=True))

    return built_once(tmp_path_factory, "google-built-reports", build)
