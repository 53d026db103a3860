"""Fixtures for tests that use CNN Lab as a student does: a real `streamlit run` server and a real Chromium.

Chromium comes from Debian's `chromium` package (browsers cannot be downloaded here). Without it these tests
skip with a reason, unless CNNLAB_REQUIRE_BROWSER=1 (set by CI), where a skip would hide a broken set-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.chromium import CHROMIUM_FLAGS, chromium_path
from tests.support.server import ARTIFACTS, AppServer
from tests.support.student import Student


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


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


@pytest.fixture
def student(new_page, app_server):
    """A fresh student (own browser context, so own Streamlit session) at desktop size."""

    def make(width: int = 1280, height: int = 800) -> Student:
        return Student(new_page(width, height), app_server.url)

    return make
