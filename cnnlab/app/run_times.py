"""How long the server spends on each page run: the figures a host or teacher reads to know whether the server
keeps up, and what scripts/bench_page_runs.py checks against its budget.

The entry point times every full run of a page (fragments' own reruns are not page runs). The latest RUNS_KEPT
are kept per server; with $CNNLAB_RUN_LOG set, each is also appended to that file as "page seconds".
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import deque
from contextlib import contextmanager

import streamlit as st

RUNS_KEPT = 2000
LOG_VARIABLE = "CNNLAB_RUN_LOG"


class RunTimes:
    """The latest page runs' durations, by page; safe to record from every session's script thread."""

    def __init__(self, log_path: str | None = None):
        self._runs: deque[tuple[str, float]] = deque(maxlen=RUNS_KEPT)
        self._log_path = log_path
        self._lock = threading.Lock()

    def record(self, page: str, seconds: float) -> None:
        with self._lock:
            self._runs.append((page, seconds))
            if self._log_path:
                with open(self._log_path, "a") as log:
                    log.write(f"{page or 'home'} {seconds:.6f}\n")

    def summary(self) -> list[dict]:
        """Per page: {"page", "runs", "median ms", "p95 ms"} over the runs kept, busiest page first."""
        with self._lock:
            runs = list(self._runs)
        by_page: dict[str, list[float]] = {}
        for page, seconds in runs:
            by_page.setdefault(page or "home", []).append(seconds * 1000)
        rows = [{"page": page, "runs": len(times), "median ms": round(statistics.median(times), 1),
                 "p95 ms": round(sorted(times)[max(0, round(0.95 * len(times)) - 1)], 1)}
                for page, times in by_page.items()]
        return sorted(rows, key=lambda row: -row["runs"])


@st.cache_resource
def get_run_times() -> RunTimes:
    """The server's one record of page-run times."""
    return RunTimes(os.environ.get(LOG_VARIABLE) or None)


@contextmanager
def timed_run(page: str, started: float | None = None):
    """Time the page run (from `started`, a `time.perf_counter()` reading, else from the block's start) to the
    block's end and record it, also when the page stops early (st.rerun, st.stop)."""
    started = time.perf_counter() if started is None else started
    try:
        yield
    finally:
        get_run_times().record(page, time.perf_counter() - started)
