"""The whole emulated Workspace: every service's model, wired so cross-service behaviour matches Google
(a spreadsheet is a Drive file, a Doc copied through Drive is a new Doc, a form can feed a sheet)."""

from __future__ import annotations

from typing import Any

from emulator.drive.models import DOCUMENT, FORM, SPREADSHEET, DriveModel, GoogleTypeHooks
from emulator.errors import GoogleError, unimplemented
from emulator.service import Media
from emulator.sheets.models import SheetsModel

SERVICES = ("drive", "sheets", "docs", "forms", "gmail")


class Workspace:
    def __init__(
        self, soffice: str | None = "soffice", export_timeout_seconds: float = 180, rewrite_message_ids: bool = False
    ) -> None:
        from emulator.docs.export import DocExporter
        from emulator.docs.images import image_fetcher
        from emulator.docs.models import DocsModel
        from emulator.forms.models import FormsModel
        from emulator.gmail.models import GmailModel

        self.drive = DriveModel()
        self.sheets = SheetsModel(
            on_create=lambda sid, title, owner: self.drive.register(sid, title, SPREADSHEET, owner),
            on_rename=self.drive.renamed,
        )
        self.docs = DocsModel(
            on_create=lambda did, title, owner: self.drive.register(did, title, DOCUMENT, owner),
            on_change=self.drive.touch,
            fetch_image=image_fetcher(self.drive),
        )
        self.forms = FormsModel(
            on_create=lambda fid, title, owner: self.drive.register(fid, title, FORM, owner),
            sheets=self.sheets,
        )
        self.gmail = GmailModel(rewrite_message_ids)
        self.exporter = DocExporter(soffice, export_timeout_seconds)
        self.drive.hooks[SPREADSHEET] = GoogleTypeHooks(
            create=lambda sid, name, owner: self.sheets.create(
                {"properties": {"title": name}}, owner, sid, register=False
            ),
            copy=self.sheets.copy,
            delete=self.sheets.delete,
            rename=self.sheets.rename,
            export=self._export_sheet,
            import_media=self._import_sheet,
        )
        self.drive.hooks[DOCUMENT] = GoogleTypeHooks(
            create=lambda did, name, owner: self.docs.create(name, owner, did, register=False),
            copy=self.docs.copy,
            delete=self.docs.delete,
            rename=self.docs.rename,
            export=self._export_doc,
            import_media=self._import_doc,
        )
        self.drive.hooks[FORM] = GoogleTypeHooks(
            create=lambda fid, name, owner: self.forms.create({"info": {"title": name}}, owner, fid, register=False),
            copy=self.forms.copy,
            delete=self.forms.delete,
            rename=self.forms.rename,
            export=lambda fid, mime: _not_exportable(),
        )

    def _export_sheet(self, sid: str, mime: str) -> bytes:
        if mime == "text/csv":
            return self.sheets.export_csv(sid)
        raise GoogleError(400, "The requested conversion is not supported.", reason="badRequest")

    def _import_sheet(self, sid: str, name: str, media: Media) -> None:
        if media.content_type.split(";")[0].strip() != "text/csv":
            raise unimplemented(f"Importing {media.content_type} as a Google Sheet (only text/csv)")
        self.sheets.import_csv(sid, media.data)

    def _export_doc(self, did: str, mime: str) -> bytes:
        return self.exporter.export(self.docs.require(did), mime)

    def _import_doc(self, did: str, name: str, media: Media) -> None:
        self.docs.import_media(did, media)

    # ------------------------------------------------------------------ snapshot

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {name: getattr(self, name).to_json() for name in SERVICES}

    def load_json(self, data: dict[str, dict[str, Any]]) -> None:
        for name in SERVICES:
            if name in data:
                getattr(self, name).load_json(data[name])


def _not_exportable() -> bytes:
    raise GoogleError(400, "The requested conversion is not supported.", reason="badRequest")
