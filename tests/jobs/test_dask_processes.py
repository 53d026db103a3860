"""The scale-out deployment for real: `dask scheduler` and `dask worker` started as separate processes on 127.0.0.1,
as docs/DEPLOY.md tells a school to, and the app's own training service training through them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from distributed import Client
from helpers import wait_for

from cnnlab.config import TrainConfig
from cnnlab.jobs.cluster import connect, settings_as_environment
from cnnlab.jobs.job import WORKER_RESTARTED_NOTE, JobState
from cnnlab.jobs.service import PACE_FILE_NAME, TrainingService
from cnnlab.jobs.store import ModelStore
from cnnlab.network.training import train

# Each test starts and stops a scheduler and workers of its own: the slow stage of the test command runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TINY = TrainConfig(conv_layers=((5, 5), (3, 3)), dense_units=(8,), epochs=2, train_size=400, seed=3)
SLOW = TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=40, train_size=3000, seed=3)
MEDIUM = TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=4, train_size=3000, seed=3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dask_command(*arguments: str) -> list[str]:
    """The `dask` command of this Python (the same one a school installs with requirements.txt), run as a module: a
    virtual environment that borrows the machine's packages has no `dask` script of its own."""
    return [sys.executable, "-m", "dask", *arguments]


@pytest.fixture(scope="module")
def external_scheduler(tmp_path_factory):
    """A `dask scheduler` and one `dask worker` (with its nanny) as processes of their own; yields the address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    environment = {key: value for key, value in os.environ.items() if key != "CNNLAB_SCHEDULER"}
    environment.update(settings_as_environment(), PYTHONPATH=str(ROOT))  # as docs/DEPLOY.md starts them
    logs = tmp_path_factory.mktemp("dask_logs")
    processes = []
    try:
        for name, command in (
            ("scheduler", dask_command("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                       "--no-dashboard")),
            ("worker", dask_command("worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard")),
        ):
            log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process below
            processes.append((subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True), log))
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        for process, log in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            log.close()


@pytest.fixture
def service(external_scheduler, tmp_path):
    service = TrainingService(connect_to_cluster=lambda: connect(external_scheduler), store=ModelStore(tmp_path))
    assert service.connection.local_cluster is None  # it really uses the external scheduler
    yield service
    service.close()


def same_weights(first, second) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))


def test_a_separate_worker_trains_the_same_weights_as_a_plain_call(service, sample, tmp_path):
    job = service.submit(TINY, sample)
    assert service.wait(job, 300) and job.state is JobState.DONE, job.error
    assert job.worker_pid != os.getpid()
    assert same_weights(job.result.model, train(TINY, sample).model)
    assert ModelStore(tmp_path).contains(TINY, sample.fingerprint)


def test_a_training_on_a_separate_worker_can_be_cancelled(service, sample):
    job = service.submit(SLOW, sample)
    wait_for(lambda: job.batches_done >= 3)
    service.cancel(job)
    assert service.wait(job, 30) and job.state is JobState.CANCELLED


def test_a_separate_worker_killed_mid_training_is_replaced_and_the_training_finishes(service, sample, tmp_path):
    job = service.submit(MEDIUM, sample)
    wait_for(lambda: job.batches_done >= 3)
    killed = job.worker_pid
    os.kill(killed, signal.SIGKILL)  # the worker process, not its nanny, which starts a new one
    assert service.wait(job, 300) and job.state is JobState.DONE, job.error
    assert job.note == WORKER_RESTARTED_NOTE and job.worker_pid != killed
    assert same_weights(job.result.model, train(MEDIUM, sample).model)
    # One whole model, nothing half-written (beside it, the pace of finished trainings the service keeps).
    assert sorted(path.suffix for path in tmp_path.iterdir() if path.name != PACE_FILE_NAME) == [".zip"]
