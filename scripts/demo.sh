#!/usr/bin/env bash
# The main job on the embedded default: the seed school's whole 2024 on sample data, into ./out (or $1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/bootstrap.sh
exec uv run --frozen thidua demo --out "${1:-out}"
