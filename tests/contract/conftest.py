"""One backend per parameter, opened the way a run opens it (`open_backend` on the plan), over the same sample.

`local` reads the sample's files and sends to a loopback SMTP server; `google` is provisioned and seeded in one
Workspace emulator by the demo's own `google_workspace`. Both are built once per module: the cases only read, or
write things (messages, reports) that never collide, so sharing keeps the suite fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.backends import open_backend
from connectors.google.auth import ENV_VAR
from connectors.local.files import write_sample
from connectors.local.smtp_server import LoopbackSmtpServer
from connectors.ports import Backend
from flows.settings import RunSettings
from sample_data.generator import SampleData, generate
from thidua.plan import Plan, parse_plan
from thidua_cli.google_demo import google_workspace, write_plan

REPO = Path(__file__).resolve().parents[2]
PLAN_PATH = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
SEED = 2024
STAFF = 36
BACKENDS = ["local", "google"]


@dataclass
class Contract:
    """An opened backend (`ports`) and what the cases compare it with: the plan it was opened on, its sample."""

    name: str
    ports: Backend
    plan: Plan
    settings: RunSettings
    sample: SampleData


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    """The backend named by the parameter, holding the generator's sample (seed 2024, 36 staff)."""
    plan = parse_plan(PLAN_PATH.read_text(encoding="utf-8"))
    sample = generate(plan, seed=SEED, staff=STAFF)
    out = tmp_path_factory.mktemp(f"contract-{request.param}")
    if request.param == "local":
        local = plan.model_copy(update={"backend": "local"})
        plan_path = out / "plan.yaml"
        write_plan(local, plan_path)
        write_sample(local, out / "data", seed=SEED, staff=STAFF)
        with LoopbackSmtpServer(out / "mail") as server:
            settings = RunSettings(plan_path=plan_path, data_dir=out / "data", out_dir=out, smtp_port=server.port)
            yield Contract("local", open_backend(local, settings), local, settings, sample)
        return
    before = os.environ.get(ENV_VAR)
    try:
        with google_workspace(plan, out, seed=SEED, staff=STAFF) as demo:
            provisioned = parse_plan(demo.settings.plan_path.read_text(encoding="utf-8"))
            yield Contract("google", open_backend(provisioned, demo.settings), provisioned, demo.settings, sample)
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before
