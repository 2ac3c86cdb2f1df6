"""Sheets v4 over HTTP: spreadsheets create/get/batchUpdate and the values family."""

from __future__ import annotations

from emulator.errors import bad_request
from emulator.fields import selects
from emulator.service import Call, Handler, Reply
from emulator.sheets.models import SheetsModel


def _input_option(call: Call) -> str:
    option = call.query.get("valueInputOption")
    if not option or option == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED", "valueInputOption")
    return str(option)


def handlers(sheets: SheetsModel) -> dict[str, Handler]:
    def create(call: Call) -> Reply:
        body = dict(call.body or {})
        if body.get("spreadsheetId"):
            raise bad_request("spreadsheetId cannot be set on create.", "spreadsheetId")
        book = sheets.create(body, call.user)
        return Reply(sheets.resource(book.id))

    def get(call: Call) -> Reply:
        # "If a field mask is set, the includeGridData parameter is ignored": the mask alone says whether cells come.
        fields = call.query.get("fields")
        grid = selects(fields, "sheets.data") if fields else bool(call.query.get("includeGridData"))
        return Reply(sheets.resource(call.param("spreadsheetId"), call.query.get("ranges"), grid))

    def batch_update(call: Call) -> Reply:
        return Reply(sheets.batch_update(call.param("spreadsheetId"), call.body or {}))

    def values_get(call: Call) -> Reply:
        return Reply(
            sheets.get_values(
                call.param("spreadsheetId"),
                call.param("range"),
                call.query.get("majorDimension", "ROWS"),
                call.query.get("valueRenderOption", "FORMATTED_VALUE"),
                call.query.get("dateTimeRenderOption", "SERIAL_NUMBER"),
            )
        )

    def values_batch_get(call: Call) -> Reply:
        return Reply(
            sheets.batch_get(
                call.param("spreadsheetId"),
                call.query.get("ranges", []),
                call.query.get("majorDimension", "ROWS"),
                call.query.get("valueRenderOption", "FORMATTED_VALUE"),
                call.query.get("dateTimeRenderOption", "SERIAL_NUMBER"),
            )
        )

    def values_update(call: Call) -> Reply:
        return Reply(
            sheets.update_values(
                call.param("spreadsheetId"),
                call.param("range"),
                call.body or {},
                _input_option(call),
                bool(call.query.get("includeValuesInResponse")),
                call.query.get("responseValueRenderOption", "FORMATTED_VALUE"),
            )
        )

    def values_append(call: Call) -> Reply:
        return Reply(
            sheets.append_values(
                call.param("spreadsheetId"),
                call.param("range"),
                call.body or {},
                _input_option(call),
                call.query.get("insertDataOption", "OVERWRITE"),
                bool(call.query.get("includeValuesInResponse")),
                call.query.get("responseValueRenderOption", "FORMATTED_VALUE"),
            )
        )

    def values_batch_update(call: Call) -> Reply:
        return Reply(sheets.batch_update_values(call.param("spreadsheetId"), call.body or {}))

    def values_clear(call: Call) -> Reply:
        return Reply(sheets.clear_values(call.param("spreadsheetId"), call.param("range")))

    def values_batch_clear(call: Call) -> Reply:
        return Reply(sheets.batch_clear(call.param("spreadsheetId"), (call.body or {}).get("ranges") or []))

    return {
        "sheets.spreadsheets.create": create,
        "sheets.spreadsheets.get": get,
        "sheets.spreadsheets.batchUpdate": batch_update,
        "sheets.spreadsheets.values.get": values_get,
        "sheets.spreadsheets.values.batchGet": values_batch_get,
        "sheets.spreadsheets.values.update": values_update,
        "sheets.spreadsheets.values.append": values_append,
        "sheets.spreadsheets.values.batchUpdate": values_batch_update,
        "sheets.spreadsheets.values.clear": values_clear,
        "sheets.spreadsheets.values.batchClear": values_batch_clear,
    }
