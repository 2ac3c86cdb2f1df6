"""The `thidua` command: one module per command (thidua_cli/commands/), assembled here."""

from __future__ import annotations

from emulator.cli import emulator_command
from thidua_cli.commands.approve import approve
from thidua_cli.commands.calendar import calendar_command
from thidua_cli.commands.check import check
from thidua_cli.commands.demo import demo
from thidua_cli.commands.deploy import deploy
from thidua_cli.commands.google import google_app
from thidua_cli.commands.google_doctor import google_doctor
from thidua_cli.commands.google_login import google_login
from thidua_cli.commands.report import report
from thidua_cli.commands.resend import resend
from thidua_cli.commands.status import status
from thidua_cli.failures import ThiduaApp

app = ThiduaApp(help="Thi đua – khen thưởng: báo cáo đúng hạn, đúng số liệu, gửi một lần.", no_args_is_help=True)
app.command()(check)
app.command()(demo)
app.command()(report)
app.command(name="calendar")(calendar_command)
app.command()(deploy)
app.command()(status)
app.command()(resend)
app.command()(approve)
app.command(name="emulator")(emulator_command)
app.add_typer(google_app, name="google")
google_app.command("doctor")(google_doctor)
google_app.command("login")(google_login)

if __name__ == "__main__":
    app()
