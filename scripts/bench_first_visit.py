"""The first student of the day: a fresh server with an empty model store, a link to the Activations page, a digit
drawn with the mouse. Prints the seconds from opening the link to the prediction, and the server's memory with all
of MNIST and the shipped reference model loaded. Exits 1 when the prediction takes longer than the budget.

    python scripts/bench_first_visit.py [--budget-seconds 10]

Needs Playwright (requirements-dev.txt) and Debian's `chromium`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"]
BUDGET_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (resident peak) of a process, in MiB, from /proc/PID/status."""
    figures = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0]) / 1024
    return figures


def start_server(model_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run` on a free port with its own empty model folder; returns the process and its address once
    it answers its health check."""
    port = free_port()
    environment = {**os.environ, "CNNLAB_MODEL_DIR": str(model_dir), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("The server did not answer its health check within 300 s.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-seconds", type=float, default=BUDGET_SECONDS)
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed (Debian package `chromium`).", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="cnnlab-first-visit-"))
    process, url = start_server(work / "models", work / "server.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            opened = time.perf_counter()
            page.goto(f"{url}/activations")
            page.get_by_text("Draw", exact=True).click(timeout=120_000)
            canvas = page.locator("canvas.upper-canvas")
            canvas.wait_for(timeout=120_000)
            box = canvas.bounding_box()
            drawn = time.perf_counter()
            page.mouse.move(box["x"] + 140, box["y"] + 40)
            page.mouse.down()
            for y in (80, 120, 160, 200, 240):
                page.mouse.move(box["x"] + 139, box["y"] + y, steps=3)
            page.mouse.up()
            released = time.perf_counter()
            page.locator('[data-testid="stMain"] h3', has_text="Prediction: 1").wait_for(timeout=120_000)
            answered = time.perf_counter()
            models = sorted(path.name for path in (work / "models").glob("*.zip"))
            browser.close()
        memory = memory_mib(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    total = answered - opened
    print(f"link to Activations opened → canvas ready: {drawn - opened:.1f} s")
    print(f"end of the stroke → 'Prediction: 1' on the page: {answered - released:.2f} s")
    print(f"link opened → drawn digit answered: {total:.1f} s (budget ≤ {arguments.budget_seconds:g} s; "
          f"includes drawing the stroke, {released - drawn:.1f} s)")
    print(f"models in the store after the visit: {models}")
    print(f"server memory with all of MNIST and the reference model loaded: VmRSS {memory['VmRSS']:.0f} MiB, "
          f"peak {memory['VmHWM']:.0f} MiB")
    return 0 if total <= arguments.budget_seconds else 1


if __name__ == "__main__":
    sys.exit(main())
