"""``thidua emulator``: run the local Google Workspace emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def emulator_command(
    port: Annotated[int, typer.Option("--port", help="Loopback port to listen on (0 picks a free one).")] = 8765,
    seed: Annotated[Path | None, typer.Option("--seed", help="Load state from this snapshot folder first.")] = None,
    snapshot: Annotated[Path | None, typer.Option("--snapshot", help="Write state to this folder on exit.")] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to bind (keep it on loopback).")] = "127.0.0.1",
    no_quotas: Annotated[bool, typer.Option("--no-quotas", help="Do not enforce Google's per-minute quotas.")] = False,
    trusted_cert: Annotated[
        Path | None,
        typer.Option("--trusted-cert", help="Strict mode: only accept JWTs signed by this PEM certificate."),
    ] = None,
) -> None:
    """Run a local Google Workspace (Sheets, Docs, Drive, Forms, Gmail, OAuth2) the real client libraries reach."""
    # Imported here: `thidua` assembles this command into every CLI process, and the server takes a second to import.
    from emulator.server import EmulatorConfig, WorkspaceEmulator

    console = Console()
    certs = {"cli": trusted_cert.read_text(encoding="utf-8")} if trusted_cert else {}
    config = EmulatorConfig(
        host=host, port=port, seed_dir=seed, snapshot_dir=snapshot, quotas_enabled=not no_quotas, trusted_certs=certs
    )
    emulator = WorkspaceEmulator(config)
    console.print(f"[bold green]Workspace emulator[/] on http://{host}:{port}  (token_uri: http://{host}:{port}/token)")
    if seed:
        console.print(f"Seeded from {seed}")
    if snapshot:
        console.print(f"State will be written to {snapshot} on exit")
    console.print("Press Ctrl-C to stop.")
    emulator.serve_forever()


def main() -> None:
    typer.run(emulator_command)


if __name__ == "__main__":
    main()
