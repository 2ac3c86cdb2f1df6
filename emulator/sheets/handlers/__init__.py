"""The handlers of spreadsheets.batchUpdate, one module per kind of request; `emulator.sheets.batch` maps each
request name to its handler."""
