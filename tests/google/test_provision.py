"""Provisioning a school's Workspace from its plan, twice: the second run creates nothing."""

from __future__ import annotations

from pathlib import Path

from connectors.google.api import GoogleApi
from connectors.google.docs import template_key, template_placeholders
from connectors.google.provision import Provisioner
from emulator.server import WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua.plan import GoogleSettings, parse_plan

REPO = Path(__file__).resolve().parents[2]


def test_provisioning_twice_changes_nothing(workspace: WorkspaceClients, emulator: WorkspaceEmulator) -> None:
    plan = parse_plan((REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    plan = plan.model_copy(update={"google": GoogleSettings(user=workspace.user)})

    def provision() -> tuple[object, list[str]]:
        done = Provisioner(plan, workspace.service("drive", "v3"), workspace.service("forms", "v1"),
                           workspace.gspread(), GoogleApi(sleep=lambda s: None), REPO / "templates").run()
        return done.plan, done.created

    first, created = provision()
    assert len(created) == 1 + 9 + 5 + 7 + 6  # root, deadline folders, templates, sheets, forms
    emulator.log.clear()
    second, created_again = provision()
    assert created_again == []
    assert second == first
    writes = [e for e in emulator.log.entries()
              if e.method_id and e.path != "/token" and not e.method_id.endswith((".list", ".get"))]
    assert writes == []

    google = first.google  # type: ignore[attr-defined]
    docs = workspace.service("docs", "v1")
    review = docs.documents().get(documentId=google.templates[template_key("review.docx", "annual")]).execute()
    names, marker = template_placeholders(review)
    assert {"title", "intro", "signer_name", "recipients", "tables"} <= names
    assert marker is not None
    f1 = next(s for s in first.sources if s.id == "F1")  # type: ignore[attr-defined]
    form = workspace.service("forms", "v1").forms().get(formId=f1.form_id).execute()
    team_question = next(i for i in form["items"] if i["title"] == "Tổ")
    options = [o["value"] for o in team_question["questionItem"]["question"]["choiceQuestion"]["options"]]
    assert options == [t.name for t in plan.teams]
    header = workspace.gspread().open_by_key(f1.spreadsheet_id).worksheet(f1.sheet).row_values(1)
    assert header == list(f1.columns.values())
