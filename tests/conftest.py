"""Shared fixtures: a network guard for every test, and small trained models reused across files."""

from __future__ import annotations

import ipaddress
import socket

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
    """Fail any connection that would leave this machine: MNIST downloads must be faked in tests."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(scope="session")
def sample():
    from cnnlab.data import load_dataset

    return load_dataset("sample")


@pytest.fixture(scope="session")
def tiny_result(sample):
    """A small model trained for one short epoch: enough to have real, non-random weights quickly."""
    from cnnlab.config import TrainConfig
    from cnnlab.train import train

    config = TrainConfig(conv1_filters=6, conv2_filters=4, dense_units=(16,), epochs=1, train_size=1000)
    return train(config, sample)


@pytest.fixture(scope="session")
def reference_result(sample):
    """The reference model at default settings, trained on the bundled sample (a few seconds on 2 cores)."""
    from cnnlab.config import TrainConfig
    from cnnlab.train import train

    return train(TrainConfig(), sample)
