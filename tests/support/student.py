"""One student's browser tab on a running CNN Lab server, driven through Playwright: page switches through the
sidebar, waits for Streamlit to be idle and for pictures to be drawn, screenshots, and what a student cannot read."""

from __future__ import annotations

from pathlib import Path

from cnnlab.app.page_list import PAGES
from tests.support.server import ARTIFACTS

# Every page's address path and its heading, in the sidebar's order (the sidebar names Home "Home").
PAGE_HEADINGS = {page.url_path: page.shown_heading for page in PAGES}
PHONE_MAX_WIDTH = 640  # below this, Streamlit's sidebar covers the page instead of sitting beside it
TRAINING_TIMEOUT_MS = 300_000  # a test's training of 1,000–2,000 images takes seconds on 2 cores; CI machines vary


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

    def pictures(self) -> dict[str, dict]:
        """Every picture of the main area by its alt text: {"natural": its own width in pixels, "shown": its width
        on the page in CSS pixels, "rendering": its computed image-rendering}."""
        return self.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMain"] img')].map(image =>
                [image.alt, {natural: image.naturalWidth, shown: image.getBoundingClientRect().width,
                             rendering: getComputedStyle(image).imageRendering}]))"""
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
