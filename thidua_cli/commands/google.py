"""`thidua google provision`: create (or find again) every Google item the plan needs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thidua_cli.console import PlanOption, console, load_or_exit

google_app = typer.Typer(help="Google Workspace: khởi tạo biểu mẫu, bảng tính, thư mục và mẫu báo cáo từ kế hoạch.",
                         no_args_is_help=True)


@google_app.command("provision")
def google_provision(
    plan_path: PlanOption,
    out: Annotated[Path, typer.Option("--out", help="Bản sao kế hoạch có ghi mã các mục đã tạo.")],
    base_url: Annotated[str, typer.Option("--base-url", help="Địa chỉ Workspace giả lập (bỏ trống: Google thật).")]
    = "",
    secret_block: Annotated[str, typer.Option("--secret-block", help="Tên Prefect Secret block chứa khóa.")] = "",
) -> None:
    """Tạo (hoặc tìm lại) mọi mục Google mà kế hoạch cần; chạy lại không tạo thêm gì."""
    from connectors.google import endpoints
    from connectors.google.api import GoogleApi, GoogleApiError
    from connectors.google.auth import SCOPES, credential_info, load_credentials, prefect_secret
    from connectors.google.provision import Provisioner
    from flows.settings import DEFAULT_TEMPLATES
    from thidua.plan import GoogleSettings
    from thidua_cli.google_demo import write_plan

    plan = load_or_exit(plan_path)
    google = plan.google or GoogleSettings(user=plan.delivery.sender)
    plan = plan.model_copy(update={"google": google})
    url = base_url or None
    try:
        credentials = load_credentials(credential_info(prefect_secret(secret_block) if secret_block else None),
                                       google.user, url, SCOPES)
        done = Provisioner(plan, endpoints.build_service("drive", "v3", credentials, url),
                           endpoints.build_service("forms", "v1", credentials, url),
                           endpoints.gspread_client(credentials, url), GoogleApi(), DEFAULT_TEMPLATES).run()
    except GoogleApiError as error:
        console.print(f"[bold red]Không khởi tạo được:[/] {error}", highlight=False)
        raise typer.Exit(code=1) from None
    write_plan(done.plan, out)
    if done.created:
        console.print(f"Đã tạo {len(done.created)} mục:", highlight=False)
        for name in done.created:
            console.print(f"  • {name}", highlight=False)
    else:
        console.print("Mọi mục đã có sẵn: không tạo thêm gì.")
    console.print(f"Kế hoạch kèm mã các mục: {out}", highlight=False)
