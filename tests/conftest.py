"""Shared fixtures and helpers: a network guard and a private model folder for every test, small trained models
reused across files, and a way to run code in a separate process (a server that stopped before the test began).
Plain helper functions shared by test files live in `helpers.py`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like never leave the machine
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need a DNS look-up: refuse it


def _guarded_connect(self, address):
    if not _is_local(address):
        raise OSError(f"Tests may not use the network (tried to connect to {address!r}).")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise OSError(f"Tests may not use the network (tried to connect to {address!r}).")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Fail any connection that would leave this machine: CNN Lab never needs one, and a test must not either."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True, scope="session")
def dask_scheduler(no_network):
    """One embedded Dask cluster (a scheduler here, one worker process) for the whole test session, named in
    CNNLAB_SCHEDULER: every training service the tests make, the app's own included, trains on it, so no test
    waits for a cluster of its own to start. Yields the scheduler's address."""
    from cnnlab.jobs.cluster import start_local_cluster

    cluster = start_local_cluster(workers=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_SCHEDULER", cluster.scheduler_address)
        yield cluster.scheduler_address
    cluster.close()


@pytest.fixture
def service_factory(dask_scheduler):
    """Makes training services on the session's cluster (closing them after the test): factory(**arguments)
    takes `TrainingService`'s keyword arguments."""
    from cnnlab.jobs.cluster import connect
    from cnnlab.jobs.service import TrainingService

    services = []

    def make(**arguments):
        service = TrainingService(connect_to_cluster=lambda: connect(dask_scheduler), **arguments)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


@pytest.fixture(autouse=True, scope="session")
def session_model_directory(tmp_path_factory):
    """Keep every model any test saves out of the real cache folder, even in session- or module-wide fixtures
    (which are set up before the per-test folder below)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_MODEL_DIR", str(tmp_path_factory.mktemp("models")))
        yield


@pytest.fixture(autouse=True)
def model_directory(tmp_path_factory, monkeypatch, session_model_directory):
    """A fresh, empty model folder for each test, so no test finds a model another one saved."""
    directory = tmp_path_factory.mktemp("test_models")
    monkeypatch.setenv("CNNLAB_MODEL_DIR", str(directory))
    return directory


@pytest.fixture(autouse=True, scope="session")
def no_shipped_model(tmp_path_factory):
    """The app's service starts with an empty store, as before CNN Lab shipped a reference model, so that tests
    (and session- or module-wide fixtures) see exactly the models they trained. Tests of the first visit ask
    for `shipped_model` instead."""
    import cnnlab.jobs.reference

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cnnlab.jobs.reference, "REFERENCE_MODEL_PATH", tmp_path_factory.mktemp("none") / "missing.zip")
        yield


@pytest.fixture
def shipped_model(no_shipped_model, monkeypatch):
    """The reference model that ships with CNN Lab, installed into empty stores as on a real server."""
    import cnnlab.jobs.reference

    shipped = cnnlab.jobs.reference.ASSETS / "reference_model.zip"
    monkeypatch.setattr(cnnlab.jobs.reference, "REFERENCE_MODEL_PATH", shipped)
    return cnnlab.jobs.reference.REFERENCE_MODEL_PATH


@pytest.fixture
def earlier_process():
    """Run Python code in a separate process, as a server that stopped before this test began would have.

    Returns run(code, *arguments) → the finished `subprocess.CompletedProcess` (arguments are in sys.argv).
    """
    root = Path(__file__).resolve().parent.parent

    def run(code: str, *arguments: str) -> subprocess.CompletedProcess:
        environment = {**os.environ, "PYTHONPATH": str(root)}
        return subprocess.run([sys.executable, "-c", code, *arguments], cwd=root, env=environment,
                              capture_output=True, text=True, timeout=300)

    return run


@pytest.fixture(scope="session")
def sample():
    """The bundled 5,000-digit sample. Engine tests train on it: each training ends by scoring the whole test split,
    1,000 digits here against full MNIST's 10,000. Page tests use the app's own data, bundled MNIST."""
    from cnnlab.digits.datasets import load_dataset

    return load_dataset("sample")


@pytest.fixture(scope="session")
def tiny_result(sample):
    """A small model trained for one short epoch: enough to have real, non-random weights quickly."""
    from cnnlab.config import TrainConfig
    from cnnlab.network.training import train

    config = TrainConfig(conv_layers=((6, 5), (4, 3)), dense_units=(16,), epochs=1, train_size=1000)
    return train(config, sample)


@pytest.fixture(scope="session")
def reference_result():
    """The reference model that ships with CNN Lab (default settings, trained on all of MNIST's training digits):
    a real trained reference network, read in a second instead of trained again in every test process."""
    from cnnlab.config import TrainConfig
    from cnnlab.digits.datasets import load_dataset
    from cnnlab.jobs.model_file import read_model_file
    from cnnlab.jobs.reference import ASSETS

    shipped = (ASSETS / "reference_model.zip").read_bytes()
    return read_model_file(shipped, TrainConfig(), load_dataset("mnist").fingerprint)


@pytest.fixture
def empty_service():
    """The app's training service, fresh and with no model, as on a server's first visit."""
    from cnnlab.app import resources

    resources.get_service.clear()
    service = resources.get_service()
    yield service
    resources.get_service.clear()
    service.close()


@pytest.fixture(scope="module")
def trained_service():
    """The app's service holding the page tests' small model (`helpers.PAGE_MODEL`, two epochs), as after a student
    pressed Train; a module that asks for it second finds the model in the session's store, untrained again."""
    from helpers import PAGE_MODEL, app_service_with

    from cnnlab.app import resources

    yield app_service_with(PAGE_MODEL)
    resources.get_service.clear()


@pytest.fixture
def digit_state():
    """Session state whose input digit is MNIST test digit 7, as after "Random digit"."""
    from helpers import state_with_test_digit

    from cnnlab.app import resources

    return state_with_test_digit(resources.get_dataset("mnist"), 7)
