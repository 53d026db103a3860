"""What a running training reports, batch by batch and epoch by epoch, and how it notices a loss that ran away.

Keras reports through a `keras.callbacks.Callback`; CNN Lab's callers (the training service, the scripts) take plain
functions of plain values. `progress_class` makes the one Keras callback that turns the first into the second, and
keeps what the finished `TrainResult` needs: every epoch's metrics, conv1's kernels and, within budget, the weights.
It also stops the training when `should_stop()` says so, or when the loss stops being a number a network learns from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.network.result import HISTORY_KEYS

if TYPE_CHECKING:
    import keras

# on_epoch_end(epoch, {"loss", "accuracy", "val_loss", "val_accuracy"}), epoch 1-based.
EpochCallback = Callable[[int, dict], None]
# on_epoch_weights(epoch, weights): float16 arrays as `model.get_weights()` lists them; epoch 0 is the start.
WeightsCallback = Callable[[int, list], None]
# on_batch_end(epoch, batch, batches_per_epoch, {"loss", "accuracy"}), epoch and batch 1-based.
BatchCallback = Callable[[int, int, int, dict], None]

# The cross-entropy of a network that only guesses among 10 digits is ln 10 ≈ 2.3, and a healthy training starts
# there and goes down. Keras computes this loss from the logits, so a learning rate that is far too large makes it
# explode to thousands or millions without ever becoming NaN (measured on 600 sample digits: learning rate 0.03
# peaks near 560, 1.0 above 1,000, 10 above 10^13) and leaves a network at chance. A running mean past this
# bound is a runaway; the worst recovering run measured (learning rate 0.01) peaked at 14.
RUNAWAY_LOSS = 100.0
CHANCE_LOSS = math.log(10)


def float16_weights(model: keras.Model) -> list[np.ndarray]:
    """A copy of all the model's weights as `model.get_weights()` lists them, rounded to float16 to be kept."""
    return [np.asarray(values, dtype=np.float16) for values in model.get_weights()]


def conv1_kernels(model: keras.Model) -> np.ndarray:
    """A copy of the first conv layer's kernels, float32 (k, k, 1, filters), k its kernel size."""
    return np.array(model.get_layer("conv1").get_weights()[0], dtype=np.float32)


_PROGRESS_CLASSES: dict = {}


def progress_class(keras_module):
    """The Keras callback class that adapts Keras's protocol to CNN Lab's plain-value callbacks.

    Made on first use (and kept) because Keras must not be imported when this module loads. An instance takes
    (config, on_epoch_end, on_batch_end, should_stop, snapshots, on_epoch_weights, keep_weights): any callback may
    be None; `snapshots` is the list conv1's kernels are appended to after every epoch; `keep_weights` keeps every
    epoch's weights in `epoch_weights`. After `fit` it holds `epochs` (one metrics dict per finished epoch),
    `cancelled`, `diverged`, `diverged_epoch` (1-based) and `runaway_loss` (None unless the loss ran away while
    staying a number).
    """
    if keras_module in _PROGRESS_CLASSES:
        return _PROGRESS_CLASSES[keras_module]

    class Progress(keras_module.callbacks.Callback):
        def __init__(self, config, on_epoch_end, on_batch_end, should_stop, snapshots, on_epoch_weights,
                     keep_weights):
            super().__init__()
            self.config = config
            self.epoch_callback = on_epoch_end
            self.batch_callback = on_batch_end
            self.should_stop = should_stop
            self.snapshots = snapshots
            self.weights_callback = on_epoch_weights
            self.keep_weights = keep_weights
            self.epoch_weights: list[list[np.ndarray]] = []
            self.epochs: list[dict] = []
            self.current_epoch = 0
            self.cancelled = False
            self.diverged = False
            self.diverged_epoch = 0
            self.runaway_loss: float | None = None  # set when the loss ran away while staying a number

        def on_epoch_begin(self, epoch, logs=None):
            self.current_epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            loss = float(logs.get("loss", 0.0))
            if not math.isfinite(loss) or loss > RUNAWAY_LOSS:
                self.diverged, self.diverged_epoch = True, self.current_epoch
                if math.isfinite(loss):
                    self.runaway_loss = loss
                self.model.stop_training = True
                return
            if self.batch_callback is not None:
                metrics = {"loss": loss, "accuracy": float(logs.get("accuracy", 0.0))}
                self.batch_callback(self.current_epoch, batch + 1, self.params.get("steps") or 0, metrics)
            if self.should_stop is not None and self.should_stop():
                self.cancelled = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if self.cancelled or self.diverged:
                return
            metrics = {key: float(value) for key, value in (logs or {}).items() if key in HISTORY_KEYS}
            kernels = conv1_kernels(self.model)
            # Probabilities are clipped inside the loss, so runaway weights can hide behind a finite loss.
            if not np.isfinite(kernels).all() or not all(map(math.isfinite, metrics.values())):
                self.diverged, self.diverged_epoch = True, epoch + 1
                self.model.stop_training = True
                return
            self.epochs.append(metrics)
            self.snapshots.append(kernels)
            if self.keep_weights:
                weights = float16_weights(self.model)
                self.epoch_weights.append(weights)
                if self.weights_callback is not None:
                    self.weights_callback(epoch + 1, weights)
            if self.epoch_callback is not None:
                self.epoch_callback(epoch + 1, metrics)

    _PROGRESS_CLASSES[keras_module] = Progress
    return Progress
