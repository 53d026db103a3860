"""How long the server spends on one page run once it is warm: every page that shows a model, one tab, no load.

    python scripts/bench_page_runs.py [--runs 15] [--budget-ms 30]

Starts a fresh server (an empty model store, which gets the shipped reference model), opens one tab speaking
Streamlit's own protocol (tests/support/streamlit_protocol.py), presses "Random digit" on Activations so every page has
a digit, and visits every page twice to warm the caches. Then, for each page that shows a model, it asks for the
same page `--runs` times, as a click that changes nothing would. The server's time for each run is what its entry
point records ($CNNLAB_RUN_LOG, see cnnlab/app/run_times.py); the tab's own time from its request to the server's
script_finished is printed beside it. Prints the median and p95 per page and exits non-zero when any page's median
server time is over the budget (30 ms). Then it presses "Random digit" `--runs` times and prints the server's CPU
time per new digit: what a student's first look at a digit costs, the work a class arriving at once piles up. Then
prints the web server's resident memory, every page visited (the
teacher's page too), against its budget of 450 MB, and exits non-zero when it is over.

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab` and
`tests.support`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.budgets import budget_exit_code  # noqa: E402
from tests.support.server import ARTIFACTS, AppServer, memory_kib  # noqa: E402 - after the path set-up above
from tests.support.streamlit_protocol import Tab  # noqa: E402

BUDGET_MILLISECONDS = 30.0
MEMORY_BUDGET_MB = 450.0  # Community Cloud guarantees 690 MB, which the training worker needs most of


def model_pages() -> list[str]:
    """The address paths of every page that shows a model (all but those the entry point runs without one)."""
    from cnnlab.app.page_list import PAGES

    return [page.url_path for page in PAGES if page.needs_model]


def every_page() -> list[str]:
    return [path.stem for path in sorted((ROOT / "app_pages").glob("*.py"))]


async def measure(url: str, pages: list[str], runs: int, log: Path, server_pid: int) -> tuple[dict, dict, float]:
    """(page → round-trip seconds, page → the server's own seconds) of `runs` runs of each page, once warm, and the
    server's CPU seconds per new digit: `runs` presses of Activations' "Random digit"."""
    tab = await Tab.open(url)
    try:
        await tab.run_page("activations")
        pressed = await tab.press("Random digit")
        if not pressed.ok:
            raise SystemExit(f"Random digit could not be pressed: {pressed.error}")
        for _ in range(2):
            for page in [*pages, *(page for page in every_page() if page not in pages and page != "home")]:
                run = await tab.go_to(page)
                if not run.ok or run.exceptions:
                    raise SystemExit(f"/{page} failed while warming up: {run.error or run.exceptions}")
        seconds = {}
        measured_from = log.stat().st_size
        for page in pages:
            await tab.go_to(page)
            seconds[page] = []
            for _ in range(runs):
                run = await tab.go_to(page)
                if not run.ok:
                    raise SystemExit(f"/{page} failed: {run.error}")
                seconds[page].append(run.seconds)
        server = {}
        for line in log.read_text()[measured_from:].splitlines():
            page, duration = line.split()
            server.setdefault(page, []).append(float(duration))
        # The button reruns only the page's fragment, which the entry point's run log does not see: the server's own
        # CPU time is read instead, which also counts sending the new pictures.
        await tab.go_to("activations")
        process = psutil.Process(server_pid)
        cpu_before = sum(process.cpu_times()[:2])
        for _ in range(runs):
            run = await tab.press("Random digit")
            if not run.ok:
                raise SystemExit(f"Random digit failed: {run.error}")
        return seconds, server, (sum(process.cpu_times()[:2]) - cpu_before) / runs
    finally:
        await tab.close()


def milliseconds(seconds: list[float]) -> tuple[float, float]:
    """(median, p95) of durations in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each page measured (default 15)")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MILLISECONDS, help="largest median allowed")
    arguments = parser.parse_args()
    ARTIFACTS.mkdir(exist_ok=True)
    pages = model_pages()
    folder = Path(tempfile.mkdtemp(prefix="cnnlab-bench-"))
    log = folder / "runs.txt"
    log.touch()
    settings = {"CNNLAB_RUN_LOG": str(log), "CNNLAB_TEACHER_PASSCODE": "bench"}  # so every page is there
    with AppServer(ARTIFACTS / "bench-page-runs.log", folder / "models", settings=settings) as app:
        round_trips, server, new_digit = asyncio.run(measure(app.url, pages, arguments.runs, log, app.process.pid))
        memory = memory_kib(app.process.pid)
    over = []
    print(f"{'page':<14} {'server median':>14} {'p95':>8} {'round trip median':>18}   (one tab, warm)")
    for page, times in round_trips.items():
        median, p95 = milliseconds(server[page])
        print(f"/{page:<13} {median:11.1f} ms {p95:5.1f} ms {milliseconds(times)[0]:15.1f} ms")
        if median > arguments.budget_ms:
            over.append(f"/{page}: median server time {median:.1f} ms > {arguments.budget_ms:.0f} ms")
    print(f"a new digit on /activations: {new_digit * 1000:.1f} ms of the server's CPU per press of Random digit "
          "(its pictures, chart and layer outputs made, and sent)")
    resident, peak = memory["VmRSS"] / 1024, memory["VmHWM"] / 1024
    print(f"web server after every page: {resident * 1.048576:.0f} MB resident ({resident:.0f} MiB), peak "
          f"{peak * 1.048576:.0f} MB (budget {MEMORY_BUDGET_MB:.0f} MB)")
    if max(resident, peak) * 1.048576 > MEMORY_BUDGET_MB:
        over.append(f"web server memory {max(resident, peak) * 1.048576:.0f} MB > {MEMORY_BUDGET_MB:.0f} MB")
    return budget_exit_code(over)


if __name__ == "__main__":
    sys.exit(main())
