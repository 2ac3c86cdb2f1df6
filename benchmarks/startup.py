"""Start-up of a CLI or flow-run process: the tree before heavy imports were deferred (the baseline) against this one.

Every test that starts `thidua`, and every flow run a Prefect process worker starts, is a fresh Python paying for
what it imports. The baseline tree (`BASELINE`, extracted with `git archive`) and this one run the same commands
`rounds` times, interleaved, so load from the rest of the machine falls on both alike; each cell is the median of
the rounds: wall seconds, and user CPU seconds of the child (`RUSAGE_CHILDREN`). Each tree is run once untimed
first, so bytecode is compiled before timing.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The last commit whose modules imported matplotlib, openpyxl, pyHanko and the Google clients at their top.
BASELINE = "a086802"
COMMANDS = {
    "python -c 'import thidua_cli.main'": ["-c", "import thidua_cli.main"],
    "thidua check examples/le-anh-xuan-2024/plan.yaml": ["-m", "thidua_cli.main", "check",
                                                         "examples/le-anh-xuan-2024/plan.yaml"],
    "python -c 'import flows.deadline'": ["-c", "import flows.deadline"],
}


def _once(args: list[str], tree: Path) -> tuple[float, float]:
    """Wall and user CPU seconds of one fresh Python running `args` in `tree` (its modules come first on the path:
    `-c` and `-m` put the working directory at the front of sys.path)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=tree, check=True, capture_output=True, timeout=900)
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def run(rounds: int = 3) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="thidua-bench-startup-") as folder:
        baseline = Path(folder)
        archive = subprocess.run(["git", "archive", BASELINE], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        trees = {"before": baseline, "after": ROOT}
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for label, args in COMMANDS.items():
            for tree in trees.values():
                _once(args, tree)  # compile bytecode, warm the file cache
            for _ in range(rounds):
                for name, tree in trees.items():
                    times.setdefault((label, name), []).append(_once(args, tree))
    rows: list[dict[str, Any]] = []
    for label in COMMANDS:
        before_wall = statistics.median(w for w, _ in times[(label, "before")])
        for name in trees:
            wall = statistics.median(w for w, _ in times[(label, name)])
            user = statistics.median(u for _, u in times[(label, name)])
            rows.append({"benchmark": f"start-up: {label} ({name})", "rounds": rounds, "wall_seconds": wall,
                         "user_cpu_seconds": user, "ratio_to_baseline": wall / before_wall})
    return rows
