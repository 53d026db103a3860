"""An embedded worker is ready to train when it joins the cluster: Keras imported, the digits read, and as nice as
trainings run."""

from __future__ import annotations

import os
import sys

import pytest


def _readiness() -> dict:
    from cnnlab.digits.datasets import _read_bundled

    return {"keras": "keras" in sys.modules, "tensorflow": "tensorflow" in sys.modules,
            "digit sets read": _read_bundled.cache_info().currsize, "niceness": os.nice(0)}


@pytest.mark.slow
def test_an_embedded_worker_has_imported_keras_and_read_the_digits_before_any_task():
    from distributed import Client

    from cnnlab.jobs.cluster import TRAINING_NICENESS, EmbeddedCluster

    cluster = EmbeddedCluster(1)
    try:
        with Client(cluster.scheduler_address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=180)
            [readiness] = client.run(_readiness).values()
    finally:
        cluster.close()
    assert readiness == {"keras": True, "tensorflow": True, "digit sets read": 1, "niceness": TRAINING_NICENESS}
