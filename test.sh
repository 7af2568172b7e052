#!/usr/bin/env bash
# The README's second command: install everything the tests need, lint, run the whole suite.
# Set KABINET_TEST_DATABASE_URL=postgresql+psycopg://… to run it against PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
if ! [ -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
if ! command -v pdftotext >/dev/null; then
  echo "installing poppler-utils (pdftotext reads the receipts' PDFs in the tests)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils) >/dev/null
fi
if ! [ -f .cache/node_modules/axe-core/axe.min.js ]; then
  npm install --silent --no-audit --no-fund --prefix .cache axe-core@4.14.1 >/dev/null
fi
.venv/bin/ruff check kabinet tests bench
.venv/bin/mypy  # the package's types ([tool.mypy] in pyproject.toml)
exec .venv/bin/pytest "$@"
