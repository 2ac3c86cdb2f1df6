"""Fills provisioned response tabs with answers, as Google Forms would have: timestamps as date-time values.

Used by the Google demo and tests to load the sample data into the emulator through the real Sheets API: per
spreadsheet one spreadsheets.get, one batchUpdate (grow the tabs, date-time format on the timestamp column) and
one values.batchUpdate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import gspread

from connectors.google.api import GoogleApi
from connectors.google.sheets import SERIAL_EPOCH, a1_sheet, spreadsheet_zone
from thidua.normalize import parse_timestamp
from thidua.plan import Plan, Source


def _serial(text: str, school: ZoneInfo, sheet_zone: dt.tzinfo) -> float | str:
    """A typed timestamp as the serial Forms would have written (wall clock in the sheet's zone); text that is
    no timestamp stays text, as a clerk's typo would."""
    moment = parse_timestamp(text, school)
    if moment is None:
        return text
    delta = moment.astimezone(sheet_zone).replace(tzinfo=None) - SERIAL_EPOCH
    return delta.days + delta.seconds / 86_400


def seed_response_sheets(plan: Plan, grids: Mapping[str, list[list[str]]], client: gspread.Client,
                         api: GoogleApi) -> int:
    """Writes each source's grid (header row included) into its tab; returns the number of calls."""
    calls = 0
    school = ZoneInfo(plan.timezone)
    by_spreadsheet: dict[str, list[Source]] = defaultdict(list)
    for source in plan.sources:
        if source.id in grids and source.spreadsheet_id:
            by_spreadsheet[source.spreadsheet_id].append(source)
    for spreadsheet_id, sources in by_spreadsheet.items():
        fields = "properties.timeZone,sheets.properties(sheetId,title,gridProperties)"
        meta = api.call(partial(client.http_client.fetch_sheet_metadata, spreadsheet_id, params={"fields": fields}),
                        "sheets.spreadsheets.get")
        sheet_zone = spreadsheet_zone(meta.get("properties", {}).get("timeZone"))
        tabs = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
        requests: list[dict[str, Any]] = []
        data = []
        for source in sources:
            title = source.sheet or source.name
            grid: list[list[Any]] = [list(row) for row in grids[source.id]]
            properties = tabs[title]
            if properties["gridProperties"]["rowCount"] < len(grid):  # a response tab grows as answers arrive
                requests.append({"appendDimension": {"sheetId": properties["sheetId"], "dimension": "ROWS",
                                                     "length": len(grid) - properties["gridProperties"]["rowCount"]}})
            header = grid[0] if grid else []
            stamp = source.columns.get("timestamp")
            if stamp in header and len(grid) > 1:
                column = header.index(stamp)
                for row in grid[1:]:
                    if column < len(row) and row[column]:
                        row[column] = _serial(str(row[column]), school, sheet_zone)
                requests.append({"repeatCell": {
                    "range": {"sheetId": properties["sheetId"], "startRowIndex": 1, "endRowIndex": len(grid),
                              "startColumnIndex": column, "endColumnIndex": column + 1},
                    "cell": {"userEnteredFormat": {"numberFormat": {"type": "DATE_TIME"}}},
                    "fields": "userEnteredFormat.numberFormat"}})
            data.append({"range": f"{a1_sheet(title)}!A1", "values": grid})
        calls += 1
        if requests:
            api.call(partial(client.http_client.batch_update, spreadsheet_id, {"requests": requests}),
                     "sheets.spreadsheets.batchUpdate", "POST")
            calls += 1
        api.call(partial(client.http_client.values_batch_update, spreadsheet_id,
                         {"valueInputOption": "RAW", "data": data}), "sheets.spreadsheets.values.batchUpdate", "POST")
        calls += 1
    return calls
