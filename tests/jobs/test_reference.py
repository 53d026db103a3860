"""The reference model that ships with CNN Lab: it loads through the store, it is the reference network, it scores
at least 98.5 % on MNIST's 10,000 test digits, it makes every page work on a first visit, and the script that made
it trains the same weights every time.

References: the tutorial's summary table typed out here, MNIST's test labels, Keras's own start for the default
settings and seed, and a second training.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import open_page, page_text

from cnnlab.app import resources
from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import load_dataset
from cnnlab.jobs import reference
from cnnlab.jobs.model_file import INITIAL_NAME, model_file_bytes, read_model_file
from cnnlab.jobs.reference import install_reference_model
from cnnlab.jobs.store import ModelStore
from cnnlab.lens.activations import predict_proba
from cnnlab.network.backend import load_keras
from cnnlab.network.model import build_model, model_summary

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_TABLE = [
    ("conv1", "Conv2D", (None, 24, 24, 30), 780),
    ("pool", "MaxPooling2D", (None, 12, 12, 30), 0),
    ("conv2", "Conv2D", (None, 10, 10, 15), 4065),
    ("dropout", "Dropout", (None, 10, 10, 15), 0),
    ("flatten", "Flatten", (None, 1500), 0),
    ("dense1", "Dense", (None, 128), 192128),
    ("dense2", "Dense", (None, 50), 6450),
    ("output", "Dense", (None, 10), 510),
]


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture
def installed(shipped_model, mnist, tmp_path):
    """The shipped model, installed into an empty store folder and loaded back through the store."""
    assert install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    result = ModelStore(tmp_path).load(TrainConfig(), mnist.fingerprint)
    assert result is not None
    return result


def test_the_shipped_file_is_well_under_3_mb(shipped_model):
    assert shipped_model.stat().st_size < 3_000_000


def test_the_shipped_model_loads_through_the_store_and_is_the_reference_network(installed):
    rows = [(row["layer"], row["kind"], row["output_shape"], row["params"]) for row in model_summary(installed.model)]
    assert rows == REFERENCE_TABLE
    assert installed.model.count_params() == 780 + 4_065 + 192_128 + 6_450 + 510 == 203_933
    assert [layer.name for layer in installed.model.layers] == [row[0] for row in REFERENCE_TABLE]
    assert installed.config == TrainConfig() and installed.train_images == 54_000
    assert len(installed.filter_snapshots) == 4 and installed.filter_snapshots[0].shape == (5, 5, 1, 30)
    assert len(installed.history["val_accuracy"]) == 3


def test_the_shipped_models_epoch_0_is_keras_own_start_for_the_default_settings_and_seed_0(installed):
    load_keras().utils.set_random_seed(0)
    start = build_model(TrainConfig()).get_weights()
    assert installed.initial_weights is not None
    for stored, keras_values in zip(installed.initial_weights, start, strict=True):
        assert stored.dtype == np.float16
        np.testing.assert_array_equal(stored, keras_values.astype(np.float16))
    np.testing.assert_array_equal(start[0], installed.filter_snapshots[0])  # the training's own record of it


def test_the_shipped_model_scores_at_least_98_5_percent_on_the_10000_test_digits(installed, mnist):
    predicted = predict_proba(installed.network, mnist.x_test).argmax(axis=1)  # in batches of uint8 → float
    accuracy = float((predicted == mnist.y_test).mean())
    assert accuracy >= 0.985
    assert accuracy == pytest.approx(installed.test_accuracy, abs=1e-4)  # what its record says


def test_installing_twice_copies_once_and_never_replaces_a_stored_default(shipped_model, mnist, tmp_path):
    assert install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    (copied,) = tmp_path.glob("*.zip")
    assert copied.read_bytes() == shipped_model.read_bytes()
    copied.write_bytes(b"a default model a student trained")
    assert not install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    assert copied.read_bytes() == b"a default model a student trained"
    assert sorted(path.name for path in tmp_path.iterdir()) == [copied.name]  # no temporary file left


def without_entry(data: bytes, name: str) -> bytes:
    """A model file's bytes less one entry, as an earlier CNN Lab wrote it (the others' contents unchanged)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(buffer, "w") as copy:
        for info in original.infolist():
            if info.filename != name:
                copy.writestr(info, original.read(info))
    return buffer.getvalue()


def test_a_store_holding_the_copy_shipped_before_epoch_0_gets_the_new_one(shipped_model, mnist, tmp_path):
    assert install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    (copied,) = tmp_path.glob("*.zip")
    copied.write_bytes(without_entry(shipped_model.read_bytes(), INITIAL_NAME))
    assert ModelStore(tmp_path).load(TrainConfig(), mnist.fingerprint).initial_weights is None  # still readable
    assert install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    assert copied.read_bytes() == shipped_model.read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == [copied.name]


def test_a_default_model_a_student_trained_is_never_replaced_even_without_epoch_0(shipped_model, reference_result,
                                                                                  mnist, tmp_path):
    assert install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    (copied,) = tmp_path.glob("*.zip")
    # The same weights, stored by an earlier CNN Lab after a training of its own: only its record differs.
    own = model_file_bytes(replace(reference_result, initial_weights=None, seconds=250.0), mnist.fingerprint)
    copied.write_bytes(own)
    assert not install_reference_model(ModelStore(tmp_path), mnist.fingerprint)
    assert copied.read_bytes() == own


def test_a_shipped_model_made_for_other_data_is_not_installed_and_the_log_says_why(shipped_model, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.reference"):
        assert not install_reference_model(ModelStore(tmp_path), "0123456789abcdef")
    assert list(tmp_path.iterdir()) == []
    assert "trained on data with fingerprint" in caplog.text and "0123456789abcdef" in caplog.text


def test_a_shipped_file_of_other_settings_is_not_installed_and_the_log_says_why(tiny_result, tmp_path, monkeypatch,
                                                                                caplog):
    shipped = tmp_path / "shipped.zip"
    shipped.write_bytes(model_file_bytes(tiny_result, "0123456789abcdef"))
    monkeypatch.setattr(reference, "REFERENCE_MODEL_PATH", shipped)
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.reference"):
        assert not install_reference_model(ModelStore(tmp_path / "store"), "0123456789abcdef")
    assert list((tmp_path / "store").iterdir()) == []
    assert "other settings" in caplog.text and "make_reference_model.py" in caplog.text


def test_on_a_first_visit_the_service_has_the_default_model_and_train_reuses_it(shipped_model, mnist):
    resources.get_service.clear()
    try:
        service = resources.get_service()
        job = service.find(TrainConfig(), mnist)
        assert job is not None and job.result is not None and job.result.test_accuracy >= 0.985
        assert service.submit(TrainConfig(), mnist) is job  # nothing to train
        assert service.running() == []
        app = open_page("app_pages/activations.py")
        assert not app.exception, [item.value for item in app.exception]
        text = page_text(app)
        assert "needs a trained model" not in text and "Prediction:" in text
        # The Share page offers the reference model's link without calling it untrained.
        share = page_text(open_page("app_pages/share.py"))
        assert "The address bar always holds a link" in share and "not trained on this server" not in share
    finally:
        resources.get_service.clear()


def load_script():
    """scripts/make_reference_model.py, imported only by the tests that use it."""
    from scripts import make_reference_model

    return make_reference_model


@pytest.mark.slow
def test_the_scripts_training_gives_bit_identical_weights_twice():
    script = load_script()
    config = TrainConfig(conv_layers=((4, 5), (4, 3)), dense_units=(16,), epochs=1, train_size=500)
    first, fingerprint = script.train_reference(config)
    second, again = script.train_reference(config)
    assert fingerprint == again == load_dataset("mnist").fingerprint
    for one, other in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(one, other)
    assert first.history == second.history
    # Its file is the store's format: it loads back as the model for that config and data.
    with zipfile.ZipFile(io.BytesIO(script.model_file_bytes(first, fingerprint))) as archive:
        assert sorted(archive.namelist()) == ["epochs.npz", "filters.npz", "initial.npz", "metadata.json",
                                              "weights.npz"]


# --- adding epoch 0 to a file made before it was kept, without training again ------------------------------------


def test_the_script_adds_the_trainings_own_start_and_keeps_every_other_byte(tiny_result):
    script = load_script()
    old = model_file_bytes(replace(tiny_result, initial_weights=None), "f" * 16)
    new = script.add_initial_weights(old)
    # Everything before the old central directory (each entry's header and data) is as it was.
    kept = script.central_directory_offset(old)
    assert new[:kept] == old[:kept] and len(new) > len(old)
    with zipfile.ZipFile(io.BytesIO(old)) as before, zipfile.ZipFile(io.BytesIO(new)) as after:
        assert after.namelist() == [*before.namelist(), INITIAL_NAME]
        assert all(after.read(name) == before.read(name) for name in before.namelist())
    # The rebuilt start is the one the training kept while it ran.
    loaded = read_model_file(new, tiny_result.config, "f" * 16)
    for rebuilt, kept_start in zip(loaded.initial_weights, tiny_result.initial_weights, strict=True):
        np.testing.assert_array_equal(rebuilt, kept_start)
    assert script.add_initial_weights(old) == new  # the same bytes on every run
    with pytest.raises(ValueError, match="already holds the weights before training"):
        script.add_initial_weights(new)


def test_the_script_refuses_a_file_whose_settings_do_not_rebuild_its_start(tiny_result):
    script = load_script()
    snapshots = [tiny_result.filter_snapshots[0] + 0.01, *tiny_result.filter_snapshots[1:]]
    other = replace(tiny_result, initial_weights=None, filter_snapshots=snapshots)
    with pytest.raises(ValueError, match="Keras rebuilds other conv1 filters than the file's snapshot"):
        script.add_initial_weights(model_file_bytes(other, "f" * 16))
