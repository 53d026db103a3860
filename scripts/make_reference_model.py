"""Build cnnlab/jobs/assets/reference_model.zip: the default network trained on all of bundled MNIST, shipped with
CNN Lab.

The model is `TrainConfig()` (the reference network, 3 epochs, seed 0) trained by `cnnlab.network.training.train` on the
60,000 bundled training digits (54,000 learn, 6,000 validate), so the same code and data give the same weights on
every run. It is written in the model store's own file format (`cnnlab.jobs.model_file`: the learnt weights, its
record, the filter snapshots of every epoch, and the weights before training and after each epoch), which
`cnnlab.jobs.reference` copies into an empty store. The script refuses to write a model that scores under 98.5 % on the
10,000 test digits or a file of 3 MB or more:

    python scripts/make_reference_model.py

A file made before CNN Lab kept the weights a training starts from (epoch 0, `initial.npz`) gets them without training
again: they depend only on the settings in its record, so Keras builds them anew. Every entry already in the file stays
byte for byte as it was, and the rebuilt first layer must equal the file's own snapshot of it before training:

    python scripts/make_reference_model.py --add-initial-weights

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab`.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

# The repository's root goes first on the import path, so that this script finds `cnnlab` however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnlab.config import TrainConfig  # noqa: E402 - after the path set-up above, so the script runs from anywhere
from cnnlab.digits.datasets import load_dataset  # noqa: E402
from cnnlab.jobs.files import write_atomically  # noqa: E402
from cnnlab.jobs.model_file import (  # noqa: E402
    FILTERS_NAME,
    INITIAL_NAME,
    METADATA_NAME,
    WEIGHTS_NAME,
    model_file_bytes,
    weights_from_bytes,
    weights_to_bytes,
)
from cnnlab.jobs.reference import REFERENCE_MODEL_PATH  # noqa: E402
from cnnlab.network.backend import load_keras  # noqa: E402
from cnnlab.network.model import build_model  # noqa: E402
from cnnlab.network.result import TrainResult  # noqa: E402
from cnnlab.network.training import train  # noqa: E402

MIN_TEST_ACCURACY = 0.985
MAX_FILE_BYTES = 3_000_000


def train_reference(config: TrainConfig | None = None) -> tuple[TrainResult, str]:
    """Train `config` (the default settings unless given; set `train_size` for a quick run) on bundled MNIST.

    Returns the result and the data's fingerprint. The same config gives bit-identical weights every time.
    """
    dataset = load_dataset("mnist")
    return train(config or TrainConfig(), dataset), dataset.fingerprint


def rebuilt_initial_weights(config: TrainConfig) -> list[np.ndarray]:
    """The weights a training of `config` starts from, float32, made as `train` makes them: seed, then build."""
    load_keras().utils.set_random_seed(config.seed)
    return build_model(config).get_weights()


def central_directory_offset(data: bytes) -> int:
    """Where a zip file's central directory begins: every entry's header and data lie before it.

    Read from the end-of-central-directory record (the zip specification, APPNOTE.TXT 4.3.16): its signature, then
    at byte 16 the offset, 4 bytes little-endian.
    """
    record = data.rfind(b"PK\x05\x06")
    if record < 0:
        raise ValueError("This is not a zip file: it has no end-of-central-directory record.")
    return int.from_bytes(data[record + 16:record + 20], "little")


def add_initial_weights(data: bytes) -> bytes:
    """A model file's bytes `data` with epoch 0 (`initial.npz`) added, rebuilt by Keras from its recorded settings.

    The entry is appended: everything before the old central directory (each entry's header and data) is kept byte
    for byte, which is checked, and the new entry carries the old ones' date so the file is the same on every run.
    Raises ValueError when the file already has epoch 0, or when the rebuilt first layer differs from the file's
    own float32 snapshot of it before training (the settings would then not rebuild that training's start).
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if INITIAL_NAME in archive.namelist():
            raise ValueError(f"The file already holds the weights before training ({INITIAL_NAME}).")
        config = TrainConfig.from_dict(json.loads(archive.read(METADATA_NAME))["config"])
        with np.load(io.BytesIO(archive.read(FILTERS_NAME)), allow_pickle=False) as snapshots:
            conv1_before = snapshots["snapshot_000"]
        weights = weights_from_bytes(archive.read(WEIGHTS_NAME))
        old_entries = {info.filename: info for info in archive.infolist()}
        date = archive.infolist()[0].date_time
    initial = rebuilt_initial_weights(config)
    if [values.shape for values in initial] != [values.shape for values in weights]:
        raise ValueError("The settings in the file's record build a network of other shapes than its weights.")
    if not np.array_equal(initial[0], conv1_before):
        raise ValueError("Keras rebuilds other conv1 filters than the file's snapshot before training, so these "
                         "settings do not give this training's start; train the model again instead.")
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        entry = zipfile.ZipInfo(INITIAL_NAME, date_time=date)
        entry.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(entry, weights_to_bytes(initial, np.float16))
    content = buffer.getvalue()
    kept = central_directory_offset(data)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        moved = [name for name, info in old_entries.items()
                 if (archive.getinfo(name).header_offset, archive.getinfo(name).CRC) != (info.header_offset, info.CRC)]
    if content[:kept] != data[:kept] or moved:
        raise ValueError(f"Adding {INITIAL_NAME} changed entries that were there before ({moved or 'their bytes'}).")
    return content


def write_reference_file(content: bytes) -> None:
    """Replace the shipped file with `content`, after checking its size."""
    if len(content) >= MAX_FILE_BYTES:
        raise ValueError(f"The model file is {len(content):,} bytes; it must stay under {MAX_FILE_BYTES:,} to ship.")
    # Whole, so a failed run never leaves half a file in the package.
    write_atomically(REFERENCE_MODEL_PATH, content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add-initial-weights", action="store_true",
                        help=f"add epoch 0 ({INITIAL_NAME}) to the shipped file instead of training it again")
    if parser.parse_args().add_initial_weights:
        before = REFERENCE_MODEL_PATH.read_bytes()
        content = add_initial_weights(before)
        write_reference_file(content)
        print(f"Added {INITIAL_NAME} to {REFERENCE_MODEL_PATH}: {len(before):,} bytes before, {len(content):,} "
              f"after; the {central_directory_offset(before):,} bytes of its earlier entries are unchanged.")
        return 0
    result, fingerprint = train_reference()
    if result.test_accuracy < MIN_TEST_ACCURACY:
        raise ValueError(f"The model scores {result.test_accuracy:.2%} on the test digits; it must reach "
                         f"{MIN_TEST_ACCURACY:.1%} to ship.")
    content = model_file_bytes(result, fingerprint)
    write_reference_file(content)
    print(
        f"Wrote {REFERENCE_MODEL_PATH} ({len(content):,} bytes): test accuracy {result.test_accuracy:.2%}, "
        f"trained in {result.seconds:.0f} s on {result.train_images:,} images (+ {result.validation_images:,} "
        f"validating), data fingerprint {fingerprint}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
