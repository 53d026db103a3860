#!/usr/bin/env bash
# Installs what the tests need, then runs them: the README's test command and what CI runs.
#
# First the quick engine and page tests, then the slow ones (killed workers, long trainings), then the browser
# tests (a real server and Debian's Chromium). Chromium is installed with apt-get when it is missing and this runs
# as root; elsewhere the browser tests skip with a reason, unless CNNLAB_REQUIRE_BROWSER=1 (CI sets it), where a
# missing browser fails the run. Arguments go to every pytest run (e.g. `bash scripts/test.sh -x`).
#
# Every stage runs even when an earlier one failed, so one failure never hides another; the script prints each
# stage's result at the end and exits non-zero if any stage failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests' packages go into the project's own virtual environment (.venv), never into whatever Python is active.
# It sees the packages the machine already has (--system-site-packages), so pip adds only what is missing or pinned
# differently, and a machine that has them all installs nothing. CNNLAB_TEST_PYTHON names another Python to use
# instead (tests/test_test_script.py gives a stand-in).
if [ -n "${CNNLAB_TEST_PYTHON:-}" ]; then
    python=$CNNLAB_TEST_PYTHON
else
    [ -x .venv/bin/python3 ] || python3 -m venv --system-site-packages .venv
    python=.venv/bin/python3
fi
"$python" -m pip install --quiet -r requirements-dev.txt

if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests…"
    apt-get update -qq
    # The emoji font only makes screenshots show the page's emoji as a student sees them.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi

results=()
failed=0
run_stage() {
    local name=$1
    shift
    local started=$SECONDS status=0
    "$python" -m pytest "$@" || status=$?
    results+=("$name: $([ "$status" = 0 ] && echo passed || echo "FAILED (pytest exit $status)") in $((SECONDS - started)) s")
    [ "$status" = 0 ] || failed=1
}

run_stage "quick tests" "$@"
# The slow tests kill workers and time hangs: one at a time, so a busy core does not look like a hung training.
run_stage "slow tests" -n 0 -m slow "$@"
run_stage "browser tests" -n 0 -m browser tests/browser "$@"

echo
echo "Test stages:"
printf '  %s\n' "${results[@]}"
exit "$failed"
