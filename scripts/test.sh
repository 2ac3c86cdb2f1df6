#!/usr/bin/env bash
# The whole check: lint, types, the core's import contract, then every test (real Prefect, SMTP, files, HTTP).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/bootstrap.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false
uv run --frozen ruff check .
uv run --frozen mypy
uv run --frozen lint-imports
uv run --frozen pytest "$@"
