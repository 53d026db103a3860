"""The Keras callback a training reports through: batches and epochs come out 1-based as plain values, a cancel or
a loss that runs away stops the training, and every finished epoch keeps its metrics, kernels and weights.

Driven by hand, as Keras's `fit` calls it, on a small network Keras built; references: that network's own weights.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.network.backend import load_keras
from cnnlab.network.model import build_model
from cnnlab.network.progress import RUNAWAY_LOSS, progress_class

SMALL = TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(8,), epochs=2)
STEPS = 7  # batches per epoch, as Keras tells a callback in its params
EPOCH_LOGS = {"loss": 0.8, "accuracy": 0.7, "val_loss": 0.9, "val_accuracy": 0.6, "learning_rate": 0.001}


def watched(should_stop=None, keep_weights=True):
    """A progress callback on a fresh small model, with every report it sends recorded in `sent`."""
    sent = {"batches": [], "epochs": [], "weights": []}
    model = build_model(SMALL)
    progress = progress_class(load_keras())(
        SMALL, lambda *report: sent["epochs"].append(report), lambda *report: sent["batches"].append(report),
        should_stop, [], lambda *report: sent["weights"].append(report), keep_weights)
    progress.set_model(model)
    progress.set_params({"epochs": SMALL.epochs, "steps": STEPS})
    return progress, model, sent


def test_a_batch_is_reported_1_based_and_a_cancel_stops_the_training():
    asked = []
    progress, model, sent = watched(should_stop=lambda: asked.append(True) or len(asked) >= 2)
    progress.on_epoch_begin(0)
    progress.on_train_batch_end(4, {"loss": 2.25, "accuracy": 0.125})
    assert sent["batches"] == [(1, 5, STEPS, {"loss": 2.25, "accuracy": 0.125})]
    assert not progress.cancelled and not model.stop_training
    progress.on_train_batch_end(5, {"loss": 2.0, "accuracy": 0.25})
    assert progress.cancelled and model.stop_training
    progress.on_epoch_end(0, EPOCH_LOGS)
    assert sent["epochs"] == [] and progress.epochs == []  # a cancelled epoch is not a finished one


def test_a_loss_past_the_runaway_bound_stops_the_training_unreported():
    progress, model, sent = watched()
    progress.on_epoch_begin(1)
    progress.on_train_batch_end(0, {"loss": RUNAWAY_LOSS * 5, "accuracy": 0.1})
    assert progress.diverged and progress.diverged_epoch == 2 and progress.runaway_loss == RUNAWAY_LOSS * 5
    assert model.stop_training and sent["batches"] == []


def test_a_loss_that_is_not_a_number_diverges_without_a_runaway_figure():
    progress, _, _ = watched()
    progress.on_epoch_begin(0)
    progress.on_train_batch_end(0, {"loss": math.nan, "accuracy": 0.1})
    assert progress.diverged and progress.diverged_epoch == 1 and progress.runaway_loss is None


def test_a_finished_epoch_keeps_its_metrics_kernels_and_float16_weights():
    progress, model, sent = watched()
    progress.on_epoch_begin(0)
    progress.on_epoch_end(0, EPOCH_LOGS)
    metrics = {key: value for key, value in EPOCH_LOGS.items() if key != "learning_rate"}
    assert progress.epochs == [metrics] and sent["epochs"] == [(1, metrics)]
    weights = model.get_weights()
    (kernels,) = progress.snapshots
    assert kernels.dtype == np.float32
    np.testing.assert_array_equal(kernels, weights[0])  # conv1's kernel is the network's first weight
    [(epoch, kept)] = sent["weights"]
    assert epoch == 1 and kept is progress.epoch_weights[0]
    for values, expected in zip(kept, weights, strict=True):
        assert values.dtype == np.float16
        np.testing.assert_array_equal(values, expected.astype(np.float16))


def test_an_epoch_without_room_for_weights_keeps_none():
    progress, _, sent = watched(keep_weights=False)
    progress.on_epoch_end(0, EPOCH_LOGS)
    assert progress.epoch_weights == [] and sent["weights"] == [] and len(progress.snapshots) == 1


def test_kernels_that_are_no_longer_numbers_diverge_the_epoch_behind_a_finite_loss():
    progress, model, sent = watched()
    kernel, bias = model.get_layer("conv1").get_weights()
    model.get_layer("conv1").set_weights([np.full_like(kernel, np.inf), bias])
    progress.on_epoch_end(0, EPOCH_LOGS)
    assert progress.diverged and progress.diverged_epoch == 1 and model.stop_training
    assert progress.epochs == [] and sent["epochs"] == [] and progress.snapshots == []
