"""`thidua report` without `--send`: the deadline's report built in one flow run, so its steps have a run to belong
to (and show in the Prefect UI as a preview), and nothing is approved, recorded or sent."""

from __future__ import annotations

import datetime as dt

from prefect import flow

from flows.common import load_plan
from flows.report import Draft, prepare_report
from flows.settings import RunSettings


@flow(name="thidua-preview", flow_run_name="{deadline_id}-xem-truoc")
def preview_flow(settings: RunSettings, deadline_id: str, now: dt.datetime) -> Draft:
    """Builds the deadline's report as the sheets stood at `now`; touches neither the ledger nor the mail."""
    return prepare_report(settings, load_plan(settings.plan_path), deadline_id, now)
