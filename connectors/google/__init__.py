"""Google Workspace connectors: how thidua reaches Google (or the local emulator)."""
