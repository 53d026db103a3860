"""Replaying the filters' learning: snapshots against a freshly built model and hand-computed changes."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import keras_layer_outputs

from cnnlab.lens.filter_history import filter_change, filters_at_epoch
from cnnlab.network.backend import load_keras
from cnnlab.network.model import build_model
from cnnlab.network.training import history_records
from cnnlab.pictures.curves import training_curves


def test_epoch_0_is_the_random_start_and_the_last_is_the_trained_model(tiny_result):
    # Independently: the same seed builds the same untrained network, whose conv1 weights epoch 0 must show.
    load_keras().utils.set_random_seed(tiny_result.config.seed)
    untrained = build_model(tiny_result.config)
    np.testing.assert_array_equal(filters_at_epoch(tiny_result.filter_snapshots, 0),
                                  untrained.get_layer("conv1").get_weights()[0])
    last = len(tiny_result.filter_snapshots) - 1
    assert last == tiny_result.config.epochs
    np.testing.assert_array_equal(filters_at_epoch(tiny_result.filter_snapshots, last),
                                  tiny_result.model.get_layer("conv1").get_weights()[0])
    assert not np.array_equal(filters_at_epoch(tiny_result.filter_snapshots, 0),
                              filters_at_epoch(tiny_result.filter_snapshots, last))


def test_epochs_outside_the_training_are_a_sentence(tiny_result):
    with pytest.raises(ValueError, match="between 0 \\(before training\\) and 1; 2 is out of range"):
        filters_at_epoch(tiny_result.filter_snapshots, 2)
    with pytest.raises(ValueError, match="no filter snapshots"):
        filters_at_epoch([], 0)


def test_filter_change_on_known_weights():
    start = np.full((5, 5, 1, 2), 2.0)
    after_one = start + 1.0  # every weight moved by 1, half the initial size of 2
    after_two = after_one.copy()
    after_two[0, 0, 0, 0] += 50.0  # one weight of 50 moved by 50: mean step 50 / 50 = 1
    np.testing.assert_allclose(filter_change([start, after_one, after_two]), [0.5, 0.5])
    assert filter_change([start]).shape == (0,)


def test_history_records_are_one_per_epoch():
    history = {"loss": [0.9, 0.4], "accuracy": [0.7, 0.9]}
    assert history_records(history) == [{"epoch": 1, "loss": 0.9, "accuracy": 0.7},
                                        {"epoch": 2, "loss": 0.4, "accuracy": 0.9}]
    assert history_records({}) == []
    with pytest.raises(ValueError, match="one value per epoch"):
        history_records({"loss": [1.0], "accuracy": []})


def test_curves_mark_the_chosen_epoch():
    specs = [chart.to_dict() for chart in
             training_curves([{"epoch": 1, "loss": 0.5, "accuracy": 0.8}], 3, chosen_epoch=2)]
    rules = [layer for spec in specs for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 2
    marked = {row["epoch"] for spec in specs for rows in spec["datasets"].values() for row in rows
              if set(row) == {"epoch"}}
    assert marked == {2}
    # Without a chosen epoch there is no rule, and the axis starts at the first epoch.
    plain = [chart.to_dict() for chart in training_curves([{"epoch": 1, "loss": 0.5, "accuracy": 0.8}], 3)]
    assert all(layer["mark"]["type"] != "rule" for spec in plain for layer in spec["layer"])


# --- the whole network, epoch by epoch ("Watch your digit learn") -------------------------------------------------


@pytest.fixture(scope="module")
def three_epochs(sample):
    from cnnlab.config import TrainConfig
    from cnnlab.network.training import train

    return train(TrainConfig(conv1_filters=4, conv2_filters=3, dense_units=(8,), epochs=3, train_size=600), sample)


def test_every_epoch_keeps_the_whole_network_and_epoch_0_is_the_random_start(three_epochs):
    from cnnlab.lens.filter_history import weights_at_epoch

    config, kept = three_epochs.config, three_epochs.epoch_weights
    assert len(kept) == 3 and all(values.dtype == np.float16 for weights in kept for values in weights)
    start = weights_at_epoch(config, kept, 0)
    np.testing.assert_array_equal(start[0], three_epochs.filter_snapshots[0])  # conv1 before any training
    for epoch in (1, 2):
        # The kept conv1 kernels are the training's own float32 snapshots, rounded to float16.
        np.testing.assert_allclose(weights_at_epoch(config, kept, epoch)[0], three_epochs.filter_snapshots[epoch],
                                   rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match="was not kept"):
        weights_at_epoch(config, kept, 4)


def test_the_last_epoch_is_the_finished_model_and_epoch_0_a_fresh_keras_network(three_epochs, sample):
    from cnnlab.lens.filter_history import weights_at_epoch
    from cnnlab.network.model import build_model

    config, kept = three_epochs.config, three_epochs.epoch_weights
    for mine, finished in zip(weights_at_epoch(config, kept, 3, three_epochs.weights),
                              three_epochs.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, finished)
    for mine, fresh in zip(weights_at_epoch(config, kept, 0), build_model(config).get_weights(), strict=True):
        np.testing.assert_array_equal(mine, fresh)


def test_the_weights_per_epoch_survive_the_model_file(three_epochs, tmp_path):
    from cnnlab.jobs.store import ModelStore

    store = ModelStore(tmp_path)
    assert store.save(three_epochs, "f" * 16)
    loaded = store.load(three_epochs.config, "f" * 16)
    assert len(loaded.epoch_weights) == 3
    for epoch in (0, 1):
        for stored, kept in zip(loaded.epoch_weights[epoch], three_epochs.epoch_weights[epoch], strict=True):
            np.testing.assert_array_equal(stored, kept)
    for stored, model in zip(loaded.epoch_weights[2], three_epochs.model.get_weights(), strict=True):
        np.testing.assert_array_equal(stored, model.astype(np.float16))


def test_a_network_too_large_for_the_budget_keeps_no_epochs(sample, monkeypatch):
    import cnnlab.network.training as train_module
    from cnnlab.config import TrainConfig

    monkeypatch.setattr(train_module, "EPOCH_WEIGHTS_BUDGET_BYTES", 100)
    result = train_module.train(TrainConfig(conv1_filters=2, conv2_filters=2, dense_units=(), epochs=1,
                                            train_size=100), sample)
    assert result.epoch_weights == []


def test_the_digit_through_every_epoch_matches_a_keras_network_holding_that_epochs_weights(three_epochs, sample):
    from cnnlab.lens.filter_history import digit_through_epochs, weights_at_epoch
    from cnnlab.network.model import build_model

    config, kept, digit = three_epochs.config, three_epochs.epoch_weights, sample.x_test[11]
    by_epoch = digit_through_epochs(config, kept, digit, three_epochs.weights)
    assert len(by_epoch) == 4
    for epoch in (0, 2, 3):
        # Independently: Keras's own network with that epoch's weights.
        keras_model = build_model(config)
        keras_model.set_weights(weights_at_epoch(config, kept, epoch, three_epochs.weights))
        for shared, own in zip(by_epoch[epoch], keras_layer_outputs(keras_model, digit), strict=True):
            np.testing.assert_allclose(shared.output, own, rtol=1e-4, atol=1e-5)
