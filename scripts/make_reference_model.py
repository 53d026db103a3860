"""Build cnnlab/jobs/assets/reference_model.zip: the default network trained on all of bundled MNIST, shipped with
CNN Lab.

The model is `TrainConfig()` (the reference network, 3 epochs, seed 0) trained by `cnnlab.network.training.train` on the
60,000 bundled training digits (54,000 learn, 6,000 validate), so the same code and data give the same weights on
every run. It is written in the model store's own file format (`cnnlab.jobs.model_file`: the learnt weights, its
record, the filter snapshots of every epoch and the weights after each epoch), which `cnnlab.jobs.reference` copies
into an empty store. The script refuses to write a model that scores under 98.5 % on the 10,000 test digits or a file of
3 MB or more:

    python scripts/make_reference_model.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnlab.config import TrainConfig  # noqa: E402 - after the path set-up above, so the script runs from anywhere
from cnnlab.digits.datasets import load_dataset  # noqa: E402
from cnnlab.jobs.model_file import model_file_bytes  # noqa: E402
from cnnlab.jobs.reference import REFERENCE_MODEL_PATH  # noqa: E402
from cnnlab.network.training import TrainResult, train  # noqa: E402

MIN_TEST_ACCURACY = 0.985
MAX_FILE_BYTES = 3_000_000


def train_reference(config: TrainConfig | None = None) -> tuple[TrainResult, str]:
    """Train `config` (the default settings unless given; set `train_size` for a quick run) on bundled MNIST.

    Returns the result and the data's fingerprint. The same config gives bit-identical weights every time.
    """
    dataset = load_dataset("mnist")
    return train(config or TrainConfig(), dataset), dataset.fingerprint


def main() -> int:
    result, fingerprint = train_reference()
    if result.test_accuracy < MIN_TEST_ACCURACY:
        raise ValueError(f"The model scores {result.test_accuracy:.2%} on the test digits; it must reach "
                         f"{MIN_TEST_ACCURACY:.1%} to ship.")
    content = model_file_bytes(result, fingerprint)
    if len(content) >= MAX_FILE_BYTES:
        raise ValueError(f"The model file is {len(content):,} bytes; it must stay under {MAX_FILE_BYTES:,} to ship.")
    # Written to a temporary file and renamed, so a failed run never leaves half a file in the package.
    descriptor, name = tempfile.mkstemp(dir=REFERENCE_MODEL_PATH.parent, suffix=".tmp")
    with open(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(name, REFERENCE_MODEL_PATH)
    print(
        f"Wrote {REFERENCE_MODEL_PATH} ({len(content):,} bytes): test accuracy {result.test_accuracy:.2%}, "
        f"trained in {result.seconds:.0f} s on {result.train_images:,} images (+ {result.validation_images:,} "
        f"validating), data fingerprint {fingerprint}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
