"""Prefect flows and tasks: they wire the core to the connectors and decide nothing themselves."""
