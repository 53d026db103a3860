"""The curves as a student reads them: each training curve's y axis fits its data, short titles, the running values
of an epoch in progress, how sure the network was epoch by epoch, and the rotation sweep. Checked on the Vega-Lite
specifications Altair writes, against NumPy's own minimum and maximum and values written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.pictures.curves import epoch_probabilities, sweep_chart, training_curves

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


def test_sweep_chart_marks_the_current_angle():
    spec = sweep_chart(np.array([-45, 0, 45]), np.array([0.1, 0.9, 0.2]), digit=7, current=15).to_dict()
    assert [layer.get("title") for layer in spec["layer"]][0] == "Probability of 7 as the digit turns"
    rows = [row for rows in spec["datasets"].values() for row in rows]
    assert {"angle": 15.0} in rows and {"angle": 0.0, "probability": 0.9} in rows
