"""The class's experiments: the table against the store's own files, read independently, and the page."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import pytest
from helpers import open_page, page_text

from cnnlab.config import TrainConfig
from cnnlab.experiments import experiments_table
from cnnlab.jobs.store import ModelStore

NO_HIDDEN = TrainConfig(conv1_filters=2, conv2_filters=3, dense_units=(), epochs=1, train_size=None)
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
    assert newest["training seconds"] == pytest.approx(12.25, abs=0.05)
    assert newest["parameters"] == NO_HIDDEN_PARAMETERS
    assert newest["hidden dense layers"] == "no hidden layers" and newest["training images"] == "all"
    assert newest["filters in conv layer 1"] == 2 and newest["augmentation"] == "off"
    assert oldest["test accuracy"] == pytest.approx(files["a" * 16]["test_accuracy"])
    assert oldest["training images"] == f"{tiny_result.config.train_size:,}"


def test_a_damaged_file_is_left_out_of_the_table(tmp_path, tiny_result):
    store = ModelStore(tmp_path)
    assert store.save(tiny_result, "a" * 16)
    (tmp_path / ("0" * 32 + ".zip")).write_bytes(b"not a zip at all")
    assert len(experiments_table(store.records())) == 1


def test_the_page_charts_every_model_the_server_knows(empty_service, sample):
    job = empty_service.submit(NO_HIDDEN.__class__(conv1_filters=2, conv2_filters=2, dense_units=(), epochs=1,
                                                   train_size=200), sample)
    assert empty_service.wait(job, 300) and job.state.value == "done", job.error
    app = open_page("app_pages/experiments.py")
    assert not app.exception
    assert "1 model so far" in page_text(app)
    assert len(app.dataframe[0].value) == len(empty_service.records()) == 1
    app.selectbox(key="experiments_colour").set_value("dropout").run()
    assert not app.exception


def test_the_page_says_when_there_is_nothing_yet(empty_service):
    app = open_page("app_pages/experiments.py")
    assert not app.exception
    assert "No model has been trained on this server yet" in page_text(app)
