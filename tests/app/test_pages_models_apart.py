"""Models a class can tell apart, and charts that do not mislead, on The class's experiments and Compare two models:
each model named by what sets it apart from the reference model, the tab's own marked "yours", the table sorted and
its accuracies written alike, the shipped model's time (measured on another computer) kept off this server's time
axis, and both of Compare's filter grids on one colour scale.

References: the records and weights the tests hand the pages, and NumPy's largest weight of both models.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from helpers import open_page, page_text

from cnnlab.app import model_choice, resources
from cnnlab.config import TrainConfig
from cnnlab.jobs.job import Job
from cnnlab.jobs.model_file import ModelRecord, read_record


@pytest.fixture
def seed_records(shipped_model, empty_service, monkeypatch):
    """A server that knows the shipped reference model and two trainings of the default settings with other seeds,
    the one with seed 7 trained by this test's tab."""
    fingerprint = resources.get_dataset("mnist").fingerprint
    shipped = read_record(shipped_model)  # the shipped file's own metadata
    records = [ModelRecord(TrainConfig(seed=123), fingerprint, 0.9893, 25.2, 54_000, "MNIST", shipped.saved_at + 2),
               shipped,
               ModelRecord(TrainConfig(seed=7), fingerprint, 0.9901, 27.5, 54_000, "MNIST", shipped.saved_at + 1)]
    monkeypatch.setattr(empty_service, "records", lambda include_hidden=False: records)
    return records, {model_choice.OWN_MODELS: frozenset({(TrainConfig(seed=7), fingerprint)})}


def chart_data(app, index: int) -> list[dict]:
    """The rows of the `index`th chart on the page, as its spec carries them or as Streamlit sends them apart."""
    import pyarrow

    chart = app.get("vega_lite_chart")[index].proto
    if chart.datasets:
        return pyarrow.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pylist()
    return [row for rows in json.loads(chart.spec).get("datasets", {}).values() for row in rows]


def test_experiments_names_each_model_by_what_sets_it_apart_and_marks_the_tabs_own(seed_records):
    records, state = seed_records
    app = open_page("app_pages/experiments.py", **state)
    assert not app.exception, [item.value for item in app.exception]
    table = app.dataframe[0].value  # the most accurate first
    assert list(table["model"]) == ["seed 7", "seed 123", "the reference settings (shipped with CNN Lab)"]
    assert list(table["yours"]) == ["yours", "", ""]
    # One number format for every accuracy: percent with two decimals (Streamlit shows the step's decimals less two).
    columns = json.loads(app.dataframe[0].proto.columns)
    assert columns["test accuracy"]["type_config"] == {"type": "number", "format": "percent", "step": 0.0001}
    app.selectbox(key="experiments_order").set_value("newest first").run()
    assert list(app.dataframe[0].value["model"]) == [
        "seed 123", "seed 7", "the reference settings (shipped with CNN Lab)"]
    assert "seed" in app.selectbox(key="experiments_colour").options
    # The size chart has every model; the time chart only those timed on this server, and says why.
    assert len(chart_data(app, 0)) == 3
    assert sorted(row["training seconds"] for row in chart_data(app, 1)) == [25.2, 27.5]
    assert "trained on another computer, so its time is left off this chart" in page_text(app)


def test_a_picked_model_shows_all_its_settings(seed_records):
    records, state = seed_records
    app = open_page("app_pages/experiments.py", **state)
    # A click on the table's second row, as the browser reports it.
    app.session_state["experiments_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    assert "**Picked:** seed 123 · 98.93% on the test digits" in text
    assert ("All its settings: 30 + 15 filters · hidden layers 128 → 50 · dropout 0.2 · 3 epochs · batch 100 · "
            "learning rate 0.001 · all training images · no augmentation · seed 123") in text


@pytest.fixture
def two_seeds(reference_result, empty_service, monkeypatch):
    """Two finished models of the default settings a seed apart: the shipped one, and one with seed 123 whose conv1
    weights are larger (1.6 times the reference model's), as after a different training. This tab trained the
    second."""
    dataset = resources.get_dataset("mnist")
    larger = [values * np.float32(1.6) if index == 0 else values
              for index, values in enumerate(reference_result.weights)]
    other = replace(reference_result, config=TrainConfig(seed=123), weights=larger, _model=None)
    jobs = [Job.from_stored(TrainConfig(), dataset, reference_result),
            Job.from_stored(TrainConfig(seed=123), dataset, other)]
    monkeypatch.setattr(empty_service, "finished_jobs", lambda: jobs)
    return jobs


def colour_domain(app, index: int) -> list[float]:
    spec = json.loads(app.get("vega_lite_chart")[index].proto.spec)
    return spec["spec"]["encoding"]["color"]["scale"]["domain"]


def test_compare_names_the_models_apart_and_draws_both_grids_of_filters_on_one_scale(two_seeds, digit_state,
                                                                                    monkeypatch):
    reference, other = two_seeds
    monkeypatch.setattr(model_choice, "chosen_job", lambda: other)  # the model this tab trained and uses
    app = open_page("app_pages/compare.py", **{model_choice.OWN_MODELS: frozenset({other.key}), **digit_state})
    assert not app.exception, [item.value for item in app.exception]
    accuracy = f"{reference.result.test_accuracy:.2%}"
    assert list(app.selectbox(key="compare_second").options) == [f"the reference settings · {accuracy}",
                                                                 f"seed 123 · {accuracy} · yours"]
    grids = [index for index, chart in enumerate(app.get("vega_lite_chart")) if '"facet"' in chart.proto.spec]
    assert len(grids) == 2
    largest = max(float(np.abs(job.result.weights[0]).max()) for job in two_seeds)
    for index in grids:
        low, middle, high = colour_domain(app, index)
        assert (low, middle, high) == (pytest.approx(-largest), 0, pytest.approx(largest))
    assert f"full blue is a weight of {largest:.2f}" in page_text(app)
