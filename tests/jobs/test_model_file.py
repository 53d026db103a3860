"""A stored model's file: epoch 0 (the weights before training) goes in and comes back, a file written before it
was kept still reads, a damaged one is a sentence, and every reader checks its record the same way.

References: Keras's own start for the same settings and seed, and files assembled entry by entry with `zipfile`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.jobs.model_file import (
    EPOCHS_NAME,
    FILTERS_NAME,
    INITIAL_NAME,
    METADATA_NAME,
    WEIGHTS_NAME,
    UnusableFile,
    epoch_weights_from_bytes,
    epoch_weights_to_bytes,
    model_file_bytes,
    open_model_file,
    read_metadata,
    read_model_file,
    read_record,
    weights_to_bytes,
)
from cnnlab.network.backend import load_keras
from cnnlab.network.model import build_model, weight_shapes
from cnnlab.network.result import TrainResult

FINGERPRINT = "0123456789abcdef"


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def with_entry(data: bytes, name: str, content: bytes | None) -> bytes:
    """The model file `data` with entry `name` replaced by `content`, or left out when `content` is None."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for other, value in entries(data).items():
            if other != name:
                archive.writestr(other, value)
        if content is not None:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_the_start_is_stored_and_read_back_as_keras_built_it(tiny_result):
    data = model_file_bytes(tiny_result, FINGERPRINT)
    assert sorted(entries(data)) == sorted([METADATA_NAME, FILTERS_NAME, EPOCHS_NAME, WEIGHTS_NAME, INITIAL_NAME])
    loaded = read_model_file(data, tiny_result.config, FINGERPRINT)
    load_keras().utils.set_random_seed(tiny_result.config.seed)
    for stored, keras_values in zip(loaded.initial_weights, build_model(tiny_result.config).get_weights(),
                                    strict=True):
        assert stored.dtype == np.float16
        np.testing.assert_array_equal(stored, keras_values.astype(np.float16))


def test_a_file_written_before_the_start_was_kept_still_reads_without_it(tiny_result):
    old = model_file_bytes(replace(tiny_result, initial_weights=None), FINGERPRINT)
    assert INITIAL_NAME not in entries(old)
    loaded = read_model_file(old, tiny_result.config, FINGERPRINT)
    assert loaded.initial_weights is None
    assert len(loaded.epoch_weights) == len(tiny_result.epoch_weights) == tiny_result.config.epochs
    for stored, trained in zip(loaded.weights, tiny_result.weights, strict=True):
        np.testing.assert_array_equal(stored, trained)


def test_the_other_entries_are_the_same_with_or_without_the_start(tiny_result):
    # An older CNN Lab reads only the entries it knows, so a newer file must hold them unchanged.
    new, old = (entries(model_file_bytes(replace(tiny_result, initial_weights=start), FINGERPRINT))
                for start in (tiny_result.initial_weights, None))
    assert set(new) - set(old) == {INITIAL_NAME}
    assert all(new[name] == old[name] for name in old if name != METADATA_NAME)  # the record holds the saving time


@pytest.mark.parametrize(("start", "reason"), [
    ([np.zeros((2, 2), dtype=np.float16)], "its starting weights do not fit its model"),
    ("float32", "its starting weights do not fit its model"),
    (b"not an archive", "its starting weights are damaged"),
])
def test_a_start_that_does_not_fit_is_a_sentence(tiny_result, start, reason):
    if isinstance(start, bytes):
        content = start
    elif start == "float32":
        content = weights_to_bytes(tiny_result.initial_weights, np.float32)
    else:
        content = weights_to_bytes(start, np.float16)
    data = with_entry(model_file_bytes(tiny_result, FINGERPRINT), INITIAL_NAME, content)
    with pytest.raises(UnusableFile, match=reason):
        read_model_file(data, tiny_result.config, FINGERPRINT)


def test_epochs_named_from_their_own_number_read_back_in_order():
    first = [np.full((2, 3), 0.5), np.arange(3.0)]
    second = [np.full((2, 3), -1.0), np.ones(3)]
    data = epoch_weights_to_bytes([first, second], first_epoch=0)
    with np.load(io.BytesIO(data)) as arrays:
        assert sorted(arrays.files) == ["epoch_000_00", "epoch_000_01", "epoch_001_00", "epoch_001_01"]
    read = epoch_weights_from_bytes(data)
    assert [[values.dtype for values in epoch] for epoch in read] == [[np.float16] * 2] * 2
    for epoch, expected in zip(read, [first, second], strict=True):
        for values, original in zip(epoch, expected, strict=True):
            np.testing.assert_array_equal(values, original)


# --- the record: one check, made by every reader ----------------------------------------------------------------

RECORD_CONFIG = TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(8,), epochs=1)


def record_only_file(**changes) -> bytes:
    """A model file of zero weights (no Keras needed) whose record has `changes` applied; a None value drops a key."""
    weights = [np.zeros(shape, dtype=np.float32) for _, kernel, bias in weight_shapes(RECORD_CONFIG)
               for shape in (kernel, bias)]
    data = model_file_bytes(TrainResult(RECORD_CONFIG, weights, {"loss": [0.5]}, 0.9, 0.3, 12.0, [weights[0]],
                                        train_images=100), FINGERPRINT)
    metadata = json.loads(entries(data)[METADATA_NAME])
    for key, value in changes.items():
        if value is None:
            metadata.pop(key)
        else:
            metadata[key] = value
    return with_entry(data, METADATA_NAME, json.dumps(metadata).encode())


def test_a_sound_record_reads_the_same_through_every_reader():
    data = record_only_file()
    with open_model_file(data) as archive:
        metadata, config = read_metadata(archive, RECORD_CONFIG, FINGERPRINT)
    assert config == RECORD_CONFIG and metadata["fingerprint"] == FINGERPRINT
    record = read_record(data)
    assert (record.config, record.fingerprint, record.test_accuracy, record.seconds, record.train_images) == (
        RECORD_CONFIG, FINGERPRINT, 0.9, 12.0, 100)
    assert read_model_file(data, RECORD_CONFIG, FINGERPRINT).test_accuracy == 0.9


BAD_RECORDS = [
    (b"PK\x03\x04 cut short", "cannot be opened as a zip file"),
    (with_entry(record_only_file(), METADATA_NAME, None), "metadata.json cannot be read"),
    (with_entry(record_only_file(), METADATA_NAME, b"{not json"), "metadata.json cannot be read"),
    (with_entry(record_only_file(), METADATA_NAME, b"[1, 2]"), "metadata.json is not a JSON object"),
    (record_only_file(test_accuracy=None, seconds=None), "metadata.json lacks test_accuracy, seconds"),
    (record_only_file(format=2), "it is in format 2; this version reads 3"),
    (record_only_file(config={"epochs": 0}), "its settings are not valid"),
]


# Named by the sentence, not the bytes: a record holds the time it was saved, which differs between test processes.
@pytest.mark.parametrize(("data", "reason"), BAD_RECORDS, ids=[f"{index}: {reason}" for index, (_, reason)
                                                               in enumerate(BAD_RECORDS)])
def test_a_bad_record_is_the_same_sentence_from_every_reader(data, reason):
    with pytest.raises(UnusableFile, match=reason):
        read_record(data)
    with pytest.raises(UnusableFile, match=reason):
        read_model_file(data, RECORD_CONFIG, FINGERPRINT)


def test_a_file_of_another_key_is_refused_by_a_reader_that_asks_for_one():
    data = record_only_file()
    other = TrainConfig(conv_layers=((3, 5), (2, 3)), dense_units=(8,), epochs=1)
    with pytest.raises(UnusableFile, match="other settings"):
        read_model_file(data, other, FINGERPRINT)
    with pytest.raises(UnusableFile, match=f"trained on data with fingerprint {FINGERPRINT}, not on the data asked "
                                           "for \\(fedcba9876543210\\)"):
        read_model_file(data, RECORD_CONFIG, "fedcba9876543210")
    assert read_record(data).config == RECORD_CONFIG  # listing the store asks for no key
