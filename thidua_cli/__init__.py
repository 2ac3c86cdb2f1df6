"""The `thidua` command line.

Prefect reads its settings when first imported, so the CLI sets its defaults here, before any submodule
imports Prefect: no analytics from a school's machine, and a console the progress bar can own.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
