"""Teaching sentences, the dropout demonstration, mosaics and charts, against hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.lens.activations import LayerOutput
from cnnlab.lens.sentences import dropout_training_view, layer_sentence
from cnnlab.network.model import plan_layers
from cnnlab.pictures.charts import probability_bars
from cnnlab.pictures.curves import history_frame
from cnnlab.pictures.grids import kernel_frame
from cnnlab.pictures.images import feature_mosaic, grid_shape, strip


def test_dropout_training_view_zeroes_about_the_rate_and_rescales_the_rest():
    values = np.ones((10, 10, 15), dtype=np.float32)
    dropped = dropout_training_view(values, 0.2, seed=3)
    share_zero = float((dropped == 0).mean())
    assert 0.15 < share_zero < 0.25  # 1,500 draws at p=0.2
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.8)
    np.testing.assert_array_equal(dropped, dropout_training_view(values, 0.2, seed=3))
    assert not np.array_equal(dropped, dropout_training_view(values, 0.2, seed=4))
    np.testing.assert_array_equal(dropout_training_view(values, 0.0), values)
    with pytest.raises(ValueError, match="below 1"):
        dropout_training_view(values, 1.0)


def test_sentences_carry_the_models_numbers():
    conv1 = LayerOutput("conv1", "Conv2D", np.zeros((24, 24, 30), dtype=np.float32))
    pool = LayerOutput("pool", "MaxPooling2D", np.zeros((12, 12, 30), dtype=np.float32))
    dense = LayerOutput("dense1", "Dense", np.array([0.0, 1.0, 2.0], dtype=np.float32))
    flatten = LayerOutput("flatten", "Flatten", np.zeros(1500, dtype=np.float32))
    reference = {layer.name: layer for layer in plan_layers()}
    assert "30 × 4,000 = 120,000 activation maps" in layer_sentence(conv1, None, 4000, 0.2, reference["conv1"])
    assert "5 × 5" in layer_sentence(conv1, None, 4000, 0.2, reference["conv1"])
    assert "shrinks to 12 × 12" in layer_sentence(pool, conv1, 4000, 0.2, reference["pool"])
    assert "17,280 → 4,320" in layer_sentence(pool, conv1, 4000, 0.2, reference["pool"])
    assert "2 of 3 are active" in layer_sentence(dense, flatten, 4000, 0.2, reference["dense1"])
    assert "4,503 parameters" in layer_sentence(dense, flatten, 4000, 0.2, reference["dense1"])


@pytest.mark.parametrize(("count", "shape"), [(30, (5, 6)), (15, (3, 5)), (8, (2, 4)), (1, (1, 1)), (64, (11, 6))])
def test_grid_shapes(count, shape):
    assert grid_shape(count) == shape


def test_mosaic_places_each_map_in_its_own_tile():
    maps = np.zeros((4, 4, 3), dtype=np.float32)
    maps[:, :, 1] = 1.0  # only the second map is bright
    mosaic = feature_mosaic(maps, scale=2, gap=1)
    assert mosaic.shape == (8, 3 * 8 + 2, 3)
    first, second = mosaic[:, :8], mosaic[:, 9:17]
    assert first.max() < second.min()
    assert (mosaic[:, 8] == 255).all()  # the white gap between tiles


def test_strip_lays_out_units_in_rows():
    assert strip(np.arange(128, dtype=np.float32), scale=2, max_width=50).shape == (3 * 2, 50 * 2, 3)


def test_chart_tables():
    frame = history_frame([{"epoch": 1, "loss": 0.5, "val_loss": 0.6, "accuracy": 0.9, "val_accuracy": 0.8}])
    assert set(zip(frame["metric"], frame["data"], strict=True)) == {
        ("loss", "training"), ("loss", "validation"), ("accuracy", "training"), ("accuracy", "validation")}
    kernels = np.arange(5 * 5 * 2 * 3, dtype=np.float32).reshape(5, 5, 2, 3)
    table = kernel_frame(kernels, channel=1)
    assert len(table) == 75
    row = table[(table["filter"] == 3) & (table["row"] == 4) & (table["column"] == 2)]
    assert float(row["weight"].iloc[0]) == kernels[4, 2, 1, 2]
    chart = probability_bars(np.eye(10)[7]).to_dict()
    values = chart["datasets"][next(iter(chart["datasets"]))]
    assert [item["predicted"] for item in values].index("prediction") == 7


def test_kernel_grids_fit_a_phone_screen():
    from cnnlab.pictures.charts import PHONE_CHART_WIDTH
    from cnnlab.pictures.grids import kernel_grid

    for shape, columns in [((5, 5, 1, 30), 6), ((3, 3, 30, 15), 5), ((5, 5, 1, 64), 6), ((5, 5, 1, 1), 1)]:
        spec = kernel_grid(np.random.default_rng(0).normal(size=shape), columns=columns, cell=22).to_dict()
        width = spec["spec"]["width"] * columns + spec["spacing"] * (columns - 1)
        assert width <= PHONE_CHART_WIDTH
        assert spec["spec"]["width"] >= shape[0] * 2  # still a picture, not a line
