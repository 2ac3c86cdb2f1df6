"""Provisioning a school's Workspace from its plan, twice: the second run creates nothing."""

from __future__ import annotations

from pathlib import Path

from connectors.google.api import GoogleApi
from connectors.google.docs import read_structure, template_key, template_placeholders
from connectors.google.provision import Provisioner
from emulator.server import WorkspaceEmulator
from emulator.testing import WorkspaceClients
from thidua.plan import GoogleSettings, Plan, parse_plan

REPO = Path(__file__).resolve().parents[2]


def test_provisioning_twice_changes_nothing(workspace: WorkspaceClients, emulator: WorkspaceEmulator) -> None:
    plan = parse_plan((REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    plan = plan.model_copy(update={"google": GoogleSettings(user=workspace.user)})

    def provision() -> tuple[object, list[str]]:
        done = Provisioner(plan, workspace.service("drive", "v3"), workspace.service("forms", "v1"),
                           workspace.gspread(), GoogleApi(sleep=lambda s: None), REPO / "templates").run()
        return done.plan, done.created

    first, created = provision()
    assert len(created) == 1 + 9 + 5 + 1 + 6  # root, deadline folders, templates, the year's sheet, forms
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
    assert {"title", "intro", "signer_name", "recipients", "charts"} <= names
    assert marker is None  # no table built in code: the starter Doc has a real table per table key
    assert list(read_structure(review, "review.docx").slots) == [
        "phase1_movements", "phase1_summary", "phase2_movements", "phase2_summary", "titles_progress",
        "compared_with_start", "team_results"]
    f1 = next(s for s in first.sources if s.id == "F1")  # type: ignore[attr-defined]
    form = workspace.service("forms", "v1").forms().get(formId=f1.form_id).execute()
    team_question = next(i for i in form["items"] if i["title"] == "Tổ")
    options = [o["value"] for o in team_question["questionItem"]["question"]["choiceQuestion"]["options"]]
    assert options == [t.name for t in plan.teams]
    assert "Địa chỉ email" not in [i["title"] for i in form["items"]]  # Google collects it from the account
    assert form["settings"]["emailCollectionType"] == "VERIFIED"
    spreadsheet = workspace.gspread().open_by_key(f1.spreadsheet_id)
    header = spreadsheet.worksheet(f1.sheet).row_values(1)
    assert header == list(f1.columns.values())
    assert (spreadsheet.locale, spreadsheet.timezone) == ("vi_VN", plan.timezone)
    sources = first.sources  # type: ignore[attr-defined]
    assert len({s.spreadsheet_id for s in sources}) == 1 and len({s.sheet for s in sources}) == len(sources)
    assert f1.sheet.startswith("F1 – ")


def test_provisioning_publishes_every_form_and_heals_an_unpublished_one(workspace: WorkspaceClients) -> None:
    plan = parse_plan((REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8"))
    plan = plan.model_copy(update={"google": GoogleSettings(user=workspace.user)})
    forms = workspace.service("forms", "v1")

    def provision() -> Plan:
        return Provisioner(plan, workspace.service("drive", "v3"), forms, workspace.gspread(),
                           GoogleApi(sleep=lambda s: None), REPO / "templates").run().plan

    done = provision()
    form_ids = [s.form_id for s in done.sources if s.form_id]
    assert len(form_ids) == 6
    for form_id in form_ids:
        state = forms.forms().get(formId=form_id).execute()["publishSettings"]["publishState"]
        assert state == {"isPublished": True, "isAcceptingResponses": True}
    closed = {"publishSettings": {"publishState": {"isPublished": False, "isAcceptingResponses": False}}}
    forms.forms().setPublishSettings(formId=form_ids[0], body=closed).execute()
    provision()
    assert forms.forms().get(formId=form_ids[0]).execute()["publishSettings"]["publishState"]["isPublished"]
