"""A whole class on one server, without browsers: every student is a websocket speaking Streamlit's own protocol.

    python scripts/load_class.py [--students 30,100,200] [--duration 60] [--seconds-per-page 5] [--with-training]
                                 [--url http://127.0.0.1:8501] [--seed 0] [--no-media]

Without --url it starts its own server (an empty model store in a temporary folder, which gets the shipped reference
model), as the browser tests do. A warm-up tab first visits every page once, so the class meets a server whose
caches are filled. Then, for each number of students in turn, that many tabs (one coroutine each, see
tests/support/streamlit_protocol.py) arrive over one page's time and go round the model pages: Activations (where
they also press "Random digit"), Prediction, Filters, Evaluation, Watch your digit learn, Home; each stays on a page
about --seconds-per-page (from half to one and a half times that, drawn from a seeded generator). A student starts
no new page after --duration seconds. With --with-training, one more tab keeps a training running meanwhile: it
opens /train?epochs=1&seed=N, presses Train and follows the training as the page asks, then starts the next seed.

A page run is timed from sending its rerun request to the script_finished that ends it; the pictures are then
fetched as a browser would, untimed. Prints p50/p95 per page and overall, errors (runs that did not finish
successfully, missing pages, pictures that failed), exceptions shown, the load client's own CPU time (it shares
the machine with the server), and the resident memory of the server and of its children (the Dask worker
processes) at the end of each level.

What a browser does besides is not played: loading the app's own HTML and JavaScript (once, then cached), and
drawing the page; scripts/load_test.py measures that with Chromium, for a few tabs.

Budgets: p95 of all page runs ≤ 0.3 s with 30 students and ≤ 1.0 s with 100; no errors and no exceptions at any
number of students. Exits 1 when a budget is missed (saying which), 2 when the run itself could not be made.

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab` and
`tests.support`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.server import AppServer, memory_kib  # noqa: E402 - after the path set-up above
from tests.support.streamlit_protocol import PageRun, Tab, fetch_media  # noqa: E402

# The pages a student goes round, in order: address path and title (the paths of streamlit_app.py's st.Page files).
MODEL_PAGES = [("activations", "Activations"), ("prediction", "Prediction"), ("filters", "Filters"),
               ("evaluation", "Evaluation"), ("watch", "Watch your digit learn"), ("", "Home")]
RANDOM_DIGIT = "Random digit"
PRESS_LABEL = f"Activations · {RANDOM_DIGIT}"
OPEN_LABEL = "open the app (Home)"  # a new session's first run
# The report's rows: the first run, then the pages in a student's order, the button press after its page.
ROW_ORDER = [OPEN_LABEL, MODEL_PAGES[0][1], PRESS_LABEL, *[title for _, title in MODEL_PAGES[1:]]]
P95_BUDGET_SECONDS = {30: 0.3, 100: 1.0}  # by number of students; every level must also have no errors
TRAINING_ADDRESS = ("train", "epochs=1&seed={seed}")  # one epoch of all 54,000 learning digits: minutes here
TRAINING_START_SECONDS = 180  # how long the training tab may take to get a training running
TRAINING_SEEDS_TRIED = 10  # seeds a training tab tries when the server has trained one already


@dataclass(frozen=True)
class ClassSettings:
    seconds_per_page: float = 5.0
    duration: float = 60.0  # seconds each number of students is measured
    seed: int = 0
    fetch_pictures: bool = True


@dataclass
class TrainingLog:
    """What the training tab did: when a training was running, and every run of its own."""

    running_since: float | None = None
    intervals: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of trainings that ended
    started: int = 0
    endings: list[str] = field(default_factory=list)  # per training seen to end: "finished", or the page's error
    runs: list[PageRun] = field(default_factory=list)
    problem: str | None = None  # why no training could be kept running

    def seconds_running(self, start: float, end: float) -> float:
        """How long within [start, end] a training was running."""
        spans = self.intervals + ([(self.running_since, end)] if self.running_since is not None else [])
        return sum(max(0.0, min(end, stop) - max(start, begin)) for begin, stop in spans)


@dataclass
class LevelResult:
    """One number of students: every page run by label, and what the server looked like at the end."""

    students: int
    seconds: float
    runs: dict[str, list[PageRun]]
    memory_lines: list[str]
    load_average: float | None = None  # the machine's one-minute load average at the end (other work shows here)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by client, server, descendants, others
    training_seconds: float | None = None  # None: no training was asked for
    training_runs: list[PageRun] = field(default_factory=list)

    def all_runs(self) -> list[PageRun]:
        return [run for runs in self.runs.values() for run in runs]

    def errors(self) -> list[str]:
        return [run.error or "; ".join(run.media_errors) for run in self.all_runs() + self.training_runs
                if not run.ok]

    def exceptions(self) -> list[str]:
        return [text for run in self.all_runs() + self.training_runs for text in run.exceptions]

    def p95(self) -> float | None:
        return percentile([run.seconds for run in self.all_runs() if run.ok], 0.95)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.95 for p95) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def visit(tab: Tab, label: str, request, runs: dict[str, list[PageRun]], settings: ClassSettings) -> PageRun:
    """One timed page run, recorded under `label`, followed by fetching its pictures."""
    run = await request
    if run.finished and run.media_paths and settings.fetch_pictures:
        run.media_errors = await fetch_media(tab.base_url, run.media_paths)
    runs.setdefault(label, []).append(run)
    return run


async def student(number: int, base_url: str, settings: ClassSettings, deadline: float,
                  runs: dict[str, list[PageRun]]) -> Tab | None:
    """One student: arrives within one page's time, opens the app, then goes round the model pages until the
    deadline. Returns the still open tab (the level reads the server's memory before the class leaves)."""
    generator = random.Random(f"{settings.seed}-{number}")

    async def think() -> None:
        await asyncio.sleep(settings.seconds_per_page * generator.uniform(0.5, 1.5))

    await asyncio.sleep(generator.uniform(0, settings.seconds_per_page))
    try:
        tab = await Tab.open(base_url)
    except (OSError, TimeoutError) as error:
        failed = PageRun()
        failed.end(None, f"could not connect: {type(error).__name__} {error}")
        runs.setdefault(OPEN_LABEL, []).append(failed)
        return None
    run = await visit(tab, OPEN_LABEL, tab.run_page(""), runs, settings)
    # A pause is at least half a page's time: the loop ends by the deadline, and by count should the clock stall.
    for step in range(int(2 * settings.duration / settings.seconds_per_page) + 2):
        if run.status is None:  # timed out or disconnected: this tab can no longer tell its runs apart
            break
        await think()
        if time.monotonic() >= deadline:
            break
        address_path, title = MODEL_PAGES[step % len(MODEL_PAGES)]
        run = await visit(tab, title, tab.go_to(address_path), runs, settings)
        if address_path == "activations" and run.status is not None:
            await think()
            run = await visit(tab, PRESS_LABEL, tab.press(RANDOM_DIGIT), runs, settings)
    return tab


async def keep_training(base_url: str, settings: ClassSettings, log: TrainingLog, stop: asyncio.Event) -> None:
    """One tab after another starts a one-epoch training and follows it until it ends, until `stop` is set.

    Each training has a new seed, so the server cannot hand back a model it trained before."""
    seed = settings.seed
    tries = 0
    while not stop.is_set() and tries < TRAINING_SEEDS_TRIED:
        seed += 1
        try:
            tab = await Tab.open(base_url)
        except (OSError, TimeoutError) as error:
            log.problem = f"the training tab could not connect: {type(error).__name__} {error}"
            return
        try:
            address_path, query = TRAINING_ADDRESS
            log.runs.append(await tab.run_page(address_path, query.format(seed=seed)))
            run = await tab.press("Train")
            log.runs.append(run)
            if not tab.auto_reruns:  # the page follows nothing: that seed was trained already, or it failed
                tries += 1
                continue
            tries = 0
            log.started += 1
            log.running_since = time.monotonic()
            while not stop.is_set():
                runs = await tab.follow_auto_reruns()
                log.runs += runs
                lost = [run.error for run in runs if run.status is None]
                if lost:
                    # The tab can no longer follow its training, which goes on in the worker: starting another
                    # beside it would measure two trainings, so the tab stops here.
                    log.problem = (f"the training tab lost its page ({lost[0]}) after "
                                   f"{time.monotonic() - log.running_since:.0f} s of training; no training started "
                                   "after that (the one running went on)")
                    log.intervals.append((log.running_since, time.monotonic()))
                    log.running_since = None
                    return
                if not runs:
                    log.endings.append(tab.last_run.error_boxes[0] if tab.last_run.error_boxes else "finished")
                    break
            log.intervals.append((log.running_since, time.monotonic()))
            log.running_since = None
        finally:
            await tab.close()
    if tries >= TRAINING_SEEDS_TRIED:
        log.problem = f"no new training could be started with {TRAINING_SEEDS_TRIED} seeds in a row"


async def warm_up(base_url: str, settings: ClassSettings) -> dict[str, PageRun]:
    """One tab visits every model page once (pressing Random digit), so that the levels meet filled caches."""
    tab = await Tab.open(base_url)
    runs: dict[str, list[PageRun]] = {}
    try:
        await visit(tab, OPEN_LABEL, tab.run_page(""), runs, settings)
        for address_path, title in MODEL_PAGES:
            await visit(tab, title, tab.go_to(address_path), runs, settings)
            if address_path == "activations":
                await visit(tab, PRESS_LABEL, tab.press(RANDOM_DIGIT), runs, settings)
    finally:
        await tab.close()
    return {label: found[0] for label, found in runs.items()}


def memory_lines(server_pid: int | None) -> list[str]:
    """The resident memory of the server and of each process it started (the Dask nanny, workers, helpers)."""
    if server_pid is None:
        return ["server process unknown: memory not read"]
    try:
        server = psutil.Process(server_pid)
        children = server.children(recursive=True)
        peak = memory_kib(server_pid)["VmHWM"] * 1024
        lines = [f"server (pid {server_pid}): {mib(server.memory_info().rss)} resident, {mib(peak)} at its peak"]
        total = server.memory_info().rss
        for child in children:
            try:
                resident = child.memory_info().rss
                command = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
            total += resident
            lines.append(f"child pid {child.pid} ({describe_process(command)}): {mib(resident)} resident")
        lines.append(f"all together: {mib(total)} resident")
        return lines
    except psutil.Error as error:
        return [f"memory not read: {error}"]


def describe_process(command: str) -> str:
    """A short name for a descendant of the server, from its command line (cnnlab/jobs/cluster.py starts a
    `dask scheduler` and a `dask worker`, whose nanny starts the worker processes that train)."""
    names = {"dask_scheduler": "Dask scheduler", "dask_worker": "Dask nanny (dask worker)",
             "cluster_host": "Dask scheduler and nanny (cnnlab.jobs.cluster_host)",
             "resource_tracker": "multiprocessing resource tracker", "forkserver": "multiprocessing fork server",
             "spawn_main": "Dask worker process"}
    found = next((name for part, name in names.items() if part in command), None)
    if found is None and " -m " in command:
        found = "python -m " + command.split(" -m ", 1)[1].split()[0]
    return found or command[-60:]


def mib(size_bytes: float) -> str:
    return f"{size_bytes / 2**20:,.0f} MiB"


def find_server_pid(url: str) -> int | None:
    """The process listening on the port of `url` on this machine, or None when it cannot be found."""
    port = urlsplit(url).port
    try:
        for connection in psutil.net_connections(kind="tcp"):
            if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port and connection.pid:
                return connection.pid
    except psutil.AccessDenied:
        pass
    return None


async def run_level(base_url: str, students: int, settings: ClassSettings, server_pid: int | None,
                    training: TrainingLog | None) -> LevelResult:
    """`students` students for the level's duration; the server's memory is read before they leave."""
    runs: dict[str, list[PageRun]] = {}
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    training_runs_before = len(training.runs) if training else 0
    tabs = await asyncio.gather(*(student(number, base_url, settings, started + settings.duration, runs)
                                  for number in range(students)))
    ended = time.monotonic()
    memory = memory_lines(server_pid)
    cpu = cpu_used(cpu_before, cpu_seconds(server_pid))
    await asyncio.gather(*(tab.close() for tab in tabs if tab is not None))
    return LevelResult(
        students=students, seconds=ended - started, runs=runs, cpu=cpu,
        memory_lines=memory, load_average=os.getloadavg()[0],
        training_seconds=training.seconds_running(started, ended) if training else None,
        training_runs=training.runs[training_runs_before:] if training else [],
    )


def cpu_seconds(server_pid: int | None) -> dict:
    """CPU seconds used so far by this load client, the server, each of its descendants (by pid), and the whole
    machine (every core's busy time): what the level used is the difference of two of these."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    machine = psutil.cpu_times()
    figures = {"client": usage.ru_utime + usage.ru_stime, "server": 0.0, "descendants": {},
               "machine": machine.user + machine.nice + machine.system + machine.irq + machine.softirq + machine.steal}
    if server_pid is None:
        return figures
    try:
        server = psutil.Process(server_pid)
        figures["server"] = sum(server.cpu_times()[:2])
        for child in server.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                figures["descendants"][child.pid] = sum(child.cpu_times()[:2])
    except psutil.Error:
        pass
    return figures


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """The CPU seconds a level used: by the client, the server, its descendants (the Dask processes that train) and
    everything else on the machine (other people's work shows there)."""
    used = {name: after[name] - before[name] for name in ("client", "server", "machine")}
    used["descendants"] = sum(seconds - before["descendants"].get(pid, 0.0)
                              for pid, seconds in after["descendants"].items())
    used["others"] = max(0.0, used["machine"] - used["client"] - used["server"] - used["descendants"])
    return used


async def run_class(base_url: str, levels: list[int], settings: ClassSettings, server_pid: int | None,
                    with_training: bool, report=print) -> list[LevelResult]:
    """The warm-up, the training (if asked for) and every level in turn; each level is reported as it ends."""
    warm = await warm_up(base_url, settings)
    report("warm-up, one tab: " + ", ".join(f"{label} {describe_seconds(run)}" for label, run in warm.items()))
    problems = [f"{label}: {'; '.join(failure_texts(run))}" for label, run in warm.items() if failure_texts(run)]
    if problems:
        report("  the warm-up saw errors: " + "; ".join(problems))
    training = TrainingLog() if with_training else None
    stop_training = asyncio.Event()
    trainer = None
    if training is not None:
        trainer = asyncio.create_task(keep_training(base_url, settings, training, stop_training))
        waited = time.monotonic()
        while training.running_since is None and not trainer.done():
            if time.monotonic() - waited > TRAINING_START_SECONDS:
                break
            await asyncio.sleep(0.5)
        report(f"training tab: a training running after {time.monotonic() - waited:.1f} s"
               if training.running_since is not None else "training tab: no training could be started")
    results = []
    try:
        for students in levels:
            result = await run_level(base_url, students, settings, server_pid, training)
            report_level(result, report)
            results.append(result)
    finally:
        stop_training.set()
        if trainer is not None:
            await asyncio.wait_for(trainer, timeout=120)
            endings = ", ".join(f"{count} {ending}" for ending, count in Counter(training.endings).items())
            report(f"training tab: {training.started} training(s) started, {len(training.endings)} seen to end"
                   f"{' (' + endings + ')' if endings else ''}{'; ' + training.problem if training.problem else ''}")
    return results


def failure_texts(run: PageRun) -> list[str]:
    """Why a run failed, and the exceptions it showed; empty for a clean run."""
    return ([] if run.ok else [run.error or "; ".join(run.media_errors)]) + run.exceptions


def describe_seconds(run: PageRun) -> str:
    return f"{run.seconds:.2f} s" if run.ok else f"failed ({run.error or run.media_errors})"


def report_level(result: LevelResult, report=print) -> None:
    """The level's table of page times (and the median size of what a run sends), its errors and exceptions,
    memory and budget verdict."""
    training = ("" if result.training_seconds is None
                else f", a training running for {result.training_seconds:.0f} s of them")
    report(f"\n{result.students} students for {result.seconds:.0f} s{training}: {len(result.all_runs()):,} page runs"
           + ("" if result.load_average is None else f"; load average {result.load_average:.1f} at the end"))
    if result.cpu:
        cpu = result.cpu
        report(f"  CPU seconds in the level: server {cpu['server']:.0f}, its Dask processes {cpu['descendants']:.0f}, "
               f"this client {cpu['client']:.0f}, everything else on the machine {cpu['others']:.0f} "
               f"(of {psutil.cpu_count() * result.seconds:.0f} on {psutil.cpu_count()} cores)")
    report(f"  {'page':<34}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}{'exceptions':>12}"
           f"{'KiB/run':>9}")
    rows = [(label, result.runs[label]) for label in ROW_ORDER if label in result.runs]
    for label, runs in [*rows, ("all pages", result.all_runs())]:
        times = [run.seconds for run in runs if run.ok]
        figures = [percentile(times, 0.5), percentile(times, 0.95), max(times, default=None)]
        cells = "".join(f"{figure * 1000:>9.0f}" if figure is not None else f"{'-':>9}" for figure in figures)
        errors = sum(not run.ok for run in runs)
        exceptions = sum(len(run.exceptions) for run in runs)
        kib = percentile([run.received_bytes / 1024 for run in runs], 0.5)
        report(f"  {label:<34}{len(runs):>6,}{cells}{errors:>8}{exceptions:>12}{kib or 0:>9.0f}")
    if result.training_runs:
        training_errors = sum(not run.ok for run in result.training_runs)
        report(f"  training tab: {len(result.training_runs)} runs, {training_errors} errors, "
               f"{sum(len(run.exceptions) for run in result.training_runs)} exceptions")
    for text, count in Counter(result.errors() + result.exceptions()).most_common(8):
        report(f"    {count} × {text[:200]}")
    error_boxes = Counter(text for run in result.all_runs() for text in run.error_boxes)
    if error_boxes:
        report(f"  the pages showed {sum(error_boxes.values())} error box(es) (st.error, not counted as errors):")
        for text, count in error_boxes.most_common(4):
            report(f"    {count} × {text[:200]}")
    for line in result.memory_lines:
        report(f"  memory: {line}")
    missed = missed_budgets(result)
    report("  budgets: " + ("met" if not missed else "MISSED: " + "; ".join(missed)))


def missed_budgets(result: LevelResult) -> list[str]:
    """One sentence per budget this level missed; empty when it met them all."""
    missed = []
    p95 = result.p95()
    budget = P95_BUDGET_SECONDS.get(result.students)
    if budget is not None and (p95 is None or p95 > budget):
        measured = "no page run finished" if p95 is None else f"p95 {p95:.2f} s"
        missed.append(f"{result.students} students: {measured}, budget ≤ {budget:.2f} s")
    if result.errors():
        missed.append(f"{result.students} students: {len(result.errors())} errors, budget 0")
    if result.exceptions():
        missed.append(f"{result.students} students: {len(result.exceptions())} exceptions shown, budget 0")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", default="30,100,200",
                        help="numbers of students, one level after another (default 30,100,200)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each level lasts (default 60)")
    parser.add_argument("--seconds-per-page", type=float, default=5.0,
                        help="a student's average time on a page, ±50 %% (default 5)")
    parser.add_argument("--with-training", action="store_true", help="keep one training running meanwhile")
    parser.add_argument("--url", help="a server already running on this machine; by default the script starts one")
    parser.add_argument("--seed", type=int, default=0, help="seed of the students' pauses and the training seeds")
    parser.add_argument("--no-media", action="store_true", help="do not fetch the pictures the pages show")
    arguments = parser.parse_args(argv)
    try:
        levels = [int(number) for number in arguments.students.split(",")]
    except ValueError:
        parser.error(f"--students takes whole numbers separated by commas, not {arguments.students!r}")
    if min(levels) < 1 or arguments.duration <= 0 or arguments.seconds_per_page <= 0:
        parser.error("--students, --duration and --seconds-per-page must be positive")
    settings = ClassSettings(arguments.seconds_per_page, arguments.duration, arguments.seed, not arguments.no_media)
    try:
        if arguments.url:
            results = asyncio.run(run_class(arguments.url.rstrip("/"), levels, settings,
                                            find_server_pid(arguments.url), arguments.with_training))
        else:
            with (tempfile.TemporaryDirectory(prefix="cnnlab-load-class-") as work,
                  AppServer(Path(work) / "server.log", Path(work) / "models") as server):
                results = asyncio.run(run_class(server.url, levels, settings, server.process.pid,
                                                arguments.with_training))
    except (OSError, RuntimeError, TimeoutError, ValueError) as error:
        print(f"The load test could not run: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    missed = [sentence for result in results for sentence in missed_budgets(result)]
    print("\nall budgets met" if not missed else "\nbudgets missed:\n  " + "\n  ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
