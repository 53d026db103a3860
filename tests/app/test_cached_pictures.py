"""The charts and pictures the pages cache: each is what the uncached builder gives."""

from __future__ import annotations

import base64
import io

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnlab.app.cached_pictures import (
    cached_picture,
    data_chart_spec,
    filled_spec,
    keyed_result,
    probability_spec,
    training_curve_specs,
)
from cnnlab.pictures.charts import probability_bars
from cnnlab.pictures.curves import (
    epoch_probabilities,
    epoch_probability_chart,
    epoch_probability_frames,
    sweep_chart,
    sweep_frames,
    sweep_layout,
    training_curves,
)
from cnnlab.pictures.images import enlarge, feature_mosaic


def _softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - logits.max())
    return exponentials / exponentials.sum()


def _data_apart(spec: dict) -> tuple[dict, list[list[dict]]]:
    """The spec without its data, and each layer's rows in layer order (Altair names a data set after its content,
    a filled spec after the frame's place: only the names may differ)."""
    spec = dict(spec)
    datasets = spec.pop("datasets")
    if "data" not in spec:
        spec["layer"] = [dict(layer) for layer in spec["layer"]]
    holders = [spec] if "data" in spec else spec["layer"]
    rows = []
    for holder in holders:
        data = datasets[holder.pop("data")["name"]]
        # Altair gives rows; a cached spec gives the Arrow file Streamlit sends.
        rows.append(data if isinstance(data, list) else pa.ipc.open_stream(data).read_all().to_pylist())
    return spec, rows


def _assert_same_chart(ours: dict, theirs: dict) -> None:
    our_layout, our_rows = _data_apart(ours)
    their_layout, their_rows = _data_apart(theirs)
    assert our_layout == their_layout
    assert our_rows == their_rows


PROBABILITIES = [_softmax(np.random.default_rng(3).normal(size=10) * 4), np.eye(10)[7], np.full(10, 0.1)]


@pytest.mark.parametrize("probabilities", PROBABILITIES)
def test_probability_spec_is_altairs_chart_of_those_probabilities(probabilities):
    theirs = probability_bars(probabilities).to_dict()
    _assert_same_chart(probability_spec(probabilities), theirs)
    assert [row["predicted"] for row in next(iter(theirs["datasets"].values()))].count("prediction") == 1


def test_a_filled_epoch_chart_is_altairs_chart_for_every_digit_and_epoch():
    rng = np.random.default_rng(5)
    for epochs, digits, current, first in [(4, [3], 0, 0), (4, [3, 8], 2, 0), (2, [1, 1], 2, 1), (6, [9, 0], 5, 0)]:
        probabilities = rng.dirichlet(np.ones(10), size=epochs)
        # Twice: the second is the cached spec, which must still be this digit's and epoch's.
        for _ in range(2):
            ours = data_chart_spec(epoch_probability_chart, epoch_probability_frames, probabilities, digits, current,
                                   first)
            _assert_same_chart(ours, epoch_probabilities(probabilities, digits, current, first).to_dict())


def test_a_filled_sweep_is_altairs_chart_for_each_digit_and_angle():
    angles = np.arange(-45, 46, 5)
    rng = np.random.default_rng(6)
    for digit, current in [(7, 0), (7, 15), (2, -30)]:
        probabilities = rng.random(len(angles))
        ours = filled_spec(sweep_layout, sweep_frames(angles, probabilities, current), digit, (-45, 45))
        _assert_same_chart(ours, sweep_chart(angles, probabilities, digit, current).to_dict())


def _decoded(url: str) -> np.ndarray:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url[len(prefix):]))))


def test_a_picture_is_sent_as_a_png_of_exactly_its_pixels():
    digit = np.random.default_rng(7).integers(0, 256, size=(28, 28), dtype=np.uint8)
    picture = cached_picture(enlarge, digit, 1)
    assert (picture.width, picture.height) == (28, 28)
    np.testing.assert_array_equal(_decoded(picture.url), digit)


def _maps_script(maps):
    from cnnlab.app.cached_pictures import show_maps

    show_maps(maps, caption="maps", alt="maps")


@pytest.mark.parametrize("size", [24, 12])
def test_maps_enlarged_twice_by_the_browser_are_the_mosaic_drawn_at_full_size(size):
    # What the page drew itself before the browser enlarged its pictures: each map 96 pixels wide, 2-pixel gaps.
    maps = np.random.default_rng(size).random((size, size, 7)).astype(np.float32)
    app = AppTest.from_function(_maps_script, args=(maps,)).run()
    assert not app.exception
    [sent] = app.get("image")[0].value
    np.testing.assert_array_equal(enlarge(_decoded(sent), 2), feature_mosaic(maps, scale=96 // size, gap=2))


EPOCH_RECORDS = [{"epoch": 1, "loss": 0.21, "accuracy": 0.93, "val_loss": 0.07, "val_accuracy": 0.98},
                 {"epoch": 2, "loss": 0.07, "accuracy": 0.98, "val_loss": 0.06, "val_accuracy": 0.98}]


@pytest.mark.parametrize(("epochs", "batches", "chosen"), [
    ([], [{"epoch": 0.1, "loss": 2.1, "accuracy": 0.3}], None),
    ([], [{"epoch": 0.1, "loss": 2.1, "accuracy": 0.3}, {"epoch": 0.4, "loss": 0.9, "accuracy": 0.7}], None),
    (EPOCH_RECORDS[:1], [{"epoch": 1.5, "loss": 0.1, "accuracy": 0.96}], None),
    (EPOCH_RECORDS, [], None),
    (EPOCH_RECORDS, [], 1),
    (EPOCH_RECORDS, [], 2),
])
def test_filled_training_curves_are_altairs_charts_as_a_training_goes_on(epochs, batches, chosen):
    theirs = training_curves(epochs, 3, chosen, batches)
    for ours, chart in zip(training_curve_specs(epochs, 3, chosen, batches), theirs, strict=True):
        _assert_same_chart(ours, chart.to_dict())


def test_cached_training_curves_follow_a_history_that_changes_in_place():
    # A live job's history grows while its tuple of records is the same length: only the values tell them apart.
    before = [dict(record) for record in EPOCH_RECORDS]
    training_curve_specs(before, 3)
    after = [*before[:1], {**before[1], "val_accuracy": 0.42}]
    for ours, chart in zip(training_curve_specs(after, 3), training_curves(after, 3), strict=True):
        _assert_same_chart(ours, chart.to_dict())


def test_a_keyed_result_is_worked_out_once_per_key_and_shared_read_only():
    calls = []

    def layer_sums(weights, scale=1.0):
        calls.append(1)
        return [np.asarray(weights, dtype=float).sum(axis=1) * scale]

    weights = np.arange(6.0).reshape(2, 3)
    first = keyed_result(("model-a", 2), layer_sums, weights, scale=2.0)
    again = keyed_result(("model-a", 2), layer_sums, weights, scale=2.0)
    other = keyed_result(("model-a", 3), layer_sums, weights)
    assert len(calls) == 2 and again is first
    np.testing.assert_array_equal(first[0], [6.0, 24.0])
    np.testing.assert_array_equal(other[0], [3.0, 12.0])
    with pytest.raises(ValueError):
        first[0][0] = 0.0
