"""Many students at once: concurrent browser sessions drawing digits on one server while a training runs.

    python scripts/load_test.py [--sessions 10] [--strokes 6] [--url http://127.0.0.1:8501]

Without --url it starts its own server (with an empty model store in a temporary folder, which gets the shipped
reference model; on a server without one it trains the default model first, through the page). Then one tab
starts a second training (5 epochs of all 60,000 training digits), and while it runs every session draws digits
on the Activations page. For each stroke it times the moment the mouse is released to the moment the page shows
the new 28 × 28 input and a prediction.

Prints p50/p95 of those times, the number of strokes answered, errors seen on any page, and the server's
memory (resident set now and at its peak). Exits non-zero when a session missed a prediction or saw an error.
Needs Debian's Chromium (`apt-get install chromium`) and Playwright (requirements-dev.txt).
Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab` and
`tests.support`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.chromium import CHROMIUM_FLAGS, chromium_path  # noqa: E402 - after the path set-up above
from tests.support.server import AppServer, memory_kib  # noqa: E402

ANSWER_TIMEOUT_MS = 60_000
# Ten tabs opening the app at the same moment load Streamlit's front end in ten Chromium renderers on the server's
# own cores, beside the training: that load is not what this test times, so it may take minutes.
PAGE_LOAD_TIMEOUT_MS = 300_000
IDLE_SCRIPT = """() => { const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'; }"""
SEEN_IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'


def stroke_points(number: int) -> list[tuple[float, float]]:
    """A different digit-like stroke each time, in canvas pixels: alternately a "1" and a "0" of varying size."""
    size = 60 + 12 * (number % 5)
    if number % 2 == 0:
        return [(140 + number % 3 * 10, 140 - size), (140, 140), (140 - number % 3 * 5, 140 + size)]
    return [(140 + 0.7 * size * math.sin(turn), 140 - size * math.cos(turn))
            for turn in (step / 20 * 2 * math.pi for step in range(22))]


async def wait_idle(page) -> None:
    await page.wait_for_function(IDLE_SCRIPT, timeout=ANSWER_TIMEOUT_MS)


async def errors_on(page) -> list[str]:
    texts = []
    for selector in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        locator = page.locator(selector)
        texts += [await locator.nth(index).inner_text() for index in range(await locator.count())]
    return texts


async def ensure_default_model(browser, url: str) -> None:
    """Train the default model through the page unless the server already has one."""
    page = await browser.new_page()
    await page.goto(f"{url}/filters")
    await wait_idle(page)
    button = page.get_by_role("button", name="Train the default model")
    if await button.count():
        print("training the default model first…", flush=True)
        await button.click()
    await page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=600_000)
    await page.close()


async def start_background_training(browser, url: str):
    """One tab starts a training the drawing students must not be slowed to a halt by."""
    page = await browser.new_page()
    await page.goto(f"{url}/train")
    await wait_idle(page)
    thumb = page.locator('[data-testid="stSlider"]', has_text="Epochs").locator('input[type="range"]')
    await thumb.focus()
    await thumb.press("Home")
    for _ in range(4):  # 5 epochs: long enough to overlap every session's drawing
        await thumb.press("ArrowRight")
    await wait_idle(page)
    await page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).click()
    await page.locator('[data-testid="stMain"] [data-testid="stProgress"]').wait_for(timeout=ANSWER_TIMEOUT_MS)
    return page


async def student_session(browser, url: str, strokes: int, timings: list[float], errors: list[str]) -> int:
    """One student drawing `strokes` digits; returns how many got their prediction."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    answered = 0
    try:
        await page.goto(f"{url}/activations", timeout=PAGE_LOAD_TIMEOUT_MS)
        await wait_idle(page)
        await page.get_by_text("Draw", exact=True).click()
        canvas = page.locator("canvas.upper-canvas")
        await canvas.wait_for(timeout=ANSWER_TIMEOUT_MS)
        await wait_idle(page)
        for number in range(strokes):
            if number:
                await canvas.hover()
                await page.get_by_role("button", name="Reset canvas & history").click()
                await page.locator(SEEN_IMAGE).first.wait_for(state="detached", timeout=ANSWER_TIMEOUT_MS)
                await wait_idle(page)
            box = await canvas.bounding_box()
            points = stroke_points(number)
            await page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
            await page.mouse.down()
            for x, y in points[1:]:
                await page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
            released = time.perf_counter()
            await page.mouse.up()
            await page.locator('[data-testid="stMain"] h3', has_text="Prediction:").first.wait_for(
                timeout=ANSWER_TIMEOUT_MS)
            timings.append(time.perf_counter() - released)
            answered += 1
        errors += await errors_on(page)
    except Exception as error:  # noqa: BLE001 - a failed session is a finding to report, not a crash
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        await context.close()
    return answered


async def run(url: str, sessions: int, strokes: int, server_pid: int | None) -> int:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        await ensure_default_model(browser, url)
        trainer = await start_background_training(browser, url)
        timings: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        answered = await asyncio.gather(*(student_session(browser, url, strokes, timings, errors)
                                          for _ in range(sessions)))
        elapsed = time.perf_counter() - started
        still_training = await trainer.locator('[data-testid="stMain"] [data-testid="stProgress"]').count() > 0
        errors += await errors_on(trainer)
        await browser.close()

    expected = sessions * strokes
    print(f"{sessions} sessions × {strokes} strokes in {elapsed:.1f} s"
          f"{' (the training was still running at the end)' if still_training else ''}")
    print(f"  answered: {sum(answered)} of {expected}")
    if timings:
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
        print(f"  end of stroke → prediction on the page: p50 {statistics.median(timings) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")
    if server_pid is not None:
        memory = memory_kib(server_pid)
        print(f"  server memory: {memory['VmRSS'] / 1024:.0f} MiB resident now, "
              f"{memory['VmHWM'] / 1024:.0f} MiB at its peak")
    print(f"  errors: {len(errors)}")
    for error in errors[:10]:
        print(f"    {error[:300]}")
    return 0 if sum(answered) == expected and not errors else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions (default 10)")
    parser.add_argument("--strokes", type=int, default=6, help="digits each session draws (default 6)")
    parser.add_argument("--url", help="an app already running; by default the script starts its own")
    arguments = parser.parse_args(argv)
    if chromium_path() is None:
        raise SystemExit("Chromium is not installed (apt-get install -y chromium).")
    if arguments.url:
        return asyncio.run(run(arguments.url, arguments.sessions, arguments.strokes, None))
    with (tempfile.TemporaryDirectory(prefix="cnnlab-load-test-") as work,
          AppServer(Path(work) / "server.log", Path(work) / "models") as server):
        return asyncio.run(run(server.url, arguments.sessions, arguments.strokes, server.process.pid))


if __name__ == "__main__":
    sys.exit(main())
