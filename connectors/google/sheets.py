"""Form answers from Google Sheets (gspread) or the Forms API, as the same `Table`s the local files give.

A deadline reads all its sheets with one spreadsheets.get per spreadsheet (the time zone and every provisioned
tab's cells), so the number of calls does not grow with the number of rows or of sheets.
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


# What values.batchGet's UNFORMATTED_VALUE shows for a cell in error: ErrorValue.type's enumDescriptions in the
# sheets.v4 discovery document (which writes "#DIV/0"; Sheets shows "#DIV/0!").
ERROR_TEXTS = {"ERROR": "#ERROR!", "NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!",
               "REF": "#REF!", "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "Loading..."}
GRID_FIELDS = "sheets(properties.title,data.rowData.values.effectiveValue)"


def effective(cell: dict[str, Any]) -> Any:
    """A CellData's effectiveValue as values.batchGet gives it with UNFORMATTED_VALUE and SERIAL_NUMBER: a number
    (dates as serials), a bool, a string, an error's text; an empty cell ("{}") is ""."""
    value = cell.get("effectiveValue") or {}
    for kind in ("numberValue", "boolValue", "stringValue"):
        if kind in value:
            return value[kind]
    if "errorValue" in value:
        return ERROR_TEXTS.get(value["errorValue"].get("type", ""), "#ERROR!")
    return ""


def grid_values(data: list[dict[str, Any]]) -> list[list[Any]]:
    """A sheet's GridData (one range from row 1, column A) as values.batchGet's rows: empty cells in a row are "",
    an empty row is [], trailing empty cells and rows are dropped, as batchGet drops them."""
    rows: list[list[Any]] = []
    for row in (data[0].get("rowData") or []) if data else []:
        line = [effective(cell) for cell in row.get("values") or []]
        while line and line[-1] == "":
            line.pop()
        rows.append(line)
    while rows and not rows[-1]:
        rows.pop()
    return rows


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

    def _get(self, spreadsheet_id: str, fields: str, ranges: list[str] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"fields": fields}
        if ranges is not None:
            params |= {"ranges": ranges, "includeGridData": "true"}
        reply = self._api.call(partial(self._http.fetch_sheet_metadata, spreadsheet_id, params=params),
                               "sheets.spreadsheets.get")
        return dict(reply)

    def _metadata(self, spreadsheet_id: str) -> tuple[dt.tzinfo, list[str]]:
        """The spreadsheet's zone and every tab's title: only when a tab is missing or has no answers."""
        meta = self._get(spreadsheet_id, "properties.timeZone,sheets.properties.title")
        return (spreadsheet_zone(meta.get("properties", {}).get("timeZone")),
                [s["properties"]["title"] for s in meta.get("sheets", [])])

    def _grids(self, spreadsheet_id: str, ranges: dict[str, str]) -> dict[str, list[list[Any]]]:
        """Each tab's one range (title → A1), in one spreadsheets.get; Google answers only the tabs asked for."""
        if not ranges:
            return {}
        reply = self._get(spreadsheet_id, GRID_FIELDS, list(ranges.values()))
        return {s["properties"]["title"]: grid_values(s.get("data") or []) for s in reply.get("sheets", [])}

    def read_many(self, sources: Iterable[Source]) -> dict[str, Table]:
        """Reads several sources with one call per spreadsheet, so a run stays within the Sheets read quota."""
        by_spreadsheet: dict[str, list[Source]] = defaultdict(list)
        for source in sources:
            if not source.spreadsheet_id:
                raise SourceNotProvisioned(source)
            by_spreadsheet[source.spreadsheet_id].append(source)
        tables: dict[str, Table] = {}
        for spreadsheet_id, group in by_spreadsheet.items():
            tables |= self._read_spreadsheet(spreadsheet_id, group)
        return tables

    def _read_spreadsheet(self, spreadsheet_id: str, group: list[Source]) -> dict[str, Table]:
        """One spreadsheets.get with the provisioned tabs as ranges brings the zone and every cell. Only a tab that
        is missing (Google's 400 "Unable to parse range") or has no answers costs more: the tab titles, the other
        tabs' header rows, and the tab a form was linked to by hand."""
        tabs = list(dict.fromkeys(s.sheet or s.name for s in group))
        titles: list[str] | None = None
        headers: dict[str, list[str]] | None = None
        try:
            reply = self._get(spreadsheet_id, "properties.timeZone," + GRID_FIELDS, [a1_sheet(t) for t in tabs])
        except gspread.exceptions.APIError as error:
            if error.response.status_code != 400:
                raise
            sheet_zone, titles = self._metadata(spreadsheet_id)
            if all(t in titles for t in tabs):
                raise  # not a missing tab: Google's own message says what is wrong
            # The tabs that are there, and the header row of every other tab to look for the form's answers.
            read = self._grids(spreadsheet_id, {t: a1_sheet(t) + ("" if t in tabs else "!1:1") for t in titles})
            grids = {t: g for t, g in read.items() if t in tabs}
            headers = _header_rows(titles, {t: g for t, g in read.items() if t not in tabs})
        else:
            sheet_zone = spreadsheet_zone(reply.get("properties", {}).get("timeZone"))
            grids = {s["properties"]["title"]: grid_values(s.get("data") or []) for s in reply.get("sheets", [])}
        chosen: dict[str, str] = {}
        if any(len(grids.get(s.sheet or s.name, [])) <= 1 for s in group):
            if titles is None:
                sheet_zone, titles = self._metadata(spreadsheet_id)
            if headers is None:
                headers = _header_rows(titles, self._grids(
                    spreadsheet_id, {t: a1_sheet(t) + "!1:1" for t in titles if t not in grids}))
            for source in group:
                if len(grids.get(source.sheet or source.name, [])) <= 1:
                    found = _response_tab(source, headers)
                    if found is not None:
                        chosen[source.id] = found
            grids |= self._grids(spreadsheet_id, {t: a1_sheet(t) for t in sorted(set(chosen.values()))})
        tables: dict[str, Table] = {}
        for source in group:
            tab = chosen.get(source.id, source.sheet or source.name)
            if titles is not None and tab not in titles:  # as a missing file is locally: not "nobody answered"
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
            tables[source.id] = Table.from_cells(source.id, tab, self._cells(source, grids.get(tab, []), sheet_zone))
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


def _header_rows(titles: list[str], grids: dict[str, list[list[Any]]]) -> dict[str, list[str]]:
    """Each tab's header row as text, in sheet order (which `_response_tab` breaks ties by)."""
    return {t: [_plain(v) for v in (grids[t] or [[]])[0]] for t in titles if t in grids}


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
