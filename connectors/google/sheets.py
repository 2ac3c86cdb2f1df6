"""Form answers from Google Sheets (gspread) or the Forms API, as the same `Table`s the local files give.

A deadline reads all its sheets with one values.batchGet per spreadsheet, so the number of calls does not grow
with the number of rows or of sheets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import gspread

from connectors.google.api import GoogleApi
from thidua.plan import Source
from thidua.rows import Table

SHEETS_READ_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
FORMS_RESPONSES_SCOPE = "https://www.googleapis.com/auth/forms.responses.readonly"
FORMS_READ_SCOPE = "https://www.googleapis.com/auth/forms.body.readonly"


class SourceNotProvisioned(Exception):
    """The plan does not say where on Google this source lives."""

    def __init__(self, source: Source) -> None:
        super().__init__(
            f"Nguồn {source.id} «{source.name}» chưa có spreadsheet_id (hoặc form_id) trong kế hoạch: "
            "hãy chạy `thidua google provision` hoặc ghi mã bảng tính vào kế hoạch."
        )


def a1_sheet(sheet: str) -> str:
    """A whole sheet as an A1 range; quotes doubled as Sheets requires."""
    return "'" + sheet.replace("'", "''") + "'"


class SheetsSource:
    """Implements the Source port on response spreadsheets."""

    def __init__(self, client: gspread.Client, api: GoogleApi) -> None:
        self._http = client.http_client
        self._api = api

    def read(self, source: Source) -> Table:
        return self.read_many([source])[source.id]

    def read_many(self, sources: Iterable[Source]) -> dict[str, Table]:
        by_spreadsheet: dict[str, list[Source]] = defaultdict(list)
        for source in sources:
            if not source.spreadsheet_id:
                raise SourceNotProvisioned(source)
            by_spreadsheet[source.spreadsheet_id].append(source)
        tables: dict[str, Table] = {}
        for spreadsheet_id, group in by_spreadsheet.items():
            reply = self._api.call(
                partial(
                    self._http.values_batch_get,
                    spreadsheet_id,
                    [a1_sheet(s.sheet) for s in group],
                    params={"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"},
                ),
                "sheets.spreadsheets.values.batchGet",
            )
            for source, value_range in zip(group, reply.get("valueRanges", []), strict=True):
                cells = [[str(v) for v in row] for row in value_range.get("values", [])]
                tables[source.id] = Table.from_cells(source.id, source.sheet, cells)
        return tables


class FormsSource:
    """Implements the Source port on the Forms API: questions become headers, as in the response sheet."""

    def __init__(self, service: Any, api: GoogleApi, zone: ZoneInfo, page_size: int = 5000) -> None:
        self._forms = service.forms()
        self._api = api
        self._zone = zone
        self._page_size = page_size

    def read(self, source: Source) -> Table:
        if not source.form_id:
            raise SourceNotProvisioned(source)
        form = self._api.execute(self._forms.get(formId=source.form_id))
        titles = {
            item["questionItem"]["question"]["questionId"]: item.get("title", "")
            for item in form.get("items", [])
            if "questionItem" in item
        }
        headers = ["Dấu thời gian", *titles.values()]
        responses: list[dict[str, Any]] = []
        token = None
        while True:
            request = self._forms.responses().list(formId=source.form_id, pageSize=self._page_size, pageToken=token)
            page = self._api.execute(request)
            responses.extend(page.get("responses", []))
            token = page.get("nextPageToken")
            if not token:
                break
        responses.sort(key=lambda r: (r.get("lastSubmittedTime", ""), r.get("responseId", "")))
        cells = [headers]
        for response in responses:
            answers = response.get("answers", {})
            row = [self._timestamp(response.get("lastSubmittedTime", ""))]
            for question_id in titles:
                texts = answers.get(question_id, {}).get("textAnswers", {}).get("answers", [])
                row.append(", ".join(a.get("value", "") for a in texts))
            cells.append(row)
        return Table.from_cells(source.id, source.sheet or source.name, cells)

    def _timestamp(self, rfc3339: str) -> str:
        """The response sheet's own format ("13/3/2024 8:05:09"), in the school's time zone."""
        if not rfc3339:
            return ""
        moment = dt.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).astimezone(self._zone)
        return f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment:%M:%S}"
