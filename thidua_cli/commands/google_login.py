"""`thidua google login`: a Workspace user's consent, stored where the flows read credentials, never printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thidua_cli.console import console


def google_login(
    client_secrets: Annotated[Path, typer.Option("--client-secrets", exists=True, dir_okay=False,
                                                 help="Tệp JSON của OAuth client loại «Desktop app» tải từ Google "
                                                      "Cloud.")],
    out: Annotated[Path | None, typer.Option("--out", help="Lưu vào tệp này (quyền 600), rồi đặt "
                                             "THIDUA_GOOGLE_CREDENTIALS=<đường dẫn> cho worker.")] = None,
    secret_block: Annotated[str, typer.Option("--secret-block", help="Hoặc lưu vào Prefect Secret block tên này "
                                              "(dùng với `thidua deploy --google-secret-block`).")] = "",
    user: Annotated[str, typer.Option("--user", help="Tài khoản phải đăng nhập (google.user của kế hoạch); "
                                      "khác thì không lưu.")] = "",
    port: Annotated[int, typer.Option("--port", help="Cổng của máy chủ nhận kết quả đăng nhập (0: tự chọn).")] = 0,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Tự mở trình duyệt.")] = True,
    base_url: Annotated[str, typer.Option("--base-url", hidden=True, help="Workspace giả lập (kiểm thử).")] = "",
) -> None:
    """Đăng nhập bằng tài khoản Google Workspace của trường (màn hình đồng ý loại «Internal») và lưu thông tin
    đăng nhập (authorized_user) vào tệp quyền 600 hoặc Prefect Secret block. Không in ra bí mật."""
    from connectors.google.api import GoogleApiError
    from connectors.google.doctor import CONSUMER_DOMAINS
    from connectors.google.login import authorized_user, client_config, consent, mailbox, save_file, save_secret_block

    if (out is None) == (not secret_block):
        console.print("[bold red]Chọn đúng một nơi lưu:[/] --out TỆP hoặc --secret-block TÊN.", highlight=False)
        raise typer.Exit(code=2)
    try:
        info = authorized_user(consent(client_config(client_secrets), port=port, open_browser=browser))
        email = mailbox(info, base_url or None)
    except GoogleApiError as error:
        console.print(f"[bold red]Không đăng nhập được:[/] {error}", highlight=False)
        raise typer.Exit(code=1) from None
    if email.rsplit("@", 1)[-1].lower() in CONSUMER_DOMAINS:
        console.print(f"[bold red]{email} là tài khoản Gmail cá nhân:[/] không dùng được để gửi báo cáo theo lịch "
                      "(ứng dụng OAuth «External» ở chế độ thử nghiệm mất quyền sau 7 ngày; không có Admin console). "
                      "Hãy đăng nhập bằng tài khoản Google Workspace của trường. Không lưu gì.", highlight=False)
        raise typer.Exit(code=1)
    if user and email.lower() != user.lower():
        console.print(f"[bold red]Đã đăng nhập bằng {email}, không phải {user}.[/] Không lưu gì; chạy lại và chọn "
                      "đúng tài khoản.", highlight=False)
        raise typer.Exit(code=1)
    if out is not None:
        path = save_file(info, out).resolve()
        console.print(f"[green]Đã lưu thông tin đăng nhập của {email}[/] vào {path} (chỉ chủ tệp đọc được, quyền "
                      f"600).\nCho worker đọc: đặt THIDUA_GOOGLE_CREDENTIALS={path} trong môi trường của worker "
                      "(ví dụ tệp dịch vụ systemd), rồi chạy `thidua google doctor KẾ_HOẠCH`.", highlight=False)
    else:
        save_secret_block(info, secret_block)
        console.print(f"[green]Đã lưu thông tin đăng nhập của {email}[/] vào Prefect Secret block «{secret_block}».\n"
                      f"Dùng: `thidua google doctor KẾ_HOẠCH --secret-block {secret_block}` và `thidua deploy "
                      f"KẾ_HOẠCH --google-secret-block {secret_block}`.", highlight=False)
