"""The model store: round trips, damaged files, a full disk, the size bound, and a save cut short by a kill."""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import signal
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import fill_the_disk_while_writing

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.jobs.store import STALE_TEMPORARY_SECONDS, ModelStore, default_store_directory

FINGERPRINT = "0123456789abcdef"
SMALL = TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(8,), epochs=1, train_size=200)

# Run in a separate process: get killed (SIGKILL: no clean-up of any kind) while a finished model is being
# written, after its bytes are out but before the file is renamed into place.
KILLED_WHILE_SAVING = """
import json, os, signal, sys
from pathlib import Path
import numpy as np
from cnnlab.config import TrainConfig
from cnnlab.jobs.store import ModelStore
from cnnlab.network.result import TrainResult

config = TrainConfig.from_dict(json.loads(sys.argv[2]))
store = ModelStore(Path(sys.argv[1]))
weights = [np.zeros(1000, dtype=np.float32)]  # any arrays: the file is never read back
result = TrainResult(config, weights, {"loss": [0.5]}, 0.9, 0.3, 1.0, [np.zeros((5, 5, 1, 2))])
os.fsync = lambda descriptor: os.kill(os.getpid(), signal.SIGKILL)
store.save(result, sys.argv[3])
"""


def model_files(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def predictions(model, images: np.ndarray) -> np.ndarray:
    return np.asarray(model(to_model_input(images), training=False))


def test_a_saved_model_comes_back_with_the_same_predictions_and_numbers(tmp_path, tiny_result, sample):
    assert ModelStore(tmp_path).save(tiny_result, FINGERPRINT)
    # A new store object on the same folder, as in a new server process.
    loaded = ModelStore(tmp_path).load(tiny_result.config, FINGERPRINT)
    assert loaded is not None and loaded.model is not tiny_result.model
    digits = sample.x_test[:32]
    np.testing.assert_allclose(predictions(loaded.model, digits), predictions(tiny_result.model, digits), atol=1e-6)
    assert loaded.config == tiny_result.config
    assert loaded.history == tiny_result.history
    assert (loaded.test_accuracy, loaded.test_loss, loaded.seconds) == (
        tiny_result.test_accuracy,
        tiny_result.test_loss,
        tiny_result.seconds,
    )
    assert (loaded.dataset_name, loaded.train_images, loaded.validation_images) == (
        tiny_result.dataset_name,
        tiny_result.train_images,
        tiny_result.validation_images,
    )
    assert len(loaded.filter_snapshots) == len(tiny_result.filter_snapshots) == tiny_result.config.epochs + 1
    for restored, original in zip(loaded.filter_snapshots, tiny_result.filter_snapshots, strict=True):
        np.testing.assert_array_equal(restored, original)
    np.testing.assert_array_equal(
        loaded.model.get_layer("conv1").get_weights()[0], tiny_result.model.get_layer("conv1").get_weights()[0]
    )
    assert len(model_files(tmp_path)) == 1


def test_a_missing_model_is_none_and_names_never_leave_the_folder(tmp_path):
    store = ModelStore(tmp_path)
    assert store.load(SMALL, FINGERPRINT) is None
    assert store.path_for(SMALL, "../../../etc/passwd").parent == tmp_path
    assert store.path_for(SMALL, FINGERPRINT) == store.path_for(replace(SMALL, dense_units=[8]), FINGERPRINT)
    assert store.path_for(SMALL, FINGERPRINT) != store.path_for(replace(SMALL, seed=1), FINGERPRINT)
    assert store.path_for(SMALL, FINGERPRINT) != store.path_for(SMALL, "fedcba9876543210")


def truncate(store: ModelStore, result, path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def random_bytes(store: ModelStore, result, path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(5000))


def another_keys_model(store: ModelStore, result, path: Path) -> None:
    # The same model saved for other data, then put where this key's model belongs.
    assert store.save(result, "fedcba9876543210")
    os.replace(store.path_for(result.config, "fedcba9876543210"), path)


def metadata_without_fields(store: ModelStore, result, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"format": 1}))


def weights_of_another_shape(store: ModelStore, result, path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    other = io.BytesIO()
    np.savez(other, weight_00=np.zeros((5, 5, 1, 3), dtype=np.float32))
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, other.getvalue() if name == "weights.npz" else data)


@pytest.mark.parametrize(
    "damage", [truncate, random_bytes, another_keys_model, metadata_without_fields, weights_of_another_shape]
)
def test_a_damaged_file_is_reported_set_aside_and_retrained(tmp_path, tiny_result, damage, caplog):
    store = ModelStore(tmp_path)
    assert store.save(tiny_result, FINGERPRINT)
    path = store.path_for(tiny_result.config, FINGERPRINT)
    damage(store, tiny_result, path)
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.store"):
        assert store.load(tiny_result.config, FINGERPRINT) is None
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(path.name in message for message in warnings), warnings
    assert not path.exists()  # moved aside, so the next request retrains instead of failing again
    assert store.save(tiny_result, FINGERPRINT)
    assert store.load(tiny_result.config, FINGERPRINT) is not None


def fail_replace(monkeypatch):
    def replace_on_a_full_disk(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", replace_on_a_full_disk)


def fail_fsync(monkeypatch):
    def fsync_on_a_full_disk(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync_on_a_full_disk)


def fail_writing_the_model(monkeypatch):
    fill_the_disk_while_writing(monkeypatch, 1 / 3)


@pytest.mark.parametrize("fill_disk", [fail_replace, fail_fsync, fail_writing_the_model])
def test_a_full_disk_leaves_no_file_behind_and_keeps_earlier_models(tmp_path, tiny_result, fill_disk, caplog):
    store = ModelStore(tmp_path)
    assert store.save(tiny_result, FINGERPRINT)
    before = model_files(tmp_path)
    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.ERROR, logger="cnnlab.jobs.store"):
        fill_disk(patch)
        assert store.save(replace(tiny_result, config=replace(tiny_result.config, seed=1)), FINGERPRINT) is False
    assert any("No space left on device" in record.getMessage() for record in caplog.records)
    assert model_files(tmp_path) == before
    assert store.load(tiny_result.config, FINGERPRINT) is not None


def test_the_least_recently_used_models_go_first(tmp_path, tiny_result):
    store = ModelStore(tmp_path, max_models=3)
    fingerprints = [f"{index:016x}" for index in range(5)]
    for fingerprint in fingerprints[:3]:
        assert store.save(tiny_result, fingerprint)
    assert store.load(tiny_result.config, fingerprints[0]) is not None  # now the second is least recently used
    for fingerprint in fingerprints[3:]:
        assert store.save(tiny_result, fingerprint)
    assert len(model_files(tmp_path)) == 3
    kept = [fingerprint for fingerprint in fingerprints if store.load(tiny_result.config, fingerprint) is not None]
    assert kept == [fingerprints[0], fingerprints[3], fingerprints[4]]


def test_a_byte_budget_keeps_only_what_fits(tmp_path, tiny_result):
    probe = ModelStore(tmp_path / "probe")
    assert probe.save(tiny_result, FINGERPRINT)
    size = probe.path_for(tiny_result.config, FINGERPRINT).stat().st_size
    store = ModelStore(tmp_path / "budget", max_bytes=int(size * 2.5))
    for index in range(4):
        assert store.save(tiny_result, f"{index:016x}")
    assert len(model_files(tmp_path / "budget")) == 2


def test_a_process_killed_while_saving_leaves_no_model_and_its_leftovers_are_cleaned(tmp_path, earlier_process):
    killed = earlier_process(KILLED_WHILE_SAVING, str(tmp_path), json.dumps(SMALL.to_dict()), FINGERPRINT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (leftover,) = tmp_path.iterdir()  # its half-done temporary file
    assert not ModelStore(tmp_path).contains(SMALL, FINGERPRINT)
    assert ModelStore(tmp_path).load(SMALL, FINGERPRINT) is None
    assert leftover.exists()  # young: it might belong to a live writer in another process sharing the folder
    old = leftover.stat().st_mtime - STALE_TEMPORARY_SECONDS - 1
    os.utime(leftover, (old, old))
    ModelStore(tmp_path)
    assert model_files(tmp_path) == []


def test_the_folder_comes_from_the_environment_or_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLAB_MODEL_DIR", str(tmp_path / "models"))
    assert default_store_directory() == tmp_path / "models"
    monkeypatch.delenv("CNNLAB_MODEL_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_store_directory() == tmp_path / "cache" / "cnnlab" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store_directory() == tmp_path / "home" / ".cache" / "cnnlab" / "models"


def test_an_unwritable_folder_keeps_nothing_but_never_raises(tmp_path, tiny_result, caplog):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.store"):
        store = ModelStore(blocker / "models")
    assert not store.available and "could not be created" in caplog.text
    assert store.save(tiny_result, FINGERPRINT) is False
    assert store.load(tiny_result.config, FINGERPRINT) is None


def test_settings_of_a_reloaded_config_module_still_find_their_file(tmp_path, tiny_result, monkeypatch):
    # `streamlit run` re-imports CNN Lab's modules when their source changes; a server then asks with settings of
    # a second `TrainConfig` class. Its file must load, not be set aside as another model's.
    import importlib.util

    import cnnlab.config

    spec = importlib.util.spec_from_file_location("reloaded_config", cnnlab.config.__file__)
    reloaded = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, reloaded)  # dataclasses look their module up while being made
    spec.loader.exec_module(reloaded)
    asked = reloaded.TrainConfig.from_dict(tiny_result.config.to_dict())
    assert asked != tiny_result.config  # the two classes' instances never compare equal
    store = ModelStore(tmp_path)
    assert store.save(tiny_result, FINGERPRINT)
    assert store.load(asked, FINGERPRINT) is not None
    assert model_files(tmp_path) == [store.path_for(tiny_result.config, FINGERPRINT).name]
