"""Training: determinism, progress callbacks, cancelling, divergence, and real learning on real digits."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.network.training import TrainingCancelled, TrainingDiverged, train

SMALL = TrainConfig(conv_layers=((4, 5), (4, 3)), dense_units=(16,), epochs=2, train_size=600, batch_size=50)


@pytest.fixture(scope="module")
def small_run(sample):
    """One small training with every callback recorded."""
    batches, epochs = [], []
    result = train(SMALL, sample, on_batch_end=lambda *args: batches.append(args),
                   on_epoch_end=lambda *args: epochs.append(args))
    return result, batches, epochs


@pytest.mark.slow
def test_same_seed_gives_the_same_weights_and_history(sample, small_run):
    first, _, _ = small_run
    second = train(SMALL, sample)
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.history == second.history
    # And the seed matters: another one starts from other random weights.
    from cnnlab.network.model import build_model

    other = build_model(TrainConfig.from_dict({**SMALL.to_dict(), "seed": 1}))
    assert not np.array_equal(second.filter_snapshots[0], other.get_layer("conv1").get_weights()[0])


def test_callbacks_report_every_batch_and_epoch(small_run):
    result, batches, epochs = small_run
    # 600 images, 10 % held back for validation: 540 train → 11 batches of at most 50 per epoch.
    assert result.train_images == 540 and result.validation_images == 60
    assert len(batches) == 2 * 11
    assert batches[0][:3] == (1, 1, 11) and batches[-1][:3] == (2, 11, 11)
    assert set(batches[0][3]) == {"loss", "accuracy"}
    assert [epoch for epoch, _ in epochs] == [1, 2]
    assert set(epochs[0][1]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert result.history["loss"] == [metrics["loss"] for _, metrics in epochs]
    assert len(result.filter_snapshots) == 3
    assert result.filter_snapshots[0].shape == (5, 5, 1, 4)
    assert not np.array_equal(result.filter_snapshots[0], result.filter_snapshots[-1])
    np.testing.assert_array_equal(result.filter_snapshots[-1], result.model.get_layer("conv1").get_weights()[0])


def test_should_stop_cancels_within_a_batch(sample):
    batches = []
    with pytest.raises(TrainingCancelled):
        train(SMALL, sample, on_batch_end=lambda *args: batches.append(args), should_stop=lambda: len(batches) >= 3)
    assert len(batches) == 3


def test_a_loss_that_becomes_nan_ends_training_with_advice(sample, monkeypatch):
    import cnnlab.network.training as train_module

    build_model = train_module.build_model

    def poisoned_model(config):
        # Weights that are not numbers make the very first loss NaN, as a runaway learning rate would.
        model = build_model(config)
        kernel, bias = model.get_layer("conv1").get_weights()
        model.get_layer("conv1").set_weights([np.full_like(kernel, np.nan), bias])
        return model

    monkeypatch.setattr(train_module, "build_model", poisoned_model)
    epochs = []
    with pytest.raises(TrainingDiverged, match="loss became NaN in epoch 1; lower the learning rate"):
        train(SMALL, sample, on_epoch_end=lambda *args: epochs.append(args))
    assert epochs == []  # the broken epoch is not reported as a finished one


def test_the_default_network_learns_the_sample(sample):
    # Two epochs of 3,000 digits, a few seconds: the reference network goes from guessing (10 %) to reading the
    # sample's 1,000 test digits. The test digits are scored again here in NumPy, apart from Keras's own scoring.
    result = train(TrainConfig(epochs=2, train_size=3000), sample)
    predictions = result.network.predict_proba(sample.x_test).argmax(axis=1)
    accuracy = float(np.mean(predictions == sample.y_test))
    assert accuracy > 0.85
    assert accuracy == pytest.approx(result.test_accuracy, abs=2 / len(sample.y_test))
    assert result.history["loss"][1] < result.history["loss"][0]
    assert len(result.history["val_accuracy"]) == 2
