"""Loading Keras: what it leaves for the garbage collector of a long-lived server process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.slow  # a fresh process imports TensorFlow and times collections
def test_after_loading_keras_a_full_garbage_collection_scans_few_objects():
    # Streamlit runs a full collection after every page run. Keras and TensorFlow add about half a million
    # objects that live as long as the process; if each collection scanned them, a page following a training
    # would burn a core. A fresh process, so that the count is not the test session's.
    script = textwrap.dedent("""
        import gc
        from cnnlab.network.backend import load_keras
        keras = load_keras()
        keras.layers.Dense(3)  # something built after the import is still collected as usual
        print(len(gc.get_objects()), gc.get_freeze_count())
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600)
    scanned, frozen = map(int, output.stdout.split()[-2:])
    assert frozen > 100_000  # TensorFlow's objects are there, only not scanned
    assert scanned < 20_000
