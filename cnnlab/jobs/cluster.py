"""Where trainings run: a Dask scheduler named by $CNNLAB_SCHEDULER, or a cluster of local worker processes.

One code path, two deployments:
- Embedded (a laptop, Community Cloud, CI): `connect()` starts a `dask scheduler` process and worker processes on
  this machine, one per two cores, so the web server's process neither trains nor schedules.
- Scale-out (a school): CNNLAB_SCHEDULER=tcp://host:8786 points every app replica at a running `dask scheduler`,
  and any number of `dask worker tcp://host:8786` processes on other machines train. A scheduler that cannot be
  reached at start-up is logged and the embedded cluster is used instead, so the app still works.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Dask is imported by the first connection, not by a page that only shows a model
    from distributed import Client

logger = logging.getLogger(__name__)

SCHEDULER_VARIABLE = "CNNLAB_SCHEDULER"
CONNECT_TIMEOUT_SECONDS = 10
# A task whose worker dies fails at once with KilledWorker, and the training service decides about a retry (it
# gives a training one more try). Left to Dask (3 retries by default), a training that kills its worker every time
# would keep a student waiting far too long, and a worker restart was seen to count twice against a task. An
# external scheduler needs the same setting: see DEPLOY.md.
ALLOWED_FAILURES = 0
DASK_SETTINGS = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    # Dask's nannies pin NumPy's thread pools to one thread in each worker by default (made for many small
    # tasks per worker). A training is one big task that should use every core it has, as a plain process
    # does; and the same thread settings as a plain process keep its weights bit-identical to one.
    "distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536},
}


# Trainings are batch work and page runs are a student waiting, yet on a small host both want the same cores (a
# worker's TensorFlow alone can keep two busy). The whole cluster runs this much nicer than the web server, so the
# kernel gives the server a core whenever it has pages to run and the training every cycle left over.
TRAINING_NICENESS = 10


def settings_as_environment(settings: dict | None = None) -> dict[str, str]:
    """Dask settings as the environment variables that set them in a `dask scheduler` or `dask worker` started by
    hand (compose.yaml, docs/DEPLOY.md): {"distributed.scheduler.allowed-failures": 0} →
    {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}. Dask reads each value back as a Python literal."""
    settings = DASK_SETTINGS if settings is None else settings
    return {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): json.dumps(value)
            for key, value in settings.items()}


def embedded_worker_count(cores: int | None = None) -> int:
    """One worker process per two cores, at least one: a training uses two cores well, and the web server
    needs some CPU of its own to stay responsive while students draw."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // 2)


SCHEDULER_START_SECONDS = 120


class EmbeddedCluster:
    """A Dask scheduler and `workers` worker processes on 127.0.0.1, started by and belonging to this process.

    The scheduler and the workers' nannies run in a process of their own (`cnnlab.jobs.cluster_host`), not in the
    web server: a scheduler hooks Python's garbage collector and keeps timers and monitors on its event loop, which
    would all cost the pages' script threads.
    """

    def __init__(self, workers: int):
        self.worker_count = workers
        self._folder = Path(tempfile.mkdtemp(prefix="cnnlab-dask-"))
        address_file = self._folder / "scheduler.json"
        # The workers import what this process imports (CNN Lab, a test's stand-in trainings).
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        # Nice from its first instruction: its imports (Dask's, then each worker's TensorFlow) must not slow the page
        # a student has just opened, which is when the Train page starts it. Through `nice`, not a `preexec_fn`:
        # that would make Python fork this multi-threaded server, and OpenBLAS's fork handler can then deadlock with
        # a page's matrix product in another thread.
        nice = shutil.which("nice")
        prefix = [nice, "-n", str(TRAINING_NICENESS)] if nice else []
        self._process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "cnnlab.jobs.cluster_host", "--workers", str(workers), "--address-file",
             str(address_file)],
            env=environment, stdin=subprocess.DEVNULL,
        )
        try:
            self.scheduler_address = _wait_for_address(address_file, self._process)
        except BaseException:
            self.close()
            raise

    def close(self, timeout: float = 30) -> None:
        """Stop the scheduler and the workers (SIGTERM, then SIGKILL after `timeout` seconds)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def _wait_for_address(scheduler_file: Path, process: subprocess.Popen) -> str:
    """The address the scheduler writes to its file once it listens."""
    deadline = time.monotonic() + SCHEDULER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The embedded Dask cluster exited with code {process.returncode} as it started.")
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    raise TimeoutError(f"The embedded Dask cluster did not start within {SCHEDULER_START_SECONDS} s.")


def start_local_cluster(workers: int | None = None) -> EmbeddedCluster:
    """A scheduler and `workers` worker processes (each one training at a time) on 127.0.0.1, connected to
    `Client(cluster.scheduler_address)`, wait for the workers with `client.wait_for_workers`."""
    return EmbeddedCluster(workers or embedded_worker_count())


@dataclass
class Connection:
    """A Dask client for the app's trainings, and the embedded cluster behind it when the app started one."""

    client: Client
    local_cluster: EmbeddedCluster | None = None

    @property
    def description(self) -> str:
        """Where trainings run, in a sentence for the log and the operator."""
        if self.local_cluster is not None:
            return f"an embedded cluster of {self.local_cluster.worker_count} worker process(es) on this machine"
        return f"the Dask scheduler at {self.client.scheduler.address}"

    def close(self) -> None:
        """Close the client, and stop the embedded cluster's worker processes if there is one."""
        self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()


def connect(address: str | None = None, timeout: float = CONNECT_TIMEOUT_SECONDS) -> Connection:
    """Connect to where the app's trainings run.

    address: a scheduler's address such as "tcp://10.0.0.5:8786"; None reads $CNNLAB_SCHEDULER, and when that is
        empty too, starts the embedded local cluster.
    A scheduler that does not answer within `timeout` seconds is logged as a warning and the embedded cluster is
    started instead.
    """
    import dask
    from distributed import Client

    address = address if address is not None else os.environ.get(SCHEDULER_VARIABLE, "").strip()
    if address:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                connection = Connection(Client(address, timeout=timeout, set_as_default=False))
            logger.info("Trainings run on %s.", connection.description)
            return connection
        except (OSError, TimeoutError) as error:
            logger.warning(
                "The Dask scheduler at %s (from %s) cannot be reached (%s); trainings run on this machine's "
                "embedded cluster instead.",
                address,
                SCHEDULER_VARIABLE,
                error,
            )
    cluster = start_local_cluster()
    try:
        connection = Connection(Client(cluster.scheduler_address, timeout=timeout, set_as_default=False), cluster)
    except BaseException:
        cluster.close()
        raise
    logger.info("Trainings run on %s.", connection.description)
    return connection
