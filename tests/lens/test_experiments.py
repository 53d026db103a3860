"""The class's experiments: the table against the store's own files, read independently, and the page."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import pytest
from helpers import open_page, page_text

from cnnlab.app import resources
from cnnlab.config import TrainConfig
from cnnlab.jobs.model_file import ModelRecord
from cnnlab.jobs.store import ModelStore
from cnnlab.lens.experiments import SORT_ORDERS, experiments_table, shipped_record, sorted_records

NO_HIDDEN = TrainConfig(conv_layers=((2, 5), (3, 3)), dense_units=(), epochs=1, train_size=None)
# By hand: conv1 2 × (25 + 1), conv2 3 × (2 × 9 + 1), output 10 × (3 × 10 × 10 + 1).
NO_HIDDEN_PARAMETERS = 2 * 26 + 3 * 19 + 10 * 301


def metadata_in(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("metadata.json"))


def test_the_table_has_one_row_per_stored_model_with_the_files_own_numbers(tmp_path, tiny_result):
    store = ModelStore(tmp_path)
    other = replace(tiny_result, config=NO_HIDDEN, test_accuracy=0.5, seconds=12.25)
    assert store.save(tiny_result, "a" * 16) and store.save(other, "b" * 16)
    files = {metadata_in(path)["fingerprint"]: metadata_in(path) for path in tmp_path.glob("*.zip")}
    table = experiments_table(store.records())
    assert len(table) == 2
    newest, oldest = table.iloc[0], table.iloc[1]  # the most recently saved first
    assert newest["test accuracy"] == files["b" * 16]["test_accuracy"] == 0.5
    assert newest["training seconds"] == round(files["b" * 16]["seconds"], 1)
    assert newest["parameters"] == NO_HIDDEN_PARAMETERS
    assert newest["hidden dense layers"] == "no hidden layers" and newest["training images"] == "all"
    assert newest["conv layers"] == "2 filters 5×5, 3 filters 3×3" and newest["augmentation"] == "off"
    assert (newest["pooling"], newest["padding"], newest["stride"]) == ("max 2 × 2", "valid", 1)
    assert (newest["activation"], newest["optimiser"]) == ("ReLU", "RMSprop")
    assert oldest["test accuracy"] == pytest.approx(files["a" * 16]["test_accuracy"])
    assert oldest["training images"] == f"{tiny_result.config.train_size:,}"


def test_a_damaged_file_is_left_out_of_the_table(tmp_path, tiny_result):
    store = ModelStore(tmp_path)
    assert store.save(tiny_result, "a" * 16)
    (tmp_path / ("0" * 32 + ".zip")).write_bytes(b"not a zip at all")
    assert len(experiments_table(store.records())) == 1


@pytest.mark.slow
def test_the_page_charts_every_model_the_server_knows(shipped_model, empty_service):
    # A fresh server knows the reference model that ships with CNN Lab; then a student trains another.
    app = open_page("app_pages/experiments.py")
    assert not app.exception
    assert "1 model so far" in page_text(app)
    dataset = resources.get_dataset("mnist")
    job = empty_service.submit(TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1,
                                           train_size=200), dataset)
    assert empty_service.wait(job, 300) and job.state.value == "done", job.error
    app = open_page("app_pages/experiments.py")
    assert not app.exception
    assert "2 models so far" in page_text(app)
    table = app.dataframe[0].value
    assert len(table) == len(empty_service.records()) == 2
    assert sorted(table["parameters"]) == [2 * 26 + 2 * 19 + 10 * 201, 203_933]
    app.selectbox(key="experiments_colour").set_value("dropout").run()
    assert not app.exception


def record(config: TrainConfig, accuracy: float, seconds: float, saved_at: float,
           fingerprint: str = "m" * 16) -> ModelRecord:
    """A model's record as the store reads it from a file's metadata, written here by hand."""
    return ModelRecord(config, fingerprint, accuracy, seconds, 54_000, "MNIST", saved_at)


SEEDS = [record(TrainConfig(seed=seed), accuracy, seconds, saved_at)
         for seed, accuracy, seconds, saved_at in [(123, 0.9893, 25.0, 300.0), (7, 0.9901, 27.5, 100.0),
                                                   (0, 0.9891, 190.5, 50.0)]]


def test_models_a_seed_apart_are_told_apart_and_the_tabs_own_are_marked():
    table = experiments_table(SEEDS, own={(TrainConfig(seed=7), "m" * 16)}, shipped=SEEDS[2])
    assert list(table["model"]) == ["seed 123", "seed 7", "the reference settings (shipped with CNN Lab)"]
    assert list(table["yours"]) == ["", "yours", ""]
    assert list(table["timed here"]) == [True, True, False]  # the shipped model was timed on another computer
    assert table["settings"][0].endswith("seed 123") and table["seed"][0] == 123
    uploaded = replace(record(TrainConfig(epochs=1), 0.9, 3.0, 1.0, fingerprint="c" * 16),
                       dataset_name="Uploaded CSV: digits.csv")
    named = experiments_table([uploaded, SEEDS[0]], usual_fingerprint="m" * 16)
    assert list(named["model"]) == ["1 epoch · Uploaded CSV: digits.csv", "seed 123"]


def test_the_table_sorts_by_accuracy_by_age_and_by_training_time_with_the_shipped_time_last():
    by = {order: [row.config.seed for row in sorted_records(SEEDS, order, shipped=SEEDS[2])] for order in SORT_ORDERS}
    assert by == {"highest test accuracy first": [7, 123, 0], "newest first": [123, 7, 0],
                  "quickest training first": [123, 7, 0]}
    with pytest.raises(ValueError, match="can be sorted by"):
        sorted_records(SEEDS, "by colour")


def test_the_shipped_models_record_is_the_one_a_fresh_store_holds(shipped_model, tmp_path):
    from cnnlab.digits.datasets import load_dataset
    from cnnlab.jobs.reference import install_reference_model

    assert install_reference_model(ModelStore(tmp_path), load_dataset("mnist").fingerprint)
    [installed] = ModelStore(tmp_path).records()
    assert shipped_record() == installed
    assert installed.config == TrainConfig() and installed.seconds > 60  # timed on the machine that made it


def test_no_shipped_record_without_a_shipped_model():
    assert shipped_record() is None  # the test session's servers start without the shipped model
