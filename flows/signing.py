"""Signing the approved report before it is sent (optional per plan: `signing:`), retry-safe.

A signed file already on disk is reused when it is an incremental update of exactly the approved bytes and every
signature in it validates, so a retried task or a re-run never signs twice nor sends a stale signature.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from connectors.signing import SigningError, sign_report, signing_config, validate
from flows.approval import sha256_of
from flows.common import unless_disk_full
from flows.report import annex_of
from flows.settings import RunSettings
from thidua.plan import Plan


@dataclass(frozen=True)
class Signed:
    """The file to send and, when it was signed, its SHA-256 (empty when the plan signs nothing)."""

    report: Path
    sha256: str = ""


def signed_copy(settings: RunSettings, approved: Path) -> Path:
    """Where the signed copy of an approved file is kept: beside the other signed reports, under the same name."""
    return settings.out_dir / "signed" / approved.name


def _expected_signatures(plan: Plan) -> int:
    assert plan.signing is not None
    return (plan.signing.person is not None) + (plan.signing.organisation is not None)


def _still_good(plan: Plan, approved: Path, signed: Path, roots: list[Path]) -> bool:
    """The signed file on disk signs exactly the approved bytes, with every signature the plan asks, all valid."""
    if not signed.is_file() or not signed.read_bytes().startswith(approved.read_bytes()):
        return False
    checks = validate(signed, roots)
    return len(checks) == _expected_signatures(plan) and all(
        c.intact and c.valid and (c.trusted or not roots) for c in checks)


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE, retry_condition_fn=unless_disk_full)
def sign_for_sending(settings: RunSettings, plan: Plan, deadline_id: str, approved: Path) -> Signed:
    """The approved PDF signed by the signer and the school as the plan says, or the file itself when the plan
    signs nothing; the annex travels beside the signed copy."""
    if plan.signing is None:
        return Signed(approved)
    if approved.suffix != ".pdf":
        raise SigningError(f"Hạn {deadline_id}: kế hoạch yêu cầu ký số nhưng báo cáo là {approved.name}, không phải "
                           "PDF (cần LibreOffice để xuất PDF); không gửi bản chưa ký.")
    base = settings.plan_path.parent
    roots = [base / root for root in plan.signing.trust_roots]
    signed = signed_copy(settings, approved)
    if not _still_good(plan, approved, signed, roots):
        config = signing_config(plan.signing, base, plan.signer.name, plan.school.name)
        sign_report(approved, signed, config, plan.signer.name, plan.signer.title)
        if not _still_good(plan, approved, signed, roots):
            raise SigningError(f"Hạn {deadline_id}: chữ ký số trên {signed.name} không hợp lệ sau khi ký; không gửi.")
    if annex_of(approved).is_file():
        shutil.copyfile(annex_of(approved), annex_of(signed))
    digest = sha256_of(signed)
    get_run_logger().info("Hạn %s: đã ký số %s (SHA-256 %s).", deadline_id, signed.name, digest)
    return Signed(signed, digest)
