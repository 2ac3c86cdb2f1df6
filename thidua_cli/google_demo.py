"""The demo's Google Workspace: an emulator it starts itself, provisioned and seeded through the real APIs.

Nothing here is a shortcut around the product: the plan is provisioned by `Provisioner`, the sample answers
enter through Sheets values.batchUpdate, and the flows then run with `backend: google` exactly as they would
against Google, the only difference being `google_base_url`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from connectors.google import endpoints
from connectors.google.api import GoogleApi
from connectors.google.auth import ENV_VAR, SCOPES, load_credentials
from connectors.google.provision import Provisioner
from connectors.google.seed import seed_response_sheets
from connectors.local.files import write_sample
from emulator.accounts import fake_service_account
from emulator.server import EmulatorConfig, WorkspaceEmulator
from flows.settings import DEFAULT_TEMPLATES, RunSettings
from sample_data.generator import generate
from thidua.plan import GoogleSettings, Plan, parse_plan


@dataclass
class GoogleDemo:
    """One emulator holding one or more schools' Workspaces; `schools` are their run settings, seed school first."""

    schools: list[RunSettings]
    emulator: WorkspaceEmulator
    created: list[str]

    @property
    def settings(self) -> RunSettings:
        return self.schools[0]

    def api_calls(self) -> int:
        """Calls the product made (token exchanges are Google's auth, not API calls)."""
        return sum(1 for entry in self.emulator.log.entries() if entry.method_id and entry.path != "/token")

    def rate_limited(self) -> int:
        """Calls Google (the emulator) refused for quota: the number a district run must keep at zero (Drive
        refuses with 403 userRateLimitExceeded, the other APIs with 429)."""
        return sum(1 for entry in self.emulator.log.entries()
                   if entry.status == 429 or (entry.status == 403 and (entry.method_id or "").startswith("drive.")))


def write_plan(plan: Plan, path: Path) -> None:
    path.write_text(yaml.safe_dump(plan.model_dump(mode="json", exclude_defaults=True), allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")


def _provision_school(emulator: WorkspaceEmulator, info: dict[str, Any], plan: Plan, plan_path: Path, out: Path,
                      seed: int, staff: int) -> tuple[RunSettings, list[str]]:
    """One school's Forms, Sheets, folders and templates, created and seeded through the real APIs."""
    google = plan.google or GoogleSettings(user=plan.delivery.sender)
    plan = plan.model_copy(update={"google": google, "backend": "google"})
    credentials = load_credentials(info, google.user, emulator.base_url, SCOPES)
    api = GoogleApi()
    gspread_client = endpoints.gspread_client(credentials, emulator.base_url)
    provisioning = Provisioner(
        plan, endpoints.build_service("drive", "v3", credentials, emulator.base_url),
        endpoints.build_service("forms", "v1", credentials, emulator.base_url), gspread_client, api,
        DEFAULT_TEMPLATES,
    ).run()
    write_plan(provisioning.plan, plan_path)
    parse_plan(plan_path.read_text(encoding="utf-8"))  # the written plan must load as it will in the flows
    write_sample(plan, out / "data", seed=seed, staff=staff)  # the same answers as files, to compare with
    seed_response_sheets(provisioning.plan, generate(plan, seed=seed, staff=staff).grids, gspread_client, api)
    settings = RunSettings(plan_path=plan_path, data_dir=out / "data", out_dir=out,
                           google_base_url=emulator.base_url)
    return settings, provisioning.created


@contextmanager
def google_district(plans: Sequence[Plan], staff: Sequence[int], out: Path, seed: int,
                    config: EmulatorConfig | None = None) -> Iterator[GoogleDemo]:
    """Every school in one emulator (one Google project, one delegated user per school), as a district has it.

    With one plan, its files sit in OUT itself (the single-school demo); with several, in OUT/schools/<id> and
    the plans in OUT/plans, as `thidua deploy` expects a district's folder."""
    with WorkspaceEmulator(config or EmulatorConfig()) as emulator:
        info = fake_service_account().info(emulator.base_url)
        os.environ[ENV_VAR] = json.dumps(info)  # how the flows find credentials; never a flow parameter
        schools, created = [], []
        for plan, people in zip(plans, staff, strict=True):
            if len(plans) == 1:
                school_out, plan_path = out, out / "plan.google.yaml"
            else:
                school_out, plan_path = out / "schools" / plan.id, out / "plans" / f"{plan.id}.yaml"
                plan_path.parent.mkdir(parents=True, exist_ok=True)
            settings, made = _provision_school(emulator, info, plan, plan_path, school_out, seed, people)
            schools.append(settings)
            created.extend(made)
        if len(plans) > 1:  # one district: one ledger, one record of what was sent
            schools = [s.model_copy(update={"ledger_url": f"sqlite:///{out / 'deliveries.sqlite'}"})
                       for s in schools]
        emulator.log.clear()
        yield GoogleDemo(schools, emulator, created)


@contextmanager
def google_workspace(plan: Plan, out: Path, seed: int, staff: int,
                     config: EmulatorConfig | None = None) -> Iterator[GoogleDemo]:
    with google_district([plan], [staff], out, seed, config) as demo:
        yield demo


def save_sent_mail(demo: GoogleDemo, plan: Plan, maildir: Path) -> int:
    """The Gmail sent folder as .eml files, so a person can open what the district received."""
    assert plan.google is not None
    credentials = load_credentials(json.loads(os.environ[ENV_VAR]), plan.google.user, demo.emulator.base_url, SCOPES)
    gmail = endpoints.build_service("gmail", "v1", credentials, demo.emulator.base_url).users().messages()
    listed = gmail.list(userId="me", q="in:sent", maxResults=500).execute().get("messages", [])
    maildir.mkdir(parents=True, exist_ok=True)
    for number, item in enumerate(reversed(listed), start=1):
        raw = gmail.get(userId="me", id=item["id"], format="raw").execute()["raw"]
        (maildir / f"{number}-gmail-{item['id']}.eml").write_bytes(base64.urlsafe_b64decode(raw))
    return len(listed)
