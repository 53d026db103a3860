"""Charts of cells: a grid of numbers, the map picker and the confusion matrix, against values written by hand."""

from __future__ import annotations

import numpy as np

from cnnlab.pictures.grids import confusion_chart, map_picker, number_grid


def chart_rows(chart) -> list[dict]:
    """The rows of the first data set in a chart's Vega-Lite spec."""
    datasets = chart.to_dict()["datasets"]
    return next(iter(datasets.values()))


def test_number_grid_writes_every_number_and_outlines_the_winner():
    values = np.array([[0.5, -1.25], [2.0, 0.0]])
    rows = chart_rows(number_grid(values, "t", centred=True, winner=(1, 0)))
    assert [row["label"] for row in rows] == ["0.50", "-1.25", "2.00", "0.00"]
    assert [row["winner"] for row in rows] == [False, False, True, False]
    assert [(row["row"], row["column"]) for row in rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_map_picker_rows_are_one_based_and_selectable():
    chart = map_picker(np.arange(6.0).reshape(2, 3), selected=(1, 2))
    spec = chart.to_dict()
    (selection,) = spec["params"]
    assert selection["name"] == "cell" and selection["select"]["fields"] == ["row", "column"]
    rows = [row for rows in spec["datasets"].values() for row in rows]
    assert {"row": 2, "column": 3, "value": 5.0} in rows


def test_confusion_chart_writes_the_counts_and_selects_by_digit():
    confusion = np.zeros((10, 10), dtype=int)
    confusion[4, 9], confusion[4, 4] = 7, 1200
    spec = confusion_chart(confusion, selected=(4, 9)).to_dict()
    (selection,) = spec["params"]
    assert selection["name"] == "cell" and selection["select"]["fields"] == ["true", "predicted"]
    rows = [row for rows in spec["datasets"].values() for row in rows]
    labelled = {(row["true"], row["predicted"]): row["label"] for row in rows if row.get("label")}
    assert labelled == {(4, 9): "7", (4, 4): "1,200"}
    outlines = [layer for layer in spec["layer"] if layer["mark"].get("fill") is None and "stroke" in layer["mark"]]
    assert len(outlines) == 1
