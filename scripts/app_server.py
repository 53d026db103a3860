"""One CNN Lab server for scripts and browser tests: `streamlit run streamlit_app.py` in a child process on a free
port of 127.0.0.1, its output in a log file, its memory as /proc reports it, and the Chromium flags this machine
needs."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"  # screenshots and logs of browser runs
# Every page's address path and its heading, in the sidebar's order (the sidebar names Home "Home").
PAGE_HEADINGS = {"": "CNN Lab", "train": "Train", "filters": "Filters", "activations": "Activations",
                 "prediction": "Prediction", "watch": "Watch your digit learn", "explorer": "How one number is made",
                 "evaluation": "Evaluation", "robustness": "What it tolerates", "patterns": "What a filter looks for",
                 "attack": "Fool the network", "digit_map": "All digits at once", "compare": "Compare two models",
                 "experiments": "The class's experiments", "takeaway": "Code to take away", "share": "Share and keep"}
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which fails here.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVER_START_SECONDS = 300  # generous: a busy 2-core machine can be slow to start Python and Streamlit
PHONE_MAX_WIDTH = 640  # below this, Streamlit's sidebar covers the page instead of sitting beside it


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """Chromium's path; without it, ends the script with a sentence and exit code 2 (the run itself failed)."""
    path = chromium_path()
    if path is None:
        print("Chromium is not installed (Debian package `chromium`).", file=sys.stderr)
        raise SystemExit(2)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """`streamlit run streamlit_app.py` in a child process, its output kept in a log file.

    The server leads a process group of its own, with the Dask workers it starts, so that `stop` can end them all.
    As a context manager (`with AppServer(...) as server:`) it is healthy inside the block and stopped after it.
    """

    def __init__(self, log_path: Path, model_dir: Path, port: int | None = None,
                 settings: dict[str, str] | None = None):
        """model_dir: the server's model store (created when missing). port: a free one unless given, as when a
        server restarts on its predecessor's. settings: environment variables a host would set (a teacher's
        passcode, a training budget)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environment = {
            **os.environ,
            "CNNLAB_MODEL_DIR": str(model_dir),
            "PYTHONUNBUFFERED": "1",
            **(settings or {}),
        }
        # The server starts its own embedded cluster, as on a student's laptop, not the test session's.
        environment.pop("CNNLAB_SCHEDULER", None)
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
            "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self) -> AppServer:
        try:
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exception) -> None:
        self.stop()

    def wait_until_healthy(self, timeout: float = SERVER_START_SECONDS) -> float:
        """Wait until the server answers its health check; returns the seconds that took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"streamlit did not become healthy in {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, whole_group: bool = True, timeout: float = 20) -> int:
        """SIGTERM to the server and its workers, or with `whole_group=False` to the server alone (as a host
        stopping a container does); SIGKILL to them all after `timeout` seconds. Returns the server's exit code."""
        if self.process.poll() is None:
            if whole_group:
                os.killpg(self.process.pid, signal.SIGTERM)
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return self.process.returncode


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (resident peak) of a process, in KiB, from /proc/PID/status."""
    figures = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
    return figures


class Student:
    """One student's browser tab on the app, with the few moves the tests need.

    Navigation between pages goes through the sidebar links, as a student's clicks do: opening an address
    anew would start a new Streamlit session and forget this tab's state.
    """

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self, path: str = "") -> Student:
        self.page.goto(f"{self.base_url}/{path}")
        self.wait_until_idle()
        return self

    def wait_until_idle(self, timeout_ms: int = 120_000) -> None:
        """Connected to the server and no script run in progress (as Streamlit's own e2e tests wait)."""
        self.page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                                    timeout=timeout_ms)
        self.page.wait_for_function(
            """() => { const app = document.querySelector('[data-testid="stApp"]');
                       return app && app.getAttribute('data-test-script-state') === 'notRunning'; }""",
            timeout=timeout_ms,
        )

    def go_to(self, title: str) -> Student:
        """Click a page's link in the sidebar (or the top menu on a phone), then wait for its title."""
        link = self.page.locator('[data-testid="stSidebarNav"] a', has_text=title)
        expand = self.page.locator('[data-testid="stExpandSidebarButton"]')
        if expand.is_visible():
            expand.click()  # a phone's sidebar is folded away after every page switch
        more = self.page.locator('[data-testid="stSidebarNavViewButton"]')
        if not link.is_visible() and more.is_visible() and "more" in more.inner_text().lower():
            more.click()  # Streamlit lists the first ten pages until "View more" is pressed
        link.click()
        self.page.wait_for_selector(f'h1:has-text("{title if title != "Home" else "CNN Lab"}")')
        self.wait_until_idle()
        collapse = self.page.locator('[data-testid="stSidebarCollapseButton"] button')
        if self.page.viewport_size["width"] < PHONE_MAX_WIDTH and collapse.is_visible():
            collapse.click()  # a student on a phone closes the menu to read the page
            self.page.wait_for_timeout(400)  # the sidebar slides away
        return self

    def main_text(self) -> str:
        return self.page.locator('[data-testid="stMain"]').inner_text()

    def assert_no_exception(self) -> None:
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        assert "Traceback" not in self.page.locator('[data-testid="stApp"]').inner_text()

    def wait_for_pictures(self, timeout_ms: int = 30_000) -> None:
        """Every image on the page decoded and every chart drawn, so a screenshot shows what a student sees."""
        self.page.wait_for_function(
            """() => {
                const main = document.querySelector('[data-testid="stMain"]');
                if (!main) return false;
                const images = [...main.querySelectorAll('img')];
                const charts = [...main.querySelectorAll('[data-testid="stVegaLiteChart"]')];
                const skeletons = main.querySelectorAll('[data-testid="stSkeleton"]').length;
                return skeletons === 0 && images.every(image => image.complete && image.naturalWidth > 0)
                    && charts.every(chart => chart.querySelector('canvas, svg'));
            }""",
            timeout=timeout_ms,
        )

    def overflow_pixels(self) -> int:
        """How many pixels the page is wider than the window: a phone must not scroll sideways to see it."""
        return self.page.evaluate(
            "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
            " return main.scrollWidth - main.clientWidth; }"
        )

    def clipped_elements(self) -> list[str]:
        """What on the page a student cannot read whole: any element of the main area that cuts its content off
        or would scroll sideways (scroll width beyond its client width while its overflow is not visible), and any
        that sticks out past the main area's right edge. One line per element: its test id or tag, and its text."""
        return self.page.evaluate(CLIPPED_ELEMENTS_SCRIPT)

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        """The window as a PNG under artifacts/; with `full_page`, the whole page: Streamlit scrolls its main area
        inside the window, so the window is made as tall as that area for the picture, then put back."""
        self.wait_for_pictures()
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        if full_page:
            height = self.page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 12_000))})
            self.page.wait_for_timeout(500)  # charts as wide as their container draw again
            self.wait_for_pictures()
        self.page.screenshot(path=str(path))
        if full_page:
            self.page.set_viewport_size(size)
        return path


CLIPPED_ELEMENTS_SCRIPT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    // The right edge of the page's content: the block container's, less its padding.
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    const right = block.getBoundingClientRect().right - parseFloat(getComputedStyle(block).paddingRight);
    const found = [];
    for (const element of main.querySelectorAll('*')) {
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
        // Only what the page shows counts (not its layout wrappers); Vega's tooltip and the hidden inputs behind
        // sliders and boxes are not content; code scrolls sideways on purpose (wrapped code would read wrong).
        if (!element.closest('[data-testid="stElementContainer"]')
            || element.closest('.vg-tooltip, [data-testid="stCode"]') || element.matches('input')) continue;
        const text = (element.innerText || '').trim();
        const picture = element.matches(
            'img, canvas, svg, [data-testid="stDataFrame"], [data-testid="stVegaLiteChart"]');
        const cuts = (text || picture) && style.overflowX !== 'visible'
            && element.scrollWidth > element.clientWidth + 1;
        const sticksOut = (text || picture) && box.right > right + 1;
        if (!cuts && !sticksOut) continue;
        const holder = element.closest('[data-testid]');
        const name = (holder ? holder.getAttribute('data-testid') : '') + ' ' + element.tagName.toLowerCase();
        found.push(`${name}${sticksOut ? ' sticks out' : ' cut'}: ${(element.innerText || '').slice(0, 60)}`);
    }
    return [...new Set(found)];
}"""
