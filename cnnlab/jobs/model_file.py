"""The file one finished model is stored in: a zip holding the learnt weights, their record, and filter snapshots.

- `weights.npz`: the learnt weights, float32, in `model.get_weights()`'s order (read back without TensorFlow, so a
  server shows a stored model at once; the settings in the record give the network's shape);
- `metadata.json`: the key, history, test scores, timing, image counts and the format version;
- `filters.npz`: the conv1 filter snapshots, float32 (k, k, 1, filters), one before training and one per epoch;
- `epochs.npz`: the whole network's weights after every epoch but the last (whose weights are the model's own),
  float16, when the training kept them (`TrainResult.epoch_weights`);
- `initial.npz`: epoch 0, the weights the network started from before any batch, float16, kept with the epochs'
  (`TrainResult.initial_weights`). Files written before CNN Lab kept them have no such entry.

`write_model_file` writes one to an open binary file; `read_model_file` checks one read back and rebuilds the
`TrainResult`, or raises `UnusableFile` with the reason; `read_record` reads only what it says about its model.
Every reader checks the record the same way, with `read_metadata`. Where the files live, and how they are named,
replaced and evicted, is `cnnlab.jobs.store`'s business. A worker sends a finished model to the app as these bytes
(`model_file_bytes`), so the app never sees half a model either. The `.keras` file a student downloads is another
format, written by Keras (`cnnlab.network.keras_file`).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.network.model import weight_shapes
from cnnlab.network.result import TrainResult

# Bump when the layout of a stored file changes; files of another version are set aside and retrained.
# 3: the weights as `weights.npz`, no longer a whole `model.keras` (read without TensorFlow).
# An entry that a file may lack is added without a bump, since both sides still read the other's files: this
# version reads a file without it, and an older one ignores it. `initial.npz` came so.
FORMAT_VERSION = 3
METADATA_NAME = "metadata.json"
FILTERS_NAME = "filters.npz"
EPOCHS_NAME = "epochs.npz"
WEIGHTS_NAME = "weights.npz"
INITIAL_NAME = "initial.npz"
METADATA_KEYS = (
    "format",
    "config",
    "fingerprint",
    "history",
    "test_accuracy",
    "test_loss",
    "seconds",
    "dataset_name",
    "train_images",
    "validation_images",
    "snapshot_count",
    "epoch_weight_count",
    "extras",
)


class UnusableFile(Exception):
    """A stored file that cannot give back the model it is named for; the message says why."""


@dataclass(frozen=True)
class ModelRecord:
    """What a stored model's file says about it, read without Keras: enough to list and compare models.

    test_accuracy: 0–1 on the test digits; seconds: the training's wall time; saved_at: Unix time or None.
    """

    config: TrainConfig
    fingerprint: str
    test_accuracy: float
    seconds: float
    train_images: int
    dataset_name: str
    saved_at: float | None


def read_record(data: bytes | Path) -> ModelRecord:
    """The record of a model file, given as bytes or a path (its metadata only: from a path, only that entry of
    the zip is read, not the model's megabytes); raises `UnusableFile` saying what is wrong."""
    with open_model_file(data) as archive:
        metadata, config = read_metadata(archive)
    try:
        return ModelRecord(
            config=config,
            fingerprint=str(metadata["fingerprint"]),
            test_accuracy=float(metadata["test_accuracy"]),
            seconds=float(metadata["seconds"]),
            train_images=int(metadata["train_images"]),
            dataset_name=str(metadata["dataset_name"]),
            saved_at=metadata.get("saved_at"),
        )
    except (TypeError, ValueError) as error:
        raise UnusableFile(f"its record holds values of the wrong kind ({error})") from error


def open_model_file(data: bytes | Path) -> zipfile.ZipFile:
    """A model file, given as bytes or a path, opened as the zip it must be; raises `UnusableFile` when it is not
    one (cut short, another kind of file) or cannot be read."""
    try:
        return zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - not a zip, a damaged one, or a path that cannot be read
        raise UnusableFile(f"it cannot be opened as a zip file ({error})") from error


def read_metadata(archive: zipfile.ZipFile, config: TrainConfig | None = None,
                  fingerprint: str | None = None) -> tuple[dict, TrainConfig]:
    """A model file's record (`metadata.json`), checked: the one check every reader of a model file makes.

    The record must be a JSON object holding every METADATA_KEYS entry, in FORMAT_VERSION, with valid settings;
    when `config` or `fingerprint` is given, it must also be the model of those settings or that data. Returns
    (the record as read, its settings). Raises `UnusableFile` saying what is wrong.
    """
    try:
        metadata = json.loads(archive.read(METADATA_NAME))
    except Exception as error:  # noqa: BLE001 - missing entry, bad CRC, bad deflate data, bad JSON
        raise UnusableFile(f"its {METADATA_NAME} cannot be read ({error})") from error
    if not isinstance(metadata, dict):
        raise UnusableFile(f"its {METADATA_NAME} is not a JSON object")
    missing = [key for key in METADATA_KEYS if key not in metadata]
    if missing:
        raise UnusableFile(f"its {METADATA_NAME} lacks {', '.join(missing)}")
    if metadata["format"] != FORMAT_VERSION:
        raise UnusableFile(f"it is in format {metadata['format']!r}; this version reads {FORMAT_VERSION}")
    try:
        stored_config = TrainConfig.from_dict(metadata["config"])
    except (TypeError, ValueError) as error:
        raise UnusableFile(f"its settings are not valid ({error})") from error
    # Compared by value: `streamlit run` re-imports CNN Lab's modules when their source changes, after which a
    # running server holds settings of the old `TrainConfig` class, which never equal the new class's.
    if config is not None and stored_config.to_dict() != config.to_dict():
        raise UnusableFile(f"it holds the model of other settings ({stored_config}) than asked for ({config})")
    if fingerprint is not None and metadata["fingerprint"] != fingerprint:
        raise UnusableFile(f"it holds a model trained on data with fingerprint {metadata['fingerprint']}, not on "
                           f"the data asked for ({fingerprint})")
    return metadata, stored_config


def write_model_file(handle: BinaryIO, result: TrainResult, fingerprint: str) -> None:
    """Write `result`, the model for (result.config, fingerprint), as one zip file into `handle`."""
    metadata = json.dumps(metadata_of(result, fingerprint), indent=1).encode()
    filters = snapshots_to_bytes(result.filter_snapshots)
    epochs = epoch_weights_to_bytes(result.epoch_weights[:-1])
    weights = weights_to_bytes(result.weights)
    with zipfile.ZipFile(handle, "w") as archive:
        archive.writestr(METADATA_NAME, metadata, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(FILTERS_NAME, filters, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(EPOCHS_NAME, epochs, compress_type=zipfile.ZIP_DEFLATED)
        # The weights are float32 noise to a compressor: storing them as they are saves time.
        archive.writestr(WEIGHTS_NAME, weights, compress_type=zipfile.ZIP_STORED)
        if result.initial_weights is not None:
            archive.writestr(INITIAL_NAME, weights_to_bytes(result.initial_weights, np.float16),
                             compress_type=zipfile.ZIP_DEFLATED)


def model_file_bytes(result: TrainResult, fingerprint: str) -> bytes:
    """The whole file for `result` as bytes, as a worker hands a finished model to the app."""
    buffer = io.BytesIO()
    write_model_file(buffer, result, fingerprint)
    return buffer.getvalue()


def metadata_of(result: TrainResult, fingerprint: str) -> dict:
    """Everything in a `TrainResult` except the model and the filter snapshots, as plain JSON values."""
    plain_extras = {
        key: value
        for key, value in result.extras.items()
        if isinstance(value, (str, int, float, bool)) or value is None
    }
    return {
        "format": FORMAT_VERSION,
        "config": result.config.to_dict(),
        "fingerprint": fingerprint,
        "history": {name: [float(value) for value in values] for name, values in result.history.items()},
        "test_accuracy": float(result.test_accuracy),
        "test_loss": float(result.test_loss),
        "seconds": float(result.seconds),
        "dataset_name": result.dataset_name,
        "train_images": int(result.train_images),
        "validation_images": int(result.validation_images),
        "snapshot_count": len(result.filter_snapshots),
        "epoch_weight_count": len(result.epoch_weights),
        "extras": plain_extras,
        "saved_at": time.time(),
    }


def snapshots_to_bytes(snapshots: list[np.ndarray]) -> bytes:
    """The conv1 filter snapshots, float32 (k, k, 1, filters) each, as one `.npz` archive."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        **{f"snapshot_{index:03d}": np.asarray(kernels, dtype=np.float32) for index, kernels in enumerate(snapshots)},
    )
    return buffer.getvalue()


def weights_to_bytes(weights: list[np.ndarray], dtype=np.float32) -> bytes:
    """A network's weights (a list like `model.get_weights()`) as one `.npz` archive of `dtype` (float32, or
    float16 for the kept start)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"weight_{index:02d}": np.asarray(values, dtype=dtype)
                        for index, values in enumerate(weights)})
    return buffer.getvalue()


def weights_from_bytes(data: bytes) -> list[np.ndarray]:
    """The inverse of `weights_to_bytes`: the arrays in their order, in the type they were written in."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return [np.array(arrays[name]) for name in sorted(arrays.files)]


def epoch_weights_to_bytes(epoch_weights: list[list[np.ndarray]], first_epoch: int = 1) -> bytes:
    """Weights of several epochs (each a list like `model.get_weights()`, the first of epoch `first_epoch`) as one
    `.npz` archive of float16."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"epoch_{epoch:03d}_{index:02d}": np.asarray(values, dtype=np.float16)
                        for epoch, weights in enumerate(epoch_weights, start=first_epoch)
                        for index, values in enumerate(weights)})
    return buffer.getvalue()


def epoch_weights_from_bytes(data: bytes) -> list[list[np.ndarray]]:
    """The inverse of `epoch_weights_to_bytes`: a list per epoch of that epoch's arrays, in order."""
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        names = sorted(arrays.files)
        epochs = sorted({int(name.split("_")[1]) for name in names})
        return [[np.array(arrays[name]) for name in names if name.startswith(f"epoch_{epoch:03d}_")]
                for epoch in epochs]


def read_model_file(data: bytes, config: TrainConfig, fingerprint: str) -> TrainResult:
    """Rebuild a `TrainResult` from a stored file's bytes; raises `UnusableFile` saying what is wrong."""
    with open_model_file(data) as archive:
        metadata, _ = read_metadata(archive, config, fingerprint)
        try:
            history = {str(name): [float(value) for value in values] for name, values in metadata["history"].items()}
            numbers = {key: float(metadata[key]) for key in ("test_accuracy", "test_loss", "seconds")}
            counts = {key: int(metadata[key]) for key in ("train_images", "validation_images", "snapshot_count",
                                                          "epoch_weight_count")}
            extras = dict(metadata["extras"])
            with np.load(io.BytesIO(archive.read(FILTERS_NAME)), allow_pickle=False) as arrays:
                snapshots = [
                    np.array(arrays[f"snapshot_{index:03d}"], dtype=np.float32)
                    for index in range(counts["snapshot_count"])
                ]
            weights = weights_from_bytes(archive.read(WEIGHTS_NAME))
            epochs_bytes = archive.read(EPOCHS_NAME)
            initial_bytes = archive.read(INITIAL_NAME) if INITIAL_NAME in archive.namelist() else None
        except Exception as error:  # noqa: BLE001 - wrong types, missing arrays, damaged entries
            raise UnusableFile(f"its contents are damaged ({error})") from error
    # An independent check that the weights are the network its settings describe: their shapes by arithmetic.
    expected = [shape for _, kernel, bias in weight_shapes(config) for shape in (kernel, bias)]
    if [values.shape for values in weights] != expected or any(values.dtype != np.float32 for values in weights):
        raise UnusableFile(f"its weights ({len(weights)} arrays) do not fit the network its settings describe")
    extras["saved_at"] = metadata.get("saved_at")
    epoch_weights = []
    if counts["epoch_weight_count"]:
        try:
            epoch_weights = epoch_weights_from_bytes(epochs_bytes)
        except Exception as error:  # noqa: BLE001 - a damaged archive
            raise UnusableFile(f"its weights per epoch are damaged ({error})") from error
        shapes = [values.shape for values in weights]
        if len(epoch_weights) != counts["epoch_weight_count"] - 1 or any(
                [values.shape for values in epoch] != shapes for epoch in epoch_weights):
            raise UnusableFile("its weights per epoch do not fit its model")
        epoch_weights.append([np.asarray(values, dtype=np.float16) for values in weights])
    initial_weights = None
    if initial_bytes is not None:
        try:
            initial_weights = weights_from_bytes(initial_bytes)
        except Exception as error:  # noqa: BLE001 - a damaged archive
            raise UnusableFile(f"its starting weights are damaged ({error})") from error
        if [values.shape for values in initial_weights] != expected or any(
                values.dtype != np.float16 for values in initial_weights):
            raise UnusableFile("its starting weights do not fit its model")
    return TrainResult(
        config=config,
        weights=weights,
        history=history,
        test_accuracy=numbers["test_accuracy"],
        test_loss=numbers["test_loss"],
        seconds=numbers["seconds"],
        filter_snapshots=snapshots,
        epoch_weights=epoch_weights,
        initial_weights=initial_weights,
        dataset_name=str(metadata["dataset_name"]),
        train_images=counts["train_images"],
        validation_images=counts["validation_images"],
        extras=extras,
    )
