"""The trained network as a `.keras` file, the format Keras itself loads, written in a child process.

The web server never imports TensorFlow (it runs stored networks in NumPy), yet only Keras writes a `.keras` file.
`keras_file_bytes(config, weights)` therefore leaves the settings and the weights in a temporary folder, runs
`python -m cnnlab.network.keras_file FOLDER`, and reads back the file that child wrote: the child imports Keras,
builds the network of those settings, sets the weights and saves it. The child exits when it is done, and its
hundreds of megabytes of TensorFlow go with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.network.model import build_model  # Keras itself is imported only when a model is built

# The names of the files the parent and the child exchange in their folder (Keras writes only to paths ending in
# .keras).
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "weights.npz"
MODEL_NAME = "model.keras"
# The child needs a few seconds to import TensorFlow, more on a busy server; one that has not finished by then is
# stuck, and the student hears so instead of waiting for ever.
CHILD_TIMEOUT_SECONDS = 300
# The project folder, put on the child's import path so that it finds `cnnlab` wherever the server was started.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def keras_file_bytes(config: TrainConfig, weights: list[np.ndarray]) -> bytes:
    """The network of `config` holding `weights` (float32, as `model.get_weights()` lists them) as a `.keras` file.

    Runs Keras in a child process, so the calling process does not import TensorFlow. Raises ValueError with a
    sentence when the child fails or takes longer than CHILD_TIMEOUT_SECONDS.
    """
    with tempfile.TemporaryDirectory(prefix="cnnlab-keras-") as name:
        folder = Path(name)
        (folder / CONFIG_NAME).write_text(json.dumps(config.to_dict()))
        np.savez(folder / WEIGHTS_NAME, *[np.asarray(values, dtype=np.float32) for values in weights])
        environment = {**os.environ,
                       "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            finished = subprocess.run([sys.executable, "-m", __name__, str(folder)], env=environment,
                                      capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as error:
            raise ValueError(f"Keras took more than {CHILD_TIMEOUT_SECONDS} seconds to write the .keras file, so it "
                             "was stopped; try again when the server is less busy.") from error
        except OSError as error:
            raise ValueError(f"The process that writes the .keras file could not start ({error}).") from error
        model_path = folder / MODEL_NAME
        if finished.returncode != 0 or not model_path.is_file():
            # A Python error's last line names it; a process the system stopped (out of memory) leaves only a signal.
            lines = finished.stderr.strip().splitlines()
            if finished.returncode < 0:
                reason = f"its process was stopped by signal {-finished.returncode} (out of memory?)"
            else:
                reason = lines[-1] if lines else f"its process ended with exit code {finished.returncode}"
            raise ValueError(f"Keras could not write the .keras file: {reason}")
        return model_path.read_bytes()


def write_keras_file(folder: Path) -> None:
    """The child's work: read `folder`'s settings and weights, and save their network there as a `.keras` file."""
    config = TrainConfig.from_dict(json.loads((folder / CONFIG_NAME).read_text()))
    with np.load(folder / WEIGHTS_NAME, allow_pickle=False) as arrays:
        # np.savez names positional arrays arr_0, arr_1, …: in that order, not in the names' alphabetical one.
        weights = [arrays[f"arr_{index}"] for index in range(len(arrays.files))]
    model = build_model(config)
    model.set_weights(weights)
    # The optimizer of a network that never trained here has no variables yet, and Keras warns whoever loads such a
    # file that it skipped the saved ones. Built, with the zero state a training starts from, it loads silently.
    model.optimizer.build(model.trainable_variables)
    model.save(folder / MODEL_NAME)


if __name__ == "__main__":
    write_keras_file(Path(sys.argv[1]))
