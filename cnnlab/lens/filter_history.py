"""How the network changed while it learnt: the first layer's filters, and the whole network, epoch by epoch."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.lens.activations import LayerOutput, layer_activations
from cnnlab.network.forward import Network
from cnnlab.network.model import build_model


def filters_at_epoch(snapshots: Sequence[np.ndarray], epoch: int) -> np.ndarray:
    """The conv1 filters as they were after `epoch` epochs (0 = the random weights before training).

    snapshots: `TrainResult.filter_snapshots`, float32 (5, 5, 1, filters) each, one more than the epochs.
    Returns float32 (5, 5, 1, filters).
    """
    last = len(snapshots) - 1
    if last < 0:
        raise ValueError("This model kept no filter snapshots, so its learning cannot be replayed.")
    if not 0 <= epoch <= last:
        raise ValueError(f"The epoch must be between 0 (before training) and {last}; {epoch} is out of range.")
    return np.asarray(snapshots[epoch], dtype=np.float32)


def filter_change(snapshots: Sequence[np.ndarray]) -> np.ndarray:
    """How far the filters moved in each epoch, relative to where they started.

    Returns float64 (epochs,): entry k-1 is mean |w after epoch k − w after epoch k−1| divided by the mean |w|
    of the initial weights, so 0.5 means the weights moved by half their initial typical size in that epoch.
    """
    stacked = np.asarray(snapshots, dtype=np.float64)
    if len(stacked) < 2:
        return np.zeros(0)
    initial_size = float(np.abs(stacked[0]).mean()) or 1.0
    steps = np.abs(np.diff(stacked, axis=0)).reshape(len(stacked) - 1, -1).mean(axis=1)
    return steps / initial_size


def epochs_kept(epoch_weights: Sequence) -> int:
    """How many epochs a training kept the whole network's weights for (0 when it kept none)."""
    return len(epoch_weights)


def weights_at_epoch(config: TrainConfig, epoch_weights: Sequence[list], epoch: int,
                     final_weights: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """The network's weights after `epoch` epochs, as `model.get_weights()` lists them, float32.

    epoch 0: the random weights before training, rebuilt from the settings (each layer's initial weights depend
    only on the seed). 1 … len(epoch_weights): the kept weights (float16, widened again); for the last kept epoch
    of a finished training pass its own float32 weights as `final_weights`.
    """
    last = len(epoch_weights)
    if not 0 <= epoch <= last:
        raise ValueError(f"Epoch {epoch} was not kept; this training kept epochs 0 to {last}.")
    if epoch == 0:
        return list(initial_weights(config))
    if epoch == last and final_weights is not None:
        return list(final_weights)
    return [np.asarray(values, dtype=np.float32) for values in epoch_weights[epoch - 1]]


@functools.lru_cache(maxsize=8)
def initial_weights(config: TrainConfig) -> tuple[np.ndarray, ...]:
    """The weights a network of these settings starts from, before any training (Keras draws them, seeded)."""
    return tuple(build_model(config).get_weights())


def digit_through_epochs(config: TrainConfig, epoch_weights: Sequence[list], digit: np.ndarray,
                         final_weights: list[np.ndarray] | None = None) -> list[list[LayerOutput]]:
    """Every layer's output for `digit` (uint8 28×28) after each epoch: [epoch 0 … len(epoch_weights)][layer].

    The weights are `weights_at_epoch`'s: epoch 0 the random start, the last `final_weights` when given.
    """
    return [layer_activations(Network(config, weights_at_epoch(config, epoch_weights, epoch, final_weights)), digit)
            for epoch in range(len(epoch_weights) + 1)]
