#!/usr/bin/env bash
# Installs what the tests need, then runs them. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet -r requirements-dev.txt

python3 -m pytest "$@"
