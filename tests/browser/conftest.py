"""Fixtures for tests that use CNN Lab as a student does: a real `streamlit run` server and a real Chromium.

Chromium comes from Debian's `chromium` package (browsers cannot be downloaded here). Without it these tests
skip with a reason, unless CNNLAB_REQUIRE_BROWSER=1 (set by CI), where a skip would hide a broken set-up.
"""

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

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVER_START_SECONDS = 300  # the first page run imports TensorFlow, which is slow on a busy 2-core machine


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """`streamlit run streamlit_app.py` in a child process, its output kept in a log file."""

    def __init__(self, log_path: Path, model_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environment = {
            **os.environ,
            "CNNLAB_MODEL_DIR": str(model_dir),
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
            "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        ]
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_healthy(self, timeout: float = SERVER_START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"streamlit did not become healthy in {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        reason = "Chromium is not installed (apt-get install -y chromium); browser tests need it."
        if os.environ.get("CNNLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def server_model_directory(tmp_path_factory) -> Path:
    """The browser session's server keeps its models here (empty at the start)."""
    return tmp_path_factory.mktemp("server_models")


@pytest.fixture(scope="session")
def app_server(server_model_directory, chromium_executable):
    """One server for the whole browser session, with its own empty model store (which the server fills with the
    shipped reference model on its first visit)."""
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(ARTIFACTS / "server.log", server_model_directory)
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item, so a fixture can tell after the test whether it failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_page(browser, request):
    """Opens pages in fresh browser contexts (separate Streamlit sessions); closes them after the test, with a
    screenshot of each in artifacts/ when the test failed."""
    contexts = []

    def open_page(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{number}.png"))
        context.close()


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
        if not link.is_visible():
            self.page.locator('[data-testid="stExpandSidebarButton"]').click()
        link.click()
        self.page.wait_for_selector(f'h1:has-text("{title if title != "Home" else "CNN Lab"}")')
        self.wait_until_idle()
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

    def screenshot(self, name: str) -> Path:
        self.wait_for_pictures()
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def student(new_page, app_server):
    """A fresh student (own browser context, so own Streamlit session) at desktop size."""

    def make(width: int = 1280, height: int = 800) -> Student:
        return Student(new_page(width, height), app_server.url)

    return make
