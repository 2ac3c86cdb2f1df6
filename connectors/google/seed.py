"""Fills provisioned response sheets with answers, as Google Forms would have: one values.batchUpdate each.

Used by the Google demo and tests to load the sample data into the emulator through the real Sheets API.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import gspread

from connectors.google.api import GoogleApi
from connectors.google.sheets import a1_sheet
from thidua.plan import Plan


def seed_response_sheets(plan: Plan, grids: Mapping[str, list[list[str]]], client: gspread.Client,
                         api: GoogleApi) -> int:
    """Writes each source's grid (header row included) into its sheet, RAW so text stays text; returns calls."""
    calls = 0
    for source in plan.sources:
        if source.id not in grids or not source.spreadsheet_id:
            continue
        grid = grids[source.id]
        spreadsheet = api.call(partial(client.open_by_key, source.spreadsheet_id), "sheets.spreadsheets.get")
        worksheet = spreadsheet.worksheet(source.sheet or source.name)
        if worksheet.row_count < len(grid):  # a Forms response sheet grows as answers arrive; this one must too
            api.call(partial(worksheet.resize, rows=len(grid)), "sheets.spreadsheets.batchUpdate", "POST")
            calls += 1
        body = {"valueInputOption": "RAW",
                "data": [{"range": f"{a1_sheet(source.sheet or source.name)}!A1", "values": grid}]}
        api.call(partial(client.http_client.values_batch_update, source.spreadsheet_id, body),
                 "sheets.spreadsheets.values.batchUpdate", "POST")
        calls += 2
    return calls
