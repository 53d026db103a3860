"""Restarting a training worker that has grown: a fresh worker process for the next training, once it is idle.

TensorFlow keeps part of every model a process has trained (about 10 MB each, measured with a plain `train()` loop
too, with or without Keras's `clear_session` and glibc's `malloc_trim`). A worker that trains all day would outgrow
the server's memory. The embedded cluster's host (`cnnlab.jobs.cluster_host`) asks a `WorkerRecycler` once a second;
it restarts, through the scheduler, each worker that has trained since it started, has grown past the limit, and
neither runs a task nor holds a result the app has not fetched. The next training then waits a few seconds for
the new worker to import TensorFlow.
"""

from __future__ import annotations

import time

# A fresh worker holds about 940–1,000 MiB after a full-size training of the default network; this leaves room for
# a dozen trainings, or one of a larger network, before it is replaced.
DEFAULT_LIMIT_MIB = 1200
LIMIT_VARIABLE = "CNNLAB_WORKER_RECYCLE_MIB"
# Task states in which the scheduler has no more work for a task: anything else means a training is on its way.
SETTLED_STATES = frozenset({"memory", "erred", "released", "forgotten"})


class WorkerRecycler:
    """Restarts grown, idle workers of the scheduler it is given. limit_bytes: a worker's resident memory above
    which it is replaced."""

    def __init__(self, scheduler, limit_bytes: int):
        self._scheduler = scheduler
        self._limit_bytes = limit_bytes
        self._trained: set[str] = set()  # addresses of workers seen running a task since they started

    async def check(self) -> list[str]:
        """Look once, in the scheduler's event loop; returns the addresses of the workers it restarted."""
        scheduler = self._scheduler
        self._trained.update(address for address, worker in scheduler.workers.items() if worker.processing)
        if any(task.state not in SETTLED_STATES for task in scheduler.tasks.values()):
            return []
        grown = [address for address, worker in scheduler.workers.items()
                 if address in self._trained and not worker.has_what
                 and worker.memory.process > self._limit_bytes]
        if not grown:
            return []
        self._trained.difference_update(grown)
        await scheduler.restart_workers(grown, on_error="return", stimulus_id=f"cnnlab-recycle-{time.time()}")
        return grown
