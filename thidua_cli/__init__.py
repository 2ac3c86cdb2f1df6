"""The `thidua` command line.

Prefect reads its settings when first imported, so the CLI sets its defaults here, before any submodule
imports Prefect: no analytics from a school's machine, and a console the progress bar can own.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The embedded (ephemeral) server gets 20 s to start by default; a busy 2-core machine can need more, and a demo
# that fails for it tells the clerk nothing useful.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
