"""The bar and point charts: the class's experiments coloured by a setting's own words, on an accuracy axis that
starts at a floor, with readable numbers for a single model; a channel's contributions, accuracy per digit and a
selected point. Checked on the Vega-Lite specifications Altair writes, against values written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnnlab.pictures.charts import (
    channel_contributions,
    experiments_scatter,
    ordered_values,
    per_class_bars,
    selected_point,
)


def chart_rows(chart) -> list[dict]:
    """The rows of the first data set in a chart's Vega-Lite spec."""
    datasets = chart.to_dict()["datasets"]
    return next(iter(datasets.values()))


def experiments_frame(rows: list[tuple]) -> pd.DataFrame:
    """An experiments table (the columns the charts read) of (epochs, learning rate, seed, accuracy, seconds) rows."""
    return pd.DataFrame([{"model": f"model {index}", "settings": "…", "parameters": 203_933, "epochs": epochs,
                          "learning rate": rate, "seed": seed, "test accuracy": accuracy, "training seconds": seconds}
                         for index, (epochs, rate, seed, accuracy, seconds) in enumerate(rows)])


SEED_NOISE = [(3, 0.001, 0, 0.9891, 190.5), (3, 0.001, 123, 0.9900, 25.2), (1, 0.01, 7, 0.9878, 9.8)]


def test_experiment_colours_are_the_settings_own_words_in_order_never_a_pale_continuous_scale():
    frame = experiments_frame(SEED_NOISE)
    for colour, labels, kind in [("epochs", ["1", "3"], "ordinal"), ("learning rate", ["0.001", "0.01"], "ordinal"),
                                 ("seed", ["0", "7", "123"], "nominal")]:
        encoding = experiments_scatter(frame, "parameters", colour, log_x=True).to_dict()["encoding"]["color"]
        assert encoding["type"] == kind and encoding["scale"]["domain"] == labels, colour
        if kind == "ordinal":  # dark to light, stopping before the light end that vanishes on a white page
            assert encoding["scale"]["scheme"]["extent"][1] <= 0.85
    assert ordered_values(pd.Series(["all", "1,000", "30,000", "5,000"])) == ["1,000", "5,000", "30,000", "all"]
    assert ordered_values(pd.Series(["128 → 50", "no hidden layers", "16"])) == ["no hidden layers", "16",
                                                                               "128 → 50"]


def test_the_accuracy_axis_starts_at_a_floor_so_seed_noise_does_not_fill_the_chart():
    spec = experiments_scatter(experiments_frame(SEED_NOISE), "training seconds", "epochs").to_dict()
    low, high = spec["encoding"]["y"]["scale"]["domain"]
    accuracies = np.array([row[3] for row in SEED_NOISE])
    assert low <= 0.9 and high == 1.0
    assert (accuracies.max() - accuracies.min()) / (high - low) < 0.05  # 0.2 points of noise: a sliver of the axis
    lowest = experiments_scatter(experiments_frame([(1, 0.01, 0, 0.42, 3.0)]), "training seconds", "epochs")
    assert lowest.to_dict()["encoding"]["y"]["scale"]["domain"][0] == pytest.approx(0.4)


def test_one_model_gets_axes_with_readable_numbers():
    spec = experiments_scatter(experiments_frame(SEED_NOISE[:1]), "training seconds", "epochs").to_dict()
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert x["axis"]["format"] == ",.0f" and y["axis"]["format"] == ".0%"  # not "190.500000" and "98.909998%"
    low, high = x["scale"]["domain"]
    assert low < 190.5 < high
    low, high = experiments_scatter(experiments_frame(SEED_NOISE[:1]), "parameters", "epochs",
                                    log_x=True).to_dict()["encoding"]["x"]["scale"]["domain"]
    assert low < 203_933 < high
    # A training of a second and a half: tenths, so that the ticks between 0 and 2 do not read "0 0 1 1 1 2".
    quick = experiments_scatter(experiments_frame([(1, 0.001, 7, 0.47, 1.5)]), "training seconds", "epochs")
    assert quick.to_dict()["encoding"]["x"]["axis"]["format"] == ",.1f"


def test_channel_contributions_signs():
    rows = chart_rows(channel_contributions(np.array([0.5, -0.25])))
    assert [(row["input map"], row["sign"]) for row in rows] == [(1, "adds"), (2, "takes away")]


@pytest.mark.parametrize(("state", "expected"), [
    (None, None),
    ({"selection": {"cell": []}}, None),
    ({"selection": {}}, None),
    ({"selection": {"cell": [{"row": 3, "column": 9}, {"row": 1, "column": 1}]}}, {"row": 3, "column": 9}),
])
def test_selected_point(state, expected):
    assert selected_point(state, "cell") == expected


def test_per_class_bars_highlight_the_hardest_digit():
    accuracy = np.array([0.99, 0.98, 0.9, 0.7, 0.95, 0.93, 0.97, 0.96, np.nan, 0.94])
    rows = chart_rows(per_class_bars(accuracy))
    assert [row["digit"] for row in rows if row["worst"] == "hardest"] == ["3"]
    assert "8" not in [row["digit"] for row in rows]  # no examples: no bar rather than a bar at 0
