"""Form answers from Google Sheets (gspread) or the Forms API, as the same `Table`s the local files give.

A deadline reads all its sheets with one spreadsheets.get (the time zone and the tab titles) and one
values.batchGet per spreadsheet, so the number of calls does not grow with the number of rows or of sheets.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gspread

from connectors.google.api import GoogleApi
from thidua.plan import REQUIRED_FIELDS, Source
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


class SheetTabMissing(Exception):
    """The source's spreadsheet has no tab of that name, nor any tab with the form's questions: a wrong `sheet:`
    must not read as a sheet nobody has answered."""

    def __init__(self, source: Source, tab: str, titles: Iterable[str]) -> None:
        super().__init__(
            f"Nguồn {source.id} «{source.name}»: bảng tính không có trang «{tab}» (các trang có: "
            f"{', '.join(titles)}); hãy sửa `sheet:` của nguồn này trong kế hoạch."
        )


def a1_sheet(sheet: str) -> str:
    """A whole sheet as an A1 range; quotes doubled as Sheets requires."""
    return "'" + sheet.replace("'", "''") + "'"


SERIAL_EPOCH = dt.datetime(1899, 12, 30)
_CUSTOM_ZONE = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")
logger = logging.getLogger(__name__)


def spreadsheet_zone(name: str | None) -> dt.tzinfo:
    """A spreadsheet's `timeZone` property: an IANA name, or a custom "GMT+07:00"; Google's default is GMT."""
    text = (name or "Etc/GMT").strip()
    custom = _CUSTOM_ZONE.fullmatch(text)
    if custom:
        minutes = int(custom.group(2)) * 60 + int(custom.group(3) or 0)
        return dt.timezone(dt.timedelta(minutes=-minutes if custom.group(1) == "-" else minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def serial_to_text(serial: float, sheet_zone: dt.tzinfo, school_zone: dt.tzinfo) -> str:
    """A date-time serial (days since 30/12/1899, wall clock in the sheet's zone) as "13/3/2024 8:05:09" in the
    school's zone: the one format the core parses, whatever the spreadsheet's locale."""
    local = SERIAL_EPOCH + dt.timedelta(seconds=round(serial * 86_400))
    moment = local.replace(tzinfo=sheet_zone).astimezone(school_zone)
    return f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment:%M:%S}"


def _plain(value: Any) -> str:
    """An unformatted cell as text: numbers without the locale's separators ("9.5", "10")."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SheetsSource:
    """Implements the Source port on response spreadsheets.

    Values are read unformatted, timestamps as serial numbers converted with the spreadsheet's own time zone, so
    neither the spreadsheet's locale (en_US shows 5 March as "3/5/2024") nor its zone can shift a date. A
    provisioned tab with no answers gives way to the tab whose header row holds the form's questions: the Forms
    UI links a form to a new tab ("Câu trả lời biểu mẫu 1", "Form Responses 1"), never to ours.
    """

    def __init__(self, client: gspread.Client, api: GoogleApi, zone: dt.tzinfo | None = None) -> None:
        self._http = client.http_client
        self._api = api
        self._zone = zone or ZoneInfo("Asia/Ho_Chi_Minh")
        self.notices: list[str] = []

    def read(self, source: Source) -> Table:
        """One source's rows; see read_many for why sources are read together."""
        return self.read_many([source])[source.id]

    def _batch_get(self, spreadsheet_id: str, ranges: list[str]) -> list[dict[str, Any]]:
        if not ranges:
            return []
        params: dict[str, Any] = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                                  "majorDimension": "ROWS"}
        reply = self._api.call(partial(self._http.values_batch_get, spreadsheet_id, ranges, params=params),
                               "sheets.spreadsheets.values.batchGet")
        return list(reply.get("valueRanges", []))

    def read_many(self, sources: Iterable[Source]) -> dict[str, Table]:
        """Reads several sources with one call per spreadsheet, so a run stays within the Sheets read quota."""
        by_spreadsheet: dict[str, list[Source]] = defaultdict(list)
        for source in sources:
            if not source.spreadsheet_id:
                raise SourceNotProvisioned(source)
            by_spreadsheet[source.spreadsheet_id].append(source)
        tables: dict[str, Table] = {}
        for spreadsheet_id, group in by_spreadsheet.items():
            meta = self._api.call(
                partial(self._http.fetch_sheet_metadata, spreadsheet_id,
                        params={"fields": "properties(timeZone,locale),sheets.properties.title"}),
                "sheets.spreadsheets.get",
            )
            sheet_zone = spreadsheet_zone(meta.get("properties", {}).get("timeZone"))
            titles = [s["properties"]["title"] for s in meta.get("sheets", [])]
            wanted = list(dict.fromkeys(s.sheet or s.name for s in group if (s.sheet or s.name) in titles))
            others = [t for t in titles if t not in wanted]
            # One call for every provisioned tab and the header row of every other tab.
            ranges = [a1_sheet(t) for t in wanted] + [a1_sheet(t) + "!1:1" for t in others]
            replies = self._batch_get(spreadsheet_id, ranges)
            grids = {t: r.get("values", []) for t, r in zip(wanted, replies, strict=False)}
            headers = {t: [_plain(v) for v in (r.get("values") or [[]])[0]]
                       for t, r in zip(others, replies[len(wanted):], strict=True)}
            chosen: dict[str, str] = {}
            for source in group:
                tab = source.sheet or source.name
                if len(grids.get(tab, [])) <= 1:
                    found = _response_tab(source, headers)
                    if found is not None:
                        chosen[source.id] = found
            extra = sorted(set(chosen.values()))
            grids.update(zip(extra, (r.get("values", []) for r in self._batch_get(
                spreadsheet_id, [a1_sheet(t) for t in extra])), strict=True))
            for source in group:
                tab = chosen.get(source.id, source.sheet or source.name)
                if tab not in titles:  # as a missing file is locally: not "nobody has answered yet"
                    raise SheetTabMissing(source, tab, titles)
                if source.id in chosen:
                    notice = (
                        f"Nguồn {source.id} «{source.name}»: trang «{source.sheet or source.name}» chưa có câu trả "
                        f"lời; đã đọc trang «{tab}» vì hàng tiêu đề của nó khớp với các câu hỏi của biểu mẫu (biểu "
                        f"mẫu được liên kết với bảng tính bằng tay). Hãy ghi `sheet: {tab}` cho nguồn này trong kế "
                        "hoạch."
                    )
                    self.notices.append(notice)
                    logger.warning(notice)
                tables[source.id] = Table.from_cells(source.id, tab, self._cells(source, grids.get(tab, []),
                                                                                  sheet_zone))
        return tables

    def _cells(self, source: Source, grid: list[list[Any]], sheet_zone: dt.tzinfo) -> list[list[str]]:
        if not grid:
            return []
        header = [_plain(v) for v in grid[0]]
        stamp_header = source.columns.get("timestamp")
        stamp = header.index(stamp_header) if stamp_header in header else -1
        cells = [header]
        for row in grid[1:]:
            line = []
            for i, value in enumerate(row):
                if i == stamp and isinstance(value, int | float) and not isinstance(value, bool):
                    line.append(serial_to_text(float(value), sheet_zone, self._zone))
                else:
                    line.append(_plain(value))
            cells.append(line)
        return cells


def _response_tab(source: Source, headers: dict[str, list[str]]) -> str | None:
    """The tab whose header row has every required question of the source, fewest extra columns first; Google
    puts the newest linked tab first, so on a tie the first in sheet order wins."""
    required = {source.columns[f] for f in REQUIRED_FIELDS[source.kind] if f in source.columns}
    fits = [(len(set(h) - set(source.columns.values())), i, t)
            for i, (t, h) in enumerate(headers.items()) if required <= set(h)]
    return min(fits)[2] if fits else None


class FormsSource:
    """Implements the Source port on the Forms API: questions become headers, as in the response sheet."""

    def __init__(self, service: Any, api: GoogleApi, zone: ZoneInfo, page_size: int = 5000) -> None:
        self._forms = service.forms()
        self._api = api
        self._zone = zone
        self._page_size = page_size

    def read(self, source: Source) -> Table:
        """A form's responses as a table with the questions as headers, the same shape a sheet gives."""
        if not source.form_id:
            raise SourceNotProvisioned(source)
        form = self._api.execute(self._forms.get(formId=source.form_id))
        titles = {
            item["questionItem"]["question"]["questionId"]: item.get("title", "")
            for item in form.get("items", [])
            if "questionItem" in item
        }
        collects_email = form.get("settings", {}).get("emailCollectionType") in ("VERIFIED", "RESPONDER_INPUT")
        email_header = source.columns.get("email", "Địa chỉ email") if collects_email else None
        headers = [source.columns.get("timestamp", "Dấu thời gian"), *([email_header] if email_header else []),
                   *titles.values()]
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
            if email_header:
                row.append(response.get("respondentEmail", ""))
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
