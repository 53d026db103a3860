"""Measure what one CNN Lab server needs, as a student uses it, and check that a restart keeps the trained model.

Starts `streamlit run streamlit_app.py` (all of bundled MNIST) with a fresh model folder, and drives it with a real
Chromium: Home and Filters on the shipped reference model, then a training of the default network with another
seed (3 epochs of 54,000 images, through a settings link and the Train button), then Activations and Prediction. Reads
the server's resident memory from /proc (VmRSS now, VmHWM the peak) along the way, and training throughput from
the saved model and the server's CPU time. Then opens more browser sessions to see what each one adds, stops the
server with SIGTERM, starts it again on the same model folder and checks that the Filters page shows the model
(with "Test accuracy" in the sidebar) without anyone pressing Train.

    python3 scripts/measure_memory.py [--budget-mb 1500] [--extra-sessions 10] [--json results.json]

Prints the figures; exits 1 if the peak memory is above the budget or the restart lost the model, 2 if the run
itself failed. Needs Linux (/proc), Playwright and Debian's `chromium`.
Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab` and
`tests.support`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.chromium import CHROMIUM_FLAGS, chromium_path  # noqa: E402 - after the path set-up above
from tests.support.server import AppServer, memory_kib  # noqa: E402

# Community Cloud guarantees an app 690 MB and lets it grow to about 2.7 GB; the server and its embedded cluster
# share that. A full-size training with a class on the pages must stay within 1.5 GB, which leaves room for uploads
# and for a second tab's training to start.
DEFAULT_BUDGET_MB = 1500
MIB = 2**20 / 10**6  # megabytes in a MiB: the readings are in MiB, the budget in MB
START_SECONDS = 600  # the first page run imports TensorFlow, which takes minutes on a busy 2-core machine
TRAIN_SECONDS = 3600  # the default model on 54,000 images takes minutes on 2 cores, more when they are busy
TRAINED_SEED = 1  # the shipped model has seed 0; another seed makes the server train
PAGE_SECONDS = 300
SAMPLE_INTERVAL = 0.25  # seconds between memory readings
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_pids(pid: int) -> list[int]:
    """The server's child processes: the embedded Dask cluster's workers (where trainings run)."""
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def workers_kib(pid: int) -> int:
    """Resident memory of all the server's worker processes together, in KiB."""
    total = 0
    for child in worker_pids(pid):
        try:
            total += memory_kib(child)["VmRSS"]
        except (OSError, KeyError):
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, in seconds (all its threads)."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Server(AppServer):
    """A CNN Lab server with a thread that keeps the highest VmRSS it, and its workers together, have reached."""

    def __init__(self, log_path: Path, model_dir: Path, port: int | None = None):
        super().__init__(log_path, model_dir, port)
        self.highest_rss = 0
        self.highest_workers_rss = 0
        self._stop_sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop_sampling.wait(SAMPLE_INTERVAL):
            try:
                self.highest_rss = max(self.highest_rss, memory_kib(self.process.pid)["VmRSS"])
                self.highest_workers_rss = max(self.highest_workers_rss, workers_kib(self.process.pid))
            except (OSError, KeyError):
                return

    def memory(self) -> dict[str, int]:
        return memory_kib(self.process.pid)

    def stop(self, whole_group: bool = False, timeout: float = 60) -> int:
        """SIGTERM to the server alone, as a host stopping a container does; returns the exit code."""
        self._stop_sampling.set()
        return super().stop(whole_group, timeout)


def mib(kib: int) -> float:
    return kib / 1024


def open_page(browser_context, url: str, wait_for_text: str, timeout_seconds: float = PAGE_SECONDS):
    """Open `url` in a new tab and wait until `wait_for_text` is on it; returns the page."""
    page = browser_context.new_page()
    page.goto(url, timeout=timeout_seconds * 1000)
    page.get_by_text(wait_for_text).first.wait_for(timeout=timeout_seconds * 1000)
    return page


def sidebar_has(page, text: str, timeout_seconds: float = 60) -> bool:
    try:
        page.get_by_test_id("stSidebar").get_by_text(text).first.wait_for(timeout=timeout_seconds * 1000)
        return True
    except Exception:  # noqa: BLE001 - Playwright's timeout: the text never appeared
        return False


def stored_training(model_dir: Path, seed: int) -> dict:
    """The metadata of the model with `seed` that the server saved: settings, image counts, seconds."""
    for path in sorted(model_dir.glob("*.zip")):
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
        if metadata["config"]["seed"] == seed:
            return metadata
    raise RuntimeError(f"No saved model with seed {seed} in {model_dir}.")


def measure(budget_mb: float, extra_sessions: int) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise RuntimeError("Chromium is not installed (Debian package `chromium`).")
    work = Path(tempfile.mkdtemp(prefix="cnnlab-measure-"))
    model_dir = work / "models"
    figures: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "budget_mb": budget_mb,
        "data": "bundled MNIST (70,000 digits)",
    }
    print(f"Working in {work}; server logs are kept there.", flush=True)
    server = Server(work / "server-1.log", model_dir)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            figures["start_seconds"] = round(server.wait_until_healthy(START_SECONDS), 1)
            figures["idle_mib"] = round(mib(server.memory()["VmRSS"]), 1)
            student = browser.new_context()
            home = open_page(student, f"{server.url}/", "convolutional neural network")
            figures["home_shows_shipped_model"] = sidebar_has(home, "Test accuracy")
            figures["home_mib"] = round(mib(server.memory()["VmRSS"]), 1)
            print(f"Home open (full MNIST loaded, shipped model in use): {figures['home_mib']} MiB", flush=True)
            open_page(student, f"{server.url}/filters", "learnt parameters")
            figures["shipped_model_mib"] = round(mib(server.memory()["VmRSS"]), 1)

            train = open_page(student, f"{server.url}/train?seed={TRAINED_SEED}", "learnt parameters")
            processes = [server.process.pid, *worker_pids(server.process.pid)]
            cpu_before, clock_before = sum(map(cpu_seconds, processes)), time.monotonic()
            train.get_by_role("button", name="Train", exact=True).click()
            train.get_by_text("Time taken").first.wait_for(timeout=TRAIN_SECONDS * 1000)
            cpu_used = sum(map(cpu_seconds, processes)) - cpu_before
            wall = time.monotonic() - clock_before
            figures["after_training_mib"] = round(mib(server.memory()["VmRSS"]), 1)
            figures["workers_after_training_mib"] = round(mib(workers_kib(server.process.pid)), 1)
            training = stored_training(model_dir, TRAINED_SEED)
            images_seen = training["train_images"] * training["config"]["epochs"]
            figures["training"] = {
                "dataset": training["dataset_name"],
                "train_images": training["train_images"],
                "epochs": training["config"]["epochs"],
                "training_seconds": round(training["seconds"], 1),
                "click_to_result_seconds": round(wall, 1),
                "images_per_second": round(images_seen / training["seconds"], 1),
                "cores_busy": round(cpu_used / wall, 2),
                # Per core: images over the CPU time the server and its workers used while training.
                "images_per_cpu_second": round(images_seen / cpu_used, 1),
                "test_accuracy": round(training["test_accuracy"], 4),
            }
            print(f"Trained: {figures['training']}", flush=True)

            open_page(student, f"{server.url}/activations", "Prediction:")
            open_page(student, f"{server.url}/prediction", "Runner-up")
            time.sleep(10)  # let garbage collection and TensorFlow's allocator settle
            memory = server.memory()
            figures["settled_mib"] = round(mib(memory["VmRSS"]), 1)
            figures["peak_mib"] = round(mib(max(memory["VmHWM"], server.highest_rss)), 1)
            print(f"One student: settled {figures['settled_mib']} MiB, peak {figures['peak_mib']} MiB", flush=True)

            if extra_sessions:
                # Each new browser context is a new Streamlit session (its own session state and script runs).
                before = server.memory()["VmRSS"]
                contexts = []
                for _ in range(extra_sessions):
                    context = browser.new_context()
                    open_page(context, f"{server.url}/activations", "Prediction:")
                    open_page(context, f"{server.url}/prediction", "Runner-up")
                    contexts.append(context)
                time.sleep(10)
                memory = server.memory()
                figures["extra_sessions"] = extra_sessions
                figures["with_extra_sessions_mib"] = round(mib(memory["VmRSS"]), 1)
                figures["per_session_mib"] = round(mib(memory["VmRSS"] - before) / extra_sessions, 1)
                figures["peak_mib"] = round(mib(max(memory["VmHWM"], server.highest_rss)), 1)
                figures["workers_with_extra_sessions_mib"] = round(mib(workers_kib(server.process.pid)), 1)
                for context in contexts:
                    context.close()
            student.close()

            figures["workers_peak_mib"] = round(mib(server.highest_workers_rss), 1)
            figures["total_peak_mib"] = round(figures["peak_mib"] + figures["workers_peak_mib"], 1)
            figures["sigterm_exit_code"] = server.stop()
            figures["files_after_stop"] = sorted(path.name for path in model_dir.iterdir())

            # The restart check: same model folder, a new process, nobody presses Train.
            server = Server(work / "server-2.log", model_dir, port=server.port)
            server.wait_until_healthy(START_SECONDS)
            returning = browser.new_context()
            page = open_page(returning, f"{server.url}/filters", "learnt parameters")
            figures["restart_filters_shown"] = True
            figures["restart_sidebar_test_accuracy"] = sidebar_has(page, "Test accuracy")
            figures["restart_train_button_shown"] = page.get_by_text("Train the default model").count() > 0
            figures["restart_files"] = sorted(path.name for path in model_dir.iterdir())
            figures["restart_settled_mib"] = round(mib(server.memory()["VmRSS"]), 1)
            returning.close()
        finally:
            browser.close()
            if server.process.poll() is None:
                server.stop()
    figures["work_folder"] = str(work)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-mb", type=float, default=DEFAULT_BUDGET_MB,
                        help="fail when the server's and its children's peak resident memory together exceed this "
                             "many MB (10^6 bytes)")
    parser.add_argument("--extra-sessions", type=int, default=10,
                        help="more browser sessions, to measure what each one costs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()
    # Stopped from outside, the script still stops its server and browser (the `finally` blocks run).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(3))
    try:
        figures = measure(arguments.budget_mb, arguments.extra_sessions)
    except Exception as error:  # noqa: BLE001 - a failed run is reported as such, not as a budget miss
        print(f"The measurement did not complete: {error}", file=sys.stderr)
        return 2
    print(json.dumps(figures, indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(figures, indent=2) + "\n")
    problems = []
    if figures["total_peak_mib"] * MIB > arguments.budget_mb:
        problems.append(f"the server's and its workers' peaks ({figures['total_peak_mib']} MiB together) are above "
                        f"the budget of {arguments.budget_mb:g} MB")
    if not figures["restart_sidebar_test_accuracy"] or figures["restart_train_button_shown"]:
        problems.append("after the restart the Filters page did not show the saved model in the sidebar")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
