"""A new school goes live: its own plan and CSVs, a thidua.toml, `thidua report` to preview a deadline's report and
`--send` to deliver it through a loopback mail server that demands STARTTLS and a login, exactly once; then
`thidua status` with nothing else typed. The real CLI in a subprocess, real files, real SMTP."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.local.files import write_sample
from connectors.local.smtp_server import LoopbackSmtpServer
from tests.prefect_server import PrefectServer
from tests.tls import self_signed
from thidua.plan import parse_plan

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
USER, PASSWORD = "vanthu@thcs-leanhxuan.edu.vn", "app-password-2024"
AS_OF = "2024-05-20T09:00+07:00"  # an hour after D3's send slot (08:00 on 20/05), two days before its deadline


def thidua(cwd: Path, *args: str, server: PrefectServer | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI as a clerk runs it; with `server`, its flows report to that Prefect server (as a school's do once it
    has one) instead of each call starting Prefect's embedded one, which the local demo's test covers."""
    # Prefect's analytics are left as the CLI sets them (off), so its own runs are what is checked for tracebacks.
    base = server.env if server is not None else os.environ
    env = {k: v for k, v in base.items() if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL")}
    env |= {"COLUMNS": "200", "THIDUA_SMTP_PASSWORD": PASSWORD}
    return subprocess.run([sys.executable, "-m", "thidua_cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900, check=False)


@pytest.fixture
def school(tmp_path: Path) -> Path:
    folder = tmp_path / "truong"
    folder.mkdir()
    (folder / "plan.yaml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    write_sample(parse_plan(SEED.read_text(encoding="utf-8")), folder / "du-lieu", staff=32)
    for extra in (folder / "du-lieu").glob("*.xlsx"):
        extra.unlink()
    return folder


def test_new_school_previews_then_sends_once_through_tls_and_login(school: Path, tmp_path: Path,
                                                                  prefect_server: PrefectServer) -> None:
    cert = self_signed(tmp_path / "tls")
    with LoopbackSmtpServer(tmp_path / "district-inbox", tls=cert.server_context(), login=(USER, PASSWORD)) as smtp:
        (school / "thidua.toml").write_text(
            'plan = "plan.yaml"\nout = "ket-qua"\ndata = "du-lieu"\n\n[mail]\nhost = "127.0.0.1"\n'
            f'port = {smtp.port}\nsecurity = "starttls"\nusername = "{USER}"\nca_file = "{cert.cert}"\n',
            encoding="utf-8")

        preview = thidua(school, "report", "plan.yaml", "D3", "--as-of", AS_OF, server=prefect_server)
        assert preview.returncode == 0, preview.stdout + preview.stderr
        out = school / "ket-qua"
        assert (out / "reports" / "le-anh-xuan-2024_D3_interim.docx").is_file()
        assert (out / "reports" / "le-anh-xuan-2024_D3_interim_phu_luc.xlsx").is_file()
        rejects = (out / "rejects-D3.csv").read_text(encoding="utf-8").splitlines()
        assert rejects[0] == "source,sheet,row,field,value,reason" and len(rejects) > 1
        assert "Trường Trung học cơ sở Lê Anh Xuân" in preview.stdout
        assert "theo tổ" in preview.stdout and "Chưa nộp" in preview.stdout
        assert "Chưa gửi gì" in preview.stdout
        assert smtp.received == 0

        send = ("report", "plan.yaml", "D3", "--as-of", AS_OF, "--send", "--auto-approve")
        sent = thidua(school, *send, server=prefect_server)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "D3: đã gửi" in sent.stdout and "(chạy thử)" in sent.stdout
        assert "TRỄ HẠN" not in sent.stdout
        assert PASSWORD not in sent.stdout + sent.stderr
        (eml,) = smtp.maildir.glob("*.eml")
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message["Message-ID"] == "<thidua.le-anh-xuan-2024.D3.v1@lax.example.edu.vn>"

        again = thidua(school, *send, server=prefect_server)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "đã gửi trước đó, không gửi lại" in again.stdout
        assert smtp.received == 1

    status = thidua(school, "status", "--as-of", "2024-05-21T09:00+07:00")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "Lê Anh Xuân" in status.stdout and str(school / "thidua.toml") in status.stdout
    d3 = next(line for line in status.stdout.splitlines() if "│ D3" in line)
    assert "đã gửi" in d3 and "TRỄ" not in d3
    assert "database is locked" not in preview.stderr + sent.stderr + again.stderr + status.stderr


def test_report_names_a_renamed_column_and_a_missing_file_before_building(school: Path) -> None:
    roster = school / "du-lieu" / "roster.csv"
    roster.write_text(roster.read_text(encoding="utf-8").replace("Họ và tên", "Họ tên", 1), encoding="utf-8")
    (school / "du-lieu" / "F3_thanh_tich.csv").unlink()
    run = thidua(school, "report", "plan.yaml", "D3", "--data", "du-lieu")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "thiếu cột: «Họ và tên»" in run.stdout and "«Họ tên»" in run.stdout
    assert "F3_thanh_tich.csv" in run.stdout
    assert not (school / "ket-qua" / "reports").exists()


def test_commands_without_plan_or_settings_refuse_instead_of_using_the_sample_school(tmp_path: Path) -> None:
    for args in (("status",), ("resend", "D3", "--reason", "sửa số liệu")):
        run = thidua(tmp_path, *args)
        assert run.returncode == 2, run.stdout + run.stderr
        assert "Chưa biết trường nào" in run.stdout
        assert "Lê Anh Xuân" not in run.stdout
