"""Where a command's CPU goes, by kind of process: `python -m benchmarks.process_cpu -- bash .ci/run`.

The test command starts hundreds of processes (Prefect servers and workers, flow runs, the CLI, LibreOffice, race
tests' children); `time` sums only those it waited for. This samples every process on the machine every 0.25 s
while the command runs and keeps, per process, the CPU it had used when last seen; a process that lived less than
one sample may be missed. Run it with nothing else busy: the table counts every process started after it began.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")
KINDS = (  # the first pattern found in a command line names its kind
    ("prefect server start", "Prefect server"),
    ("prefect.server.api.server:create_app", "Prefect server (a CLI's own, temporary)"),
    ("prefect.engine", "flow-run process"),
    ("prefect worker start", "Prefect worker"),
    ("soffice.bin", "LibreOffice"),
    ("unoserver", "LibreOffice launcher"),  # its command line names soffice too
    ("soffice", "LibreOffice"),
    ("SIGXFSZ", "thidua CLI under a file-size limit"),  # names thidua_cli.main too
    ("thidua_cli.main", "thidua CLI"),
    ("exec(eval(sys.stdin", "pytest-xdist worker"),
    ("multiprocessing", "race test process"),
    ("postgres", "PostgreSQL"),
    ("chromium", "Chromium"),
    ("mypy", "static checks"),
    ("ruff", "static checks"),
    ("lint-imports", "static checks"),
)


@dataclass
class Seen:
    command: str
    cpu: float


def stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces): utime is [11], stime [12], the
    reaped children's [13] and [14], the start time [19]. OSError when the process is gone."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def command_line(pid: int | str) -> str:
    """The process's command line, its arguments joined by spaces. OSError when the process is gone."""
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().replace(b"\0", b" ").decode(errors="replace")


def own_cpu(fields: list[str]) -> float:
    """The CPU seconds a process has used itself (user and system), from its stat_fields."""
    return (int(fields[11]) + int(fields[12])) / TICKS


def _sample(into: dict[tuple[str, str], Seen], before: set[tuple[str, str]]) -> None:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields, command = stat_fields(entry), command_line(entry)
        except OSError:
            continue
        key = (entry, fields[19])  # pid and start time: a reused pid is another process
        if key in before:
            continue
        seen = into.setdefault(key, Seen(command, 0.0))
        seen.cpu = own_cpu(fields)
        seen.command = command or seen.command


def kind_of(command: str) -> str:
    """The kind of process a command line is (KINDS), else "other"."""
    return next((kind for pattern, kind in KINDS if pattern in command), "other")


def main(command: list[str]) -> int:
    before: dict[tuple[str, str], Seen] = {}
    _sample(before, set())
    seen: dict[tuple[str, str], Seen] = {}
    started = time.monotonic()
    process = subprocess.Popen(command)
    while process.poll() is None:
        _sample(seen, set(before))
        time.sleep(0.25)
    wall = time.monotonic() - started
    cpu: dict[str, float] = {}
    count = Counter[str]()
    for item in seen.values():
        cpu[kind_of(item.command)] = cpu.get(kind_of(item.command), 0.0) + item.cpu
        count[kind_of(item.command)] += 1
    print("\n| kind of process | processes | CPU seconds | share |\n|---|---|---|---|")
    total = sum(cpu.values())
    for kind, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"| {kind} | {count[kind]} | {seconds:,.1f} | {seconds / total:.0%} |")
    print(f"| all | {sum(count.values())} | {total:,.1f} | wall {wall:,.1f} s, {total / wall:.2f} cores busy |")
    return process.returncode


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[1:] if arguments[:1] == ["--"] else arguments))
