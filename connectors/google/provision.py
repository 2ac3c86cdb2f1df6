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


LOCALE = "vi_VN"
TAB_TITLE_MAX = 100  # a tab title the clerk can still read in the tab bar


def response_tabs(sources: tuple[Source, ...]) -> dict[str, tuple[str, list[str]]]:
    """Each source's tab (title, header row) in the year's response spreadsheet: its plan `sheet` when no other
    source uses that title (forms' default "Câu trả lời biểu mẫu 1" clashes), else "<id> – <name>"."""
    counts: dict[str, int] = {}
    for source in sources:
        counts[source.sheet or source.name] = counts.get(source.sheet or source.name, 0) + 1
    tabs = {}
    for source in sources:
        title = source.sheet or source.name
        if counts[title] > 1:
            title = f"{source.id} – {source.name}"
        tabs[source.id] = (title[:TAB_TITLE_MAX], list(source.columns.values()))
    return tabs


@dataclass
class Provisioning:
    """What a run did: the updated plan and the names of what it had to create (empty on a second run)."""

    plan: Plan
    created: list[str] = field(default_factory=list)


class Provisioner:
    """Creates what the plan needs in Drive (folders, forms, sheets, template copies) once, reusing what exists."""

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
        """Creates or finds every folder, form and template of the plan and says which ids to record."""
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
        tabs = response_tabs(plan.sources)
        spreadsheet_id = self._find_or_create(
            f"Câu trả lời biểu mẫu – {plan.school.name} – {plan.year}", GOOGLE_SHEET, root,
            partial(self._response_spreadsheet, tabs=tabs, parent=root),
        )
        self._complete_tabs(spreadsheet_id, tabs)
        sources = []
        for source in plan.sources:
            form_id = source.form_id
            if source.kind is not SourceKind.ROSTER:
                form_id = self._find_or_create(
                    source.name, GOOGLE_FORM, root, partial(self._form, source=source, parent=root)
                )
                self._publish(form_id)
            sources.append(source.model_copy(
                update={"spreadsheet_id": spreadsheet_id, "form_id": form_id, "sheet": tabs[source.id][0]}))
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

    def _response_spreadsheet(self, name: str, tabs: dict[str, tuple[str, list[str]]], parent: str) -> str:
        """One spreadsheet for the school year, a tab per source, so one spreadsheets.get reads a deadline's sources.

        Created through Drive (gspread), so Google gives it en_US and GMT: set vi_VN and the plan's zone, which
        the clerk sees when typing dates and which a form linked in the UI writes its timestamps in."""
        spreadsheet = self._api.call(lambda: self._sheets.create(name, folder_id=parent), "drive.files.create",
                                     "POST", idempotent=False)
        titles = [title for title, _ in tabs.values()]
        requests: list[dict[str, Any]] = [
            {"updateSpreadsheetProperties": {"properties": {"locale": LOCALE, "timeZone": self._plan.timezone},
                                             "fields": "locale,timeZone"}},
            {"updateSheetProperties": {"properties": {"sheetId": spreadsheet.sheet1.id, "title": titles[0]},
                                       "fields": "title"}},
        ]
        requests += [{"addSheet": {"properties": {"title": title, "index": i}}} for i, title in enumerate(titles)
                     if i > 0]
        self._api.call(partial(self._sheets.http_client.batch_update, spreadsheet.id, {"requests": requests}),
                       "sheets.spreadsheets.batchUpdate", "POST")
        self._write_headers(str(spreadsheet.id), list(tabs.values()))
        return str(spreadsheet.id)

    def _complete_tabs(self, spreadsheet_id: str, tabs: dict[str, tuple[str, list[str]]]) -> None:
        """A plan that gained a source since the last run gets its tab; the rest is left as the clerk has it."""
        meta = self._api.call(partial(self._sheets.http_client.fetch_sheet_metadata, spreadsheet_id,
                                      params={"fields": "properties(locale,timeZone),sheets.properties.title"}),
                              "sheets.spreadsheets.get")
        existing = {s["properties"]["title"] for s in meta.get("sheets", [])}
        missing = [(title, header) for title, header in tabs.values() if title not in existing]
        requests: list[dict[str, Any]] = [{"addSheet": {"properties": {"title": title}}} for title, _ in missing]
        properties = meta.get("properties", {})
        if (properties.get("locale"), properties.get("timeZone")) != (LOCALE, self._plan.timezone):
            requests.append({"updateSpreadsheetProperties": {
                "properties": {"locale": LOCALE, "timeZone": self._plan.timezone}, "fields": "locale,timeZone"}})
        if requests:
            self._api.call(partial(self._sheets.http_client.batch_update, spreadsheet_id, {"requests": requests}),
                           "sheets.spreadsheets.batchUpdate", "POST")
        if missing:
            self._write_headers(spreadsheet_id, missing)

    def _write_headers(self, spreadsheet_id: str, tabs: list[tuple[str, list[str]]]) -> None:
        body = {"valueInputOption": "RAW",
                "data": [{"range": f"{a1_sheet(title)}!A1", "values": [header]} for title, header in tabs]}
        self._api.call(partial(self._sheets.http_client.values_batch_update, spreadsheet_id, body),
                       "sheets.spreadsheets.values.batchUpdate", "POST")

    def _form(self, name: str, source: Source, parent: str) -> str:
        created = self._api.execute(
            self._forms.create(body={"info": {"title": name, "documentTitle": name}}), idempotent=False
        )
        form_id = str(created["formId"])
        # The respondent's address is collected by Google from the signed-in account (VERIFIED), not typed:
        # the response sheet then has Google's own "Địa chỉ email" column after the timestamp.
        questions = [(f, header) for f, header in source.columns.items() if f not in ("timestamp", "email")]
        requests: list[dict[str, Any]] = []
        if "email" in source.columns:
            requests.append({"updateSettings": {"settings": {"emailCollectionType": "VERIFIED"},
                                                "updateMask": "emailCollectionType"}})
        requests += [
            {"createItem": {"item": self._question(f, header), "location": {"index": i}}}
            for i, (f, header) in enumerate(questions)
        ]
        self._api.execute(self._forms.batchUpdate(formId=form_id, body={"requests": requests}))
        self._move(form_id, parent)
        return form_id

    def _publish(self, form_id: str) -> None:
        """Forms made through the API start unpublished and take no answers until published (Google's "API
        changes to Google Forms", 2026); a form found from an earlier run is published too if it is not."""
        form = self._api.execute(self._forms.get(formId=form_id))
        state = form.get("publishSettings", {}).get("publishState", {})
        if state.get("isPublished") and state.get("isAcceptingResponses"):
            return
        body = {"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}},
                "updateMask": "publishState"}
        self._api.execute(self._forms.setPublishSettings(formId=form_id, body=body))

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
