"""A Google key handed over in any of the shapes a clerk might use never reaches the console, the logs, Prefect's
database or its result storage, and each shape is either read or refused with a Vietnamese reason."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from prefect import flow, get_client, get_run_logger, task
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_LOCAL_STORAGE_PATH,
    PREFECT_LOGGING_TO_API_ENABLED,
    PREFECT_RESULTS_PERSIST_BY_DEFAULT,
    PREFECT_SERVER_ANALYTICS_ENABLED,
    temporary_settings,
)

from connectors.google.api import GoogleAuthError
from connectors.google.auth import ENV_VAR, parse_credentials, scrub_secrets
from flows.common import backend, load_plan
from flows.settings import RunSettings
from tests.prefect_server import PrefectServer

REPO = Path(__file__).resolve().parents[2]
MARKER = "MARKERc0ffee5ecret"
PEM = f"-----BEGIN PRIVATE KEY-----\nMIIE{MARKER}vQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
ACCOUNT = {
    "type": "service_account", "project_id": "thidua-test", "private_key_id": f"id{MARKER}",
    "private_key": PEM, "client_email": "thidua@thidua-test.iam.gserviceaccount.com",
    "token_uri": "http://127.0.0.1:9/token",
}
RAW_JSON = json.dumps(ACCOUNT)
# What `KEY="…"` in a .env file holds once a shell or python-dotenv hands it over unparsed.
DOTENV_QUOTED = json.dumps(RAW_JSON)
SINGLE_QUOTED = f"'{RAW_JSON}'"


@pytest.mark.parametrize("raw", [RAW_JSON, DOTENV_QUOTED, SINGLE_QUOTED, f"  {RAW_JSON}\n"],
                         ids=["json", "dotenv-double-quoted", "single-quoted", "padded"])
def test_every_shape_of_the_json_is_read_as_the_same_account(raw: str) -> None:
    assert parse_credentials(raw) == ACCOUNT


def test_a_key_file_path_is_read(tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(RAW_JSON, encoding="utf-8")
    assert parse_credentials(str(key)) == ACCOUNT
    assert parse_credentials(f'"{key}"') == ACCOUNT


@pytest.mark.parametrize(("raw", "says"), [
    (PEM, "khóa PEM trần"),
    (json.dumps(PEM), "khóa PEM trần"),
    (RAW_JSON[:-3], "không phải JSON hợp lệ"),
    ("x" * 5000 + MARKER, "không phải JSON cũng không phải đường dẫn"),
    (f"/nonexistent/{MARKER}\nline", "không phải JSON cũng không phải đường dẫn"),
    ("[1, 2]", "không phải JSON cũng không phải đường dẫn"),
    ("   ", "Chưa có thông tin xác thực"),
], ids=["bare-pem", "quoted-pem", "truncated-json", "long-blob", "multi-line", "json-list", "blank"])
def test_what_is_not_a_credential_is_refused_without_echoing_it(raw: str, says: str) -> None:
    with pytest.raises(GoogleAuthError) as caught:
        parse_credentials(raw)
    assert says in str(caught.value)
    assert MARKER not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_missing_key_file_is_told_without_quoting_the_path(tmp_path: Path) -> None:
    with pytest.raises(GoogleAuthError, match=r"\(không có tệp này\)") as caught:
        parse_credentials(str(tmp_path / f"{MARKER}.json"))
    assert MARKER not in str(caught.value)


def test_scrubbing_hides_pem_blocks_and_secret_fields_even_when_cut_short() -> None:
    text = f"OSError: File name too long: '{RAW_JSON[:120]}' and {PEM[:40]}"
    assert MARKER not in scrub_secrets(text)
    assert MARKER not in scrub_secrets(f"refresh_token={MARKER!r}; client_secret: \"{MARKER}\"")


@task
def _open_google(settings: RunSettings) -> str:
    backend(settings, load_plan(settings.plan_path))
    return "connected"


@flow(persist_result=True)
def _google_run(settings: RunSettings) -> str:
    get_run_logger().info("opening the Workspace")
    return _open_google(settings)


def _google_plan(tmp_path: Path) -> Path:
    seed = (REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(seed + "\nbackend: google\ngoogle:\n  user: vanthu@lax.example.edu.vn\n", encoding="utf-8")
    return plan


def test_a_planted_key_reaches_no_console_log_database_or_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, prefect_server: PrefectServer) -> None:
    """On the test run's Prefect server (every xdist worker's), whose every file is searched afterwards: the runs'
    rows and logs land in the same database as everything else the server keeps."""
    storage = tmp_path / "results"
    # Importing thidua_cli quiets Prefect to WARNING for the clerk; this run's INFO log must reach the database.
    caplog.set_level(logging.INFO, logger="prefect.flow_runs")
    settings = RunSettings(plan_path=_google_plan(tmp_path), data_dir=tmp_path, out_dir=tmp_path / "out",
                           google_base_url="http://127.0.0.1:9", google_rate_limits=False)
    runs = []
    with temporary_settings(updates={
            PREFECT_API_URL: prefect_server.url, PREFECT_SERVER_ANALYTICS_ENABLED: False,
            PREFECT_LOGGING_TO_API_ENABLED: True, PREFECT_RESULTS_PERSIST_BY_DEFAULT: True,
            PREFECT_LOCAL_STORAGE_PATH: storage}):
        # .env's quoted JSON, a bare PEM, a quoted PEM, shell-quoted JSON: each run fails, none may leak the key.
        for raw in (DOTENV_QUOTED, PEM, json.dumps(PEM), SINGLE_QUOTED):
            monkeypatch.setenv(ENV_VAR, raw)
            state = _google_run(settings, return_state=True)
            assert state.is_failed()
            assert "GoogleAuthError" in (state.message or "")
            runs.append(state.state_details.flow_run_id)
        APILogWorker.drain_all(timeout=60)  # a loaded machine ships logs late
        with get_client(sync_client=True) as client:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=runs)))
    assert sum("opening the Workspace" in log.message for log in logs) == len(runs), "the logs are not on the server"
    out, err = capfd.readouterr()
    seen = {"stdout": out, "stderr": err, "logs": caplog.text}
    for path in [*prefect_server.home.rglob("*"), *storage.rglob("*")]:
        if path.is_file():
            seen[str(path)] = path.read_bytes().decode("latin-1")
    database = "".join(text for name, text in seen.items() if "prefect.db" in name)
    assert all(str(run) in database for run in runs), "the runs are not where the test looks"
    assert any(storage.rglob("*")), "no result was persisted where the test looks"
    leaked = [name for name, text in seen.items() if MARKER in text]
    assert leaked == []
