"""Creates a school's Workspace from its plan: folders, Forms, response sheets and starter Docs templates.

Everything is found by name before it is created, so a second run changes nothing; the ids are written into
a copy of the plan. Starter templates are the local DOCX templates (Nghị định 30 layout) rendered with each
field left as a `{{field}}` placeholder and uploaded with conversion to Google Docs, so both backends share one
layout.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import gspread
from googleapiclient.http import MediaIoBaseUpload

from connectors.google.api import GoogleApi
from connectors.google.docs import DOCX, starter_docx, template_key
from connectors.google.sheets import a1_sheet
from thidua.plan import GoogleSettings, Plan, Source, SourceKind

FOLDER = "application/vnd.google-apps.folder"
GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
GOOGLE_FORM = "application/vnd.google-apps.form"


@dataclass
class Provisioning:
    """What a run did: the updated plan and the names of what it had to create (empty on a second run)."""

    plan: Plan
    created: list[str] = field(default_factory=list)


class Provisioner:
    def __init__(
        self, plan: Plan, drive: Any, forms: Any, sheets: gspread.Client, api: GoogleApi, templates_dir: Path
    ) -> None:
        if plan.google is None:
            raise ValueError("provisioning needs the plan's google section (at least google.user)")
        self._plan, self._google = plan, plan.google
        self._files = drive.files()
        self._forms = forms.forms()
        self._sheets = sheets
        self._api = api
        self._templates_dir = templates_dir
        self._created: list[str] = []

    def run(self) -> Provisioning:
        plan = self._plan
        root = self._folder(f"thidua – {plan.school.name} – {plan.year}", parent=None)
        deadline_folders = {d.id: self._folder(f"{d.id} – {d.title}", parent=root) for d in plan.deadlines}
        templates: dict[str, str] = {}
        for deadline in plan.deadlines:
            key = template_key(deadline.template, deadline.kind.value)
            if key not in templates:
                templates[key] = self._find_or_create(
                    f"Mẫu – {deadline.template} – {deadline.kind.value}",
                    GOOGLE_DOC,
                    root,
                    partial(self._upload_template, template=deadline.template, kind=deadline.kind.value, parent=root),
                )
        sources = []
        for source in plan.sources:
            spreadsheet_id = self._find_or_create(
                f"{source.name} (câu trả lời)",
                GOOGLE_SHEET,
                root,
                partial(self._response_sheet, source=source, parent=root),
            )
            form_id = source.form_id
            if source.kind is not SourceKind.ROSTER:
                form_id = self._find_or_create(
                    source.name, GOOGLE_FORM, root, partial(self._form, source=source, parent=root)
                )
            sources.append(source.model_copy(update={"spreadsheet_id": spreadsheet_id, "form_id": form_id}))
        google = GoogleSettings(
            user=self._google.user,
            read_from=self._google.read_from,
            folder_id=root,
            templates=templates,
            deadline_folders=deadline_folders,
        )
        updated = plan.model_copy(update={"google": google, "sources": tuple(sources), "backend": "google"})
        return Provisioning(updated, self._created)

    # -- find before create

    def _find(self, name: str, mime: str, parent: str | None) -> str | None:
        escaped = name.replace("\\", "\\\\").replace("'", "\\'")
        query = f"name = '{escaped}' and mimeType = '{mime}' and trashed = false"
        if parent:
            query += f" and '{parent}' in parents"
        found = self._api.execute(self._files.list(q=query, fields="files(id)", pageSize=2))["files"]
        return str(found[0]["id"]) if found else None

    def _find_or_create(self, name: str, mime: str, parent: str | None, create: Callable[[str], str]) -> str:
        existing = self._find(name, mime, parent)
        if existing is not None:
            return existing
        self._created.append(name)
        return create(name)

    def _folder(self, name: str, parent: str | None) -> str:
        def create(folder_name: str) -> str:
            body = {"name": folder_name, "mimeType": FOLDER, **({"parents": [parent]} if parent else {})}
            return str(self._api.execute(self._files.create(body=body, fields="id"), idempotent=False)["id"])

        return self._find_or_create(name, FOLDER, parent, create)

    def _upload_template(self, name: str, template: str, kind: str, parent: str) -> str:
        media = MediaIoBaseUpload(io.BytesIO(starter_docx(self._templates_dir / template, kind)), mimetype=DOCX)
        request = self._files.create(
            body={"name": name, "mimeType": GOOGLE_DOC, "parents": [parent]}, media_body=media, fields="id"
        )
        return str(self._api.execute(request, idempotent=False)["id"])

    def _move(self, file_id: str, parent: str) -> None:
        """Drive files have one parent: a form created in My Drive is moved, not linked, into the folder."""
        current = self._api.execute(self._files.get(fileId=file_id, fields="parents")).get("parents", [])
        self._api.execute(self._files.update(fileId=file_id, addParents=parent, removeParents=",".join(current),
                                             fields="id"))

    def _response_sheet(self, name: str, source: Source, parent: str) -> str:
        # gspread creates a spreadsheet through Drive (files.create), then opens it (spreadsheets.get).
        spreadsheet = self._api.call(lambda: self._sheets.create(name, folder_id=parent), "drive.files.create",
                                     "POST", idempotent=False)
        worksheet = spreadsheet.sheet1
        self._api.call(lambda: worksheet.update_title(source.sheet or source.name),
                       "sheets.spreadsheets.batchUpdate", "POST")
        self._api.call(lambda: self._sheets.http_client.values_update(
            spreadsheet.id, f"{a1_sheet(source.sheet or source.name)}!A1", params={"valueInputOption": "RAW"},
            body={"values": [list(source.columns.values())]}), "sheets.spreadsheets.values.update", "PUT")
        return str(spreadsheet.id)

    def _form(self, name: str, source: Source, parent: str) -> str:
        created = self._api.execute(
            self._forms.create(body={"info": {"title": name, "documentTitle": name}}), idempotent=False
        )
        form_id = str(created["formId"])
        questions = [(f, header) for f, header in source.columns.items() if f not in ("timestamp",)]
        requests = [
            {"createItem": {"item": self._question(f, header), "location": {"index": i}}}
            for i, (f, header) in enumerate(questions)
        ]
        self._api.execute(self._forms.batchUpdate(formId=form_id, body={"requests": requests}))
        self._move(form_id, parent)
        return form_id

    def _question(self, field_name: str, title: str) -> dict[str, Any]:
        """Teams, titles, phases, quarters and movements are choices, so they cannot be mistyped."""
        plan = self._plan
        choices: dict[str, list[str]] = {
            "team": [t.name for t in plan.teams],
            "phase": [p.name for p in plan.phases],
            "quarter": ["Quý I", "Quý II", "Quý III", "Quý IV"],
            "movement": list(plan.movements),
            "commendation": list(plan.commendations),
        }
        if field_name in ("title", "proposed_title"):
            choices[field_name] = [t.name for t in plan.all_titles]
        question: dict[str, Any] = {"required": field_name not in ("initiative", "evidence", "result", "position")}
        if field_name in choices:
            question["choiceQuestion"] = {
                "type": "DROP_DOWN",
                "options": [{"value": value} for value in choices[field_name]],
            }
        else:
            question["textQuestion"] = {"paragraph": field_name in ("pledges", "content", "summary", "effect")}
        return {"title": title, "questionItem": {"question": question}}
