"""`thidua approve`: the clerk enters the principal's decision on a waiting draft (given by phone, in person)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from thidua_cli.console import PlanOption, console, load_or_exit


def waiting_runs(plan_path: Path, deadline_id: str) -> list[Any]:
    """The runs of this plan's deadline that are paused for the principal's decision, from the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        paused = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
    wanted = plan_path.resolve()

    def ours(run: Any) -> bool:
        settings = run.parameters.get("settings") or {}
        key = run.state.state_details.pause_key or "" if run.state else ""
        return (run.parameters.get("deadline_id") == deadline_id and key.startswith("duyet-")
                and Path(str(settings.get("plan_path", ""))).resolve() == wanted)

    return [run for run in paused if ours(run)]


def approve(
    plan_path: PlanOption,
    deadline_id: Annotated[str, typer.Argument(help="Mã hạn báo cáo đang chờ phê duyệt, ví dụ D3.")],
    reject: Annotated[str | None, typer.Option(
        "--reject", help="Không duyệt, với lý do (dự thảo được lập lại và gửi Hiệu trưởng lần nữa).")] = None,
    by: Annotated[str, typer.Option(
        "--by", help="Người nhập (mặc định: thư ký trong kế hoạch).")] = "",
) -> None:
    """Nhập ý kiến của Hiệu trưởng (duyệt, hoặc không duyệt kèm lý do) cho dự thảo đang chờ; ghi rõ người nhập."""
    from prefect.flow_runs import resume_flow_run

    from flows.decision import ApprovalDecision

    plan = load_or_exit(plan_path)
    if deadline_id not in {d.id for d in plan.deadlines}:
        console.print(f"[bold red]Không có hạn «{deadline_id}» trong kế hoạch.[/]", highlight=False)
        raise typer.Exit(code=2)
    if reject is not None and not reject.strip():
        console.print("[bold red]Không duyệt cần ghi lý do (--reject \"lý do\").[/]")
        raise typer.Exit(code=2)
    runs = waiting_runs(plan_path, deadline_id)
    if not runs:
        console.print(f"[bold red]Không có lượt chạy nào của hạn {deadline_id} ({plan.school.name}) đang chờ phê "
                      "duyệt.[/] Xem «thidua status» hoặc Prefect UI.", highlight=False)
        raise typer.Exit(code=1)
    clerk = by.strip() or plan.clerk.name
    decision = ApprovalDecision(
        decision="không duyệt" if reject is not None else "phê duyệt", comment=(reject or "").strip(),
        entered_by=f"{clerk} nhập theo ý kiến của Hiệu trưởng",
    )
    for run in runs:
        resume_flow_run(run.id, run_input=decision.model_dump())
        console.print(f"Đã nhập «{decision.decision}» cho lượt chạy {run.name} ({run.id})"
                      + (f", lý do: {decision.comment}" if decision.comment else "")
                      + f"; người nhập: {clerk}.", highlight=False)
