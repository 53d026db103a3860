"""One CNN Lab server for tests and scripts: `streamlit run streamlit_app.py` in a child process on a free port of
127.0.0.1, its output in a log file, and its memory as /proc reports it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/support/server.py is two folders down
ARTIFACTS = ROOT / "artifacts"  # screenshots and logs of browser runs
SERVER_START_SECONDS = 300  # generous: a busy 2-core machine can be slow to start Python and Streamlit


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
