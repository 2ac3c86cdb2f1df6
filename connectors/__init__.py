"""Connectors: the ports (connectors/ports.py) and their implementations, local files/SMTP and Google Workspace."""
