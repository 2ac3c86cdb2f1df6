#!/usr/bin/env bash
# The whole check: lint, types, the core's import contract, and every test (real Prefect, SMTP, files, HTTP).
# Tests run on THIDUA_TEST_WORKERS pytest-xdist workers (default 2). They share one Prefect server, started by the
# controller (tests/conftest.py); each has its own LibreOffice. Measured from this tree on this 2-core machine on
# 2026-12-02, one run each: pytest 704 s on 2 workers, 739 s on 3, 791 s on 4. More workers keep the cores busier
# (1.60, 1.81, 1.84 on average) but the same tests then take more CPU (1,134 s, 1,344 s, 1,463 s): on two cores
# the processes slow each other down (benchmarks/RESULTS.md).
# One test module per worker at a time, slowest modules first (tests/conftest.py); the 25 slowest tests are listed
# at the end.
# The static checks (33 s of CPU on a fresh clone) run beside the tests, on the CPU the tests leave idle while they
# wait for servers and flow runs; their output follows the tests', and either failing fails the command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false
# pytest keeps its assertion-rewritten test modules only where Python may write bytecode; with
# PYTHONDONTWRITEBYTECODE set (as on this machine) every pytest process rewrote every test module it imported again
# (3.8 s of CPU for one module's run, profiled).
unset PYTHONDONTWRITEBYTECODE
checks_log="$(mktemp)"
trap 'rm -f "$checks_log"' EXIT
(uv run --frozen ruff check . && uv run --frozen mypy && uv run --frozen lint-imports) >"$checks_log" 2>&1 &
checks=$!
tests_status=0
uv run --frozen pytest -n "${THIDUA_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder --durations=25 "$@" \
  || tests_status=$?
checks_status=0
wait "$checks" || checks_status=$?
echo "--- ruff, mypy, lint-imports ---"
cat "$checks_log"
if [ "$checks_status" -ne 0 ]; then
  echo "thidua: the static checks failed (above)" >&2
fi
[ "$tests_status" -eq 0 ] && [ "$checks_status" -eq 0 ]
