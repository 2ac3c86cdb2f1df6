"""The demo's digital signatures: a throwaway CA and certificates made for the sample school, each saying in its
own subject that it is a test certificate, so a newcomer sees the whole signing path and no one mistakes it for a
legal signature."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from connectors.signing import TEST_MARK, make_test_certificates, make_test_images
from flows.settings import RunSettings
from thidua_cli.console import console, load_or_exit

PASSWORD_ENV = "THIDUA_DEMO_SIGNING_PASSWORD"


def with_test_signing(settings: RunSettings, out: Path) -> RunSettings:
    """The settings on a copy of the plan that signs with throwaway certificates made in OUT/chu-ky-so-thu; a plan
    that already has `signing:` is left as it is. The password lives only in this process's environment."""
    plan = load_or_exit(settings.plan_path)
    if plan.signing is not None:
        return settings
    keys = out / "chu-ky-so-thu"
    password = secrets.token_urlsafe(18)
    os.environ[PASSWORD_ENV] = password
    certs = make_test_certificates(keys, plan.school.name, plan.signer.name, password)
    signature, seal = make_test_images(keys, plan.school.name)
    section = (
        "\n# Added by `thidua demo`: throwaway TEST certificates, worthless as a legal signature.\n"
        "signing:\n"
        f"  person: {{pkcs12: {_q(certs.person)}, password_env: {PASSWORD_ENV}, image: {_q(signature)}}}\n"
        f"  organisation: {{pkcs12: {_q(certs.organisation)}, password_env: {PASSWORD_ENV}, image: {_q(seal)}, "
        "image_mm: 36}\n"
        f"  trust_roots: [{_q(certs.ca)}]\n"
    )
    signed_plan = out / f"{settings.plan_path.stem}.ky-so-thu.yaml"
    signed_plan.write_text(settings.plan_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + section,
                           encoding="utf-8")
    load_or_exit(signed_plan)
    console.print(
        f"[bold yellow]Chữ ký số THỬ NGHIỆM:[/] mọi báo cáo được ký số (PAdES) bằng chứng thư thử nghiệm tự tạo cho "
        f"{plan.school.name} và {plan.signer.name} ({keys}); chứng thư ghi rõ «{TEST_MARK}». Khi chạy thật, dùng "
        f"chứng thư số do tổ chức cung cấp dịch vụ chứng thực chữ ký số cấp (mục signing trong kế hoạch).",
        highlight=False)
    return settings.model_copy(update={"plan_path": signed_plan})


def _q(path: Path) -> str:
    """A path as a quoted YAML scalar (JSON strings are YAML)."""
    return json.dumps(str(path), ensure_ascii=False)
