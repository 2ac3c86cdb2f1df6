"""On-demand benchmarks: `uv run python -m benchmarks [name ...]`; each prints a table and appends it to RESULTS.md."""
