"""The charts as a student reads them: each training curve's y axis fits its data, short titles, the running values
of an epoch in progress; the class's experiments coloured by a setting's own words, on an accuracy axis that starts
at a floor, with readable numbers for a single model. Checked on the Vega-Lite specifications Altair writes, against
NumPy's own minimum and maximum and values written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnnlab.pictures.charts import experiments_scatter, ordered_values
from cnnlab.pictures.curves import epoch_probabilities, training_curves

# The shipped reference model's three epochs, rounded: values far from 0 and close together, where an axis that
# starts at 0 or 1 leaves the lines in a few pixels.
EPOCHS = [
    {"epoch": 1, "loss": 0.2137, "accuracy": 0.9344, "val_loss": 0.0702, "val_accuracy": 0.9788},
    {"epoch": 2, "loss": 0.0651, "accuracy": 0.9801, "val_loss": 0.0553, "val_accuracy": 0.9838},
    {"epoch": 3, "loss": 0.0452, "accuracy": 0.9862, "val_loss": 0.0470, "val_accuracy": 0.9868},
]
BATCHES = [{"epoch": 0.25, "loss": 1.2, "accuracy": 0.61}, {"epoch": 0.5, "loss": 0.7, "accuracy": 0.78}]


def line_layers(chart) -> list[dict]:
    spec = chart.to_dict()
    return [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]


def plotted_values(chart) -> np.ndarray:
    spec = chart.to_dict()
    return np.array([row["value"] for rows in spec["datasets"].values() for row in rows if "value" in row])


@pytest.mark.parametrize(("epochs", "batches"), [(EPOCHS, ()), (EPOCHS[:1], BATCHES), ([], BATCHES)])
def test_each_y_axis_covers_its_data_and_the_data_fills_most_of_it(epochs, batches):
    for chart, metric in zip(training_curves(epochs, 3, batches=batches), ("loss", "accuracy"), strict=True):
        values = plotted_values(chart)
        expected = [row[key] for row in epochs for key in (metric, f"val_{metric}")]
        expected += [point[metric] for point in batches]
        np.testing.assert_allclose(np.sort(values), np.sort(expected))
        low, high = line_layers(chart)[0]["encoding"]["y"]["scale"]["domain"]
        assert low <= values.min() and values.max() <= high
        assert (values.max() - values.min()) / (high - low) >= 0.8  # the lines fill the chart, not 20 px of it
        if metric == "accuracy":
            assert low >= 0 and high <= 1


def test_titles_are_short_with_the_reading_hint_below():
    loss, accuracy = training_curves(EPOCHS, 3)
    titles = [line_layers(chart)[0]["title"] for chart in (loss, accuracy)]
    assert [(title["text"], title["subtitle"]) for title in titles] == [("Loss", "lower is better"),
                                                                          ("Accuracy", "higher is better")]
    assert line_layers(accuracy)[0]["encoding"]["y"]["axis"]["format"] == ".0%"
    # The height is the plot's: the title, axes and legend come on top of it, not out of it.
    assert all(chart.to_dict()["autosize"]["type"] == "fit-x" for chart in (loss, accuracy))


def test_an_epoch_in_progress_draws_its_running_values_from_epoch_0():
    loss, _ = training_curves([], 3, batches=BATCHES)
    x = line_layers(loss)[0]["encoding"]["x"]["scale"]["domain"]
    assert x == [0, 3]
    series = {row["data"] for rows in loss.to_dict()["datasets"].values() for row in rows}
    assert series == {"training, during the epoch"}


def test_how_sure_it_was_puts_each_row_at_its_epoch_also_when_the_story_starts_at_epoch_1():
    probabilities = np.full((3, 10), 0.05)
    probabilities[:, 7] = [0.2, 0.6, 0.9]
    for first_epoch in (0, 1):
        spec = epoch_probabilities(probabilities, [7], current=2, first_epoch=first_epoch).to_dict()
        rows = [row for rows in spec["datasets"].values() for row in rows]
        lines = {row["epoch"]: row["probability"] for row in rows if "digit" in row}
        assert lines == {first_epoch: 0.2, first_epoch + 1: 0.6, first_epoch + 2: 0.9}
        assert [row for row in rows if set(row) == {"epoch"}] == [{"epoch": 2}]  # the rule at the epoch shown


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
