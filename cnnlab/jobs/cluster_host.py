"""The embedded cluster's own process: a Dask scheduler and the nannies of its worker processes, beside the app.

    python -m cnnlab.jobs.cluster_host --workers 1 --address-file PATH

The app (`cnnlab.jobs.cluster.EmbeddedCluster`) starts it, reads the scheduler's address from PATH, and stops it
with SIGTERM. It also stops by itself once the app is gone (its parent changes), so a killed app leaves nothing
behind. One process for the scheduler and the nannies costs about 100 MB less than one each. Once a second it also
replaces a worker that trainings have made too large (`cnnlab.jobs.recycle`; the limit is $CNNLAB_WORKER_RECYCLE_MIB,
1,200 MiB by default).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path

import dask
from distributed import LocalCluster

from cnnlab.jobs.cluster import DASK_SETTINGS, TRAINING_NICENESS
from cnnlab.jobs.files import write_atomically
from cnnlab.jobs.recycle import DEFAULT_LIMIT_MIB, LIMIT_VARIABLE, WorkerRecycler

# A LocalCluster closes a worker's nanny for good when no worker of the same name has come back 15 s (Dask's
# default) after one was lost. Our nannies restart a dead worker themselves, but a worker killed twice in a row
# (out of memory, say) can be just between two lives when that check runs, and the cluster was seen to lose its
# only worker that way: every later training then waited forever. The setting is read when the check is made, so it
# is set for the whole process.
LOST_WORKER_TIMEOUT = "30 days"
PARENT_CHECK_SECONDS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--address-file", type=Path, required=True)
    arguments = parser.parse_args()
    parent = os.getppid()
    # Before the cluster starts, so the worker processes it spawns inherit it; up to it, as the app may have started
    # this process already that nice (`cluster.EmbeddedCluster`).
    os.nice(max(0, TRAINING_NICENESS - os.nice(0)))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT, **DASK_SETTINGS})
    cluster = LocalCluster(
        n_workers=arguments.workers, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
        # Any free port: the default 8787 may be taken, and only its health and metrics routes run (no bokeh).
        dashboard_address="127.0.0.1:0",
        # Each worker imports TensorFlow and reads the digits as it starts, not when its first training arrives.
        preload=["cnnlab.jobs.worker_preload"],
    )
    try:
        # Whole, so the app never reads half an address.
        write_atomically(arguments.address_file, json.dumps({"address": cluster.scheduler_address}).encode())
        limit_mib = float(os.environ.get(LIMIT_VARIABLE, DEFAULT_LIMIT_MIB))
        recycler = WorkerRecycler(cluster.scheduler, int(limit_mib * 2**20))
        while not stop.wait(PARENT_CHECK_SECONDS) and os.getppid() == parent:
            for address in cluster.sync(recycler.check):
                print(f"Restarted the worker at {address}: it had grown past {limit_mib:g} MiB.", flush=True)
    finally:
        cluster.close(timeout=20)


if __name__ == "__main__":
    main()
