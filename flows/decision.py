"""What a paused deadline run waits for: the principal's decision, whichever way it comes (the Prefect UI, the
clerk's `thidua approve`, or the principal's emailed reply read by `flows.replies`)."""

from __future__ import annotations

from typing import Literal

from prefect.input import RunInput
from pydantic import Field

from thidua.plan import Plan


class ApprovalDecision(RunInput):
    """What the principal answers in the Prefect UI when the run waits: approve, or reject with a comment."""

    decision: Literal["phê duyệt", "không duyệt"] = Field(title="Quyết định của Hiệu trưởng")
    comment: str = Field(default="", title="Ý kiến (cần ghi khi không duyệt: sửa gì trước khi lập lại dự thảo)")
    entered_by: str = Field(default="", title="Người nhập thay Hiệu trưởng và cách nhận ý kiến (để trống nếu "
                                              "Hiệu trưởng tự nhập)")


def approver(plan: Plan, decision: ApprovalDecision) -> str:
    """Who approved, as recorded: the principal, and who entered the decision when it was not the principal."""
    return f"{plan.signer.name} ({decision.entered_by})" if decision.entered_by else plan.signer.name


def pause_key(version: int, round_: int) -> str:
    """The key of the pause that waits for the decision on draft `round_` of `version`."""
    return f"duyet-v{version}-{round_}"
