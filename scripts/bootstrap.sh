#!/usr/bin/env bash
# Installs everything thidua needs from the project's own files, on a machine that has only Python 3.11,
# pip and apt: uv (through pip when missing), the locked environment (uv.lock), and Debian's LibreOffice
# Writer, poppler-utils and Liberation 2 fonts, which turn reports into PDF and read PDFs back, and Debian's
# PostgreSQL, which tests start as a throwaway cluster for a district's shared ledger and Prefect server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi

# apt_install WHAT WHY PACKAGE...: Debian packages, as root or through sudo; without either, say what is skipped.
apt_install() {
  local what="$1" why="$2"; shift 2
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="-"; fi
  if [ "$sudo" != "-" ] && command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "thidua: cannot install $what here (no apt or no root): $why" >&2
  fi
}

# fonts-liberation2, not fonts-liberation (1.07): only version 2 has ư, ơ and the stacked tones, which the older
# one leaves to other fonts' fallback glyphs in the PDF and to boxes in the charts.
# python3-uno gives Debian's /usr/bin/python3 LibreOffice's `uno` module, which unoserver's server needs to keep
# one LibreOffice running for all conversions (connectors/pdf.py); our virtualenv's Python cannot import it.
# Without it, every conversion starts LibreOffice anew (seconds more per report).
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
    || [ ! -d /usr/share/fonts/truetype/liberation2 ] || ! /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then
  apt_install "LibreOffice/poppler" "reports stay DOCX, PDF is skipped (or slower, one LibreOffice per file)." \
    libreoffice-writer-nogui poppler-utils fonts-liberation2 python3-uno
fi

# Headless Chromium, for the screenshot of the Prefect UI that the real-server test keeps (tests/artifacts/).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt_install "Chromium" "the Prefect UI screenshot test is skipped." chromium
fi

# PostgreSQL's server binaries, for a district's shared ledger and Prefect server; the tests do not use Debian's
# own cluster but start a throwaway one in a temporary directory (tests/postgres.py).
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  apt_install "PostgreSQL" "the PostgreSQL ledger and server tests skip." postgresql
fi

# Bytecode compiled once, here: every process imports Prefect anew (each CLI call, flow-run process, server, test
# worker), and where the environment sets PYTHONDONTWRITEBYTECODE nothing caches it, so each of them compiled Prefect's
# sources and ours again (measured: a `thidua report` preview took 34 s of CPU without bytecode, 16 s with it).
# uv compiles the installed packages; the project's own modules are an editable install, compiled by compileall.
uv sync --frozen --quiet --compile-bytecode
uv run --frozen python -m compileall -q -j 0 thidua thidua_cli connectors flows emulator sample_data benchmarks tests \
  >/dev/null
