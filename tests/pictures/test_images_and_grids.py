"""Charts and pictures added for the teaching pages, checked against values written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.pictures.charts import channel_contributions, per_class_bars, selected_point
from cnnlab.pictures.curves import sweep_chart
from cnnlab.pictures.grids import confusion_chart, map_picker, number_grid
from cnnlab.pictures.images import fit_width, outline_square, saliency_overlay, signed_image


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


def test_outline_square_draws_only_the_border():
    image = np.zeros((6, 6), dtype=np.uint8)
    picture = outline_square(image, top=1, left=2, size=3, scale=4, colour=(9, 8, 7))
    assert picture.shape == (24, 24, 3) and picture.dtype == np.uint8
    coloured = (picture == (9, 8, 7)).all(axis=2)
    # Border one pixel thick (scale 4 → line 1) around rows 4–15, columns 8–19; inside and outside untouched.
    assert coloured[4, 8:20].all() and coloured[15, 8:20].all()
    assert coloured[4:16, 8].all() and coloured[4:16, 19].all()
    assert coloured.sum() == 2 * 12 + 2 * 10
    assert not picture[5:15, 9:19].any()


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


def test_per_class_bars_highlight_the_hardest_digit():
    accuracy = np.array([0.99, 0.98, 0.9, 0.7, 0.95, 0.93, 0.97, 0.96, np.nan, 0.94])
    rows = chart_rows(per_class_bars(accuracy))
    assert [row["digit"] for row in rows if row["worst"] == "hardest"] == ["3"]
    assert "8" not in [row["digit"] for row in rows]  # no examples: no bar rather than a bar at 0


def test_saliency_overlay_keeps_the_dimmed_digit_where_the_saliency_is_zero():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[10, 10] = 200
    saliency = np.zeros((28, 28))
    saliency[0, 0] = 1.0
    picture = saliency_overlay(image, saliency, scale=2)
    assert picture.shape == (56, 56, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture[20, 20], [70, 70, 70])  # 200 × 0.35, no colour on top
    # Full saliency: a colour, not grey, and brighter than the dimmed ink at its brightest.
    hottest = picture[0, 0].astype(int)
    assert hottest.max() - hottest.min() > 40 and hottest.sum() > 3 * 70
    assert not picture[40:, 40:].any()
    with pytest.raises(ValueError, match="same shape"):
        saliency_overlay(image, np.zeros((27, 27)))


def test_signed_image_colours_positive_blue_negative_red_zero_white_by_size():
    picture = signed_image(np.array([[2.0, 1.0, -2.0, -1.0, 0.0]]), scale=1).astype(int)[0]
    red, green, blue = picture.T
    assert blue[0] > red[0] and blue[1] > red[1]  # positive values are blue
    assert red[2] > blue[2] and red[3] > blue[3]  # negative values are red
    assert picture[4].tolist() == [255, 255, 255]  # zero is white
    # The largest |value| is the deepest colour; half of it lies halfway to white.
    assert picture[0].sum() < picture[1].sum() < 3 * 255 and picture[2].sum() < picture[3].sum() < 3 * 255
    np.testing.assert_allclose(picture[1], (picture[0] + 255) / 2, atol=1)


def test_sweep_chart_marks_the_current_angle():
    spec = sweep_chart(np.array([-45, 0, 45]), np.array([0.1, 0.9, 0.2]), digit=7, current=15).to_dict()
    assert [layer.get("title") for layer in spec["layer"]][0] == "Probability of 7 as the digit turns"
    rows = [row for rows in spec["datasets"].values() for row in rows]
    assert {"angle": 15.0} in rows and {"angle": 0.0, "probability": 0.9} in rows


def test_fit_width_scales_a_wide_picture_down_and_keeps_a_narrow_one():
    band = np.zeros((40, 1500, 3), dtype=np.uint8)
    band[:, 750:] = (200, 100, 50)
    fitted = fit_width(band, 1460)
    assert fitted.shape == (38, 1460, 3) and fitted.dtype == np.uint8  # 40 × 1460 / 1500 = 38.9, rounded down
    # The two halves keep their colours away from the seam.
    assert (fitted[:, :700] == 0).all() and (fitted[:, 760:] == (200, 100, 50)).all()
    narrow = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    assert fit_width(narrow, 1460) is narrow
