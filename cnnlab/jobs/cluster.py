"""Where trainings run: a Dask scheduler named by $CNNLAB_SCHEDULER, or a cluster of local worker processes.

One code path, two deployments:
- Embedded (a laptop, Community Cloud, CI): `connect()` starts a `LocalCluster` of worker *processes* on this
  machine, one per two cores, so the web server's process never trains.
- Scale-out (a school): CNNLAB_SCHEDULER=tcp://host:8786 points every app replica at a running `dask scheduler`,
  and any number of `dask worker tcp://host:8786` processes on other machines train. A scheduler that cannot be
  reached at start-up is logged and the embedded cluster is used instead, so the app still works.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import dask
from distributed import Client, LocalCluster

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


def embedded_worker_count(cores: int | None = None) -> int:
    """One worker process per two cores, at least one: a training uses two cores well, and the web server
    needs some CPU of its own to stay responsive while students draw."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // 2)


# A LocalCluster closes a worker's nanny for good when no worker of the same name has come back 15 s (Dask's
# default) after one was lost. Our nannies restart a dead worker themselves, but a worker killed twice in a row
# (out of memory, say) can be just between two lives when that check runs, and the cluster was seen to lose its
# only worker that way: every later training then waited forever. The setting is read when the check is made,
# in the cluster's event loop, so it is set for the whole process rather than only while the cluster starts.
LOST_WORKER_TIMEOUT = "30 days"


def start_local_cluster(workers: int | None = None) -> LocalCluster:
    """A scheduler in this process and `workers` worker processes (each one training at a time) on 127.0.0.1."""
    dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT})
    with dask.config.set(DASK_SETTINGS):
        return LocalCluster(
            n_workers=workers or embedded_worker_count(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # Any free port: the default 8787 may be taken (by another app or cluster on the machine), and only
            # its health and metrics routes run, since the dashboard itself needs bokeh.
            dashboard_address="127.0.0.1:0",
        )


@dataclass
class Connection:
    """A Dask client for the app's trainings, and the embedded cluster behind it when the app started one."""

    client: Client
    local_cluster: LocalCluster | None = None

    @property
    def description(self) -> str:
        """Where trainings run, in a sentence for the log and the operator."""
        if self.local_cluster is not None:
            return f"an embedded cluster of {len(self.local_cluster.workers)} worker process(es) on this machine"
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
    connection = Connection(Client(cluster, set_as_default=False), cluster)
    logger.info("Trainings run on %s.", connection.description)
    return connection
