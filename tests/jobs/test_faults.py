"""Faults injected into a running CNN Lab: a full disk while saving, and a server stopped in the middle of a
training. (Crashes, hangs and killed workers: tests/jobs/test_service.py.)

In every case: the student gets a sentence, nothing finished is lost, nothing half-written is ever loaded, and the
next job still runs.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.jobs.job import JobState
from cnnlab.jobs.service import PACE_FILE_NAME
from cnnlab.jobs.store import ModelStore

ROOT = Path(__file__).resolve().parents[2]
SMALL = TrainConfig(conv_layers=((4, 5), (4, 3)), dense_units=(16,), epochs=1, train_size=300)
WAIT = 300  # seconds; the first training in a worker imports TensorFlow


def stored_files(folder: Path) -> list[str]:
    """The store's files, less the pace of finished trainings the service keeps beside them."""
    return sorted(path.name for path in folder.iterdir() if path.name != PACE_FILE_NAME)


# --- a full disk while saving --------------------------------------------------------------------------------------


def test_a_full_disk_while_saving_leaves_nothing_half_written_and_the_model_stays_usable(
    sample, tmp_path, monkeypatch, caplog, service_factory
):
    real_fsync = os.fsync

    def fsync_on_a_full_disk(descriptor):
        if Path(f"/proc/self/fd/{descriptor}").resolve().parent == tmp_path:  # only the store's own files
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(descriptor)

    service = service_factory(store=ModelStore(tmp_path))
    monkeypatch.setattr(os, "fsync", fsync_on_a_full_disk)
    with caplog.at_level(logging.ERROR, logger="cnnlab.jobs.store"):
        job = service.submit(SMALL, sample)
        assert service.wait(job, WAIT)
    assert job.state is JobState.DONE, job.error
    assert stored_files(tmp_path) == []  # no model and no temporary file
    message = " ".join(record.getMessage() for record in caplog.records)
    assert "No space left on device" in message and "stays available until the server restarts" in message
    # The model in memory still answers.
    digits = to_model_input(sample.x_test[:16])
    assert np.asarray(service.find(SMALL, sample).result.model(digits)).shape == (16, 10)
    # A restarted server finds no model (and certainly no half of one): it would train again.
    monkeypatch.undo()
    assert service_factory(store=ModelStore(tmp_path)).find(SMALL, sample) is None


# --- a server stopped in the middle of a training -----------------------------------------------------------------

SERVER_TRAINING = """
import json, sys
from pathlib import Path
from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import load_dataset
from cnnlab.jobs.service import PACE_FILE_NAME, TrainingService
from cnnlab.jobs.store import ModelStore

if __name__ == "__main__":
    service = TrainingService(store=ModelStore(Path(sys.argv[1])))  # with its own embedded cluster
    job = service.submit(TrainConfig.from_dict(json.loads(sys.argv[2])), load_dataset("sample"))
    while not job.finished:
        if job.batches_done >= 3:
            print("training", flush=True)
        service.wait(job, 0.2)
    print("finished", flush=True)
"""


@pytest.mark.slow
def test_a_server_stopped_mid_training_leaves_no_model_no_worker_and_can_train_again(sample, tmp_path,
                                                                                      service_factory, monkeypatch):
    config = TrainConfig(conv_layers=((4, 5), (4, 3)), dense_units=(16,), epochs=20, train_size=2000, seed=5)
    script = tmp_path / "server.py"
    script.write_text(SERVER_TRAINING)
    store_folder = tmp_path / "models"
    environment = {key: value for key, value in os.environ.items() if key != "CNNLAB_SCHEDULER"}
    environment["PYTHONPATH"] = str(ROOT)
    server = subprocess.Popen([sys.executable, str(script), str(store_folder), json.dumps(config.to_dict())],
                              cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout.readline().strip() == "training"
        workers = psutil.Process(server.pid).children(recursive=True)
        assert workers  # the training runs in the server's worker processes, not in the server
        server.send_signal(signal.SIGTERM)  # what a host does to restart the app
        assert server.wait(60) != 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []  # no worker process outlives its server
    assert stored_files(store_folder) == []  # no model file and no temporary file a restart could mistake for one
    service = service_factory(store=ModelStore(store_folder))
    assert service.find(config, sample) is None
    again = service.submit(SMALL, sample)
    assert service.wait(again, WAIT) and again.state is JobState.DONE, again.error
    assert [name.rsplit(".", 1)[1] for name in stored_files(store_folder)] == ["zip"]
