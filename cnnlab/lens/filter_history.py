"""How the network changed while it learnt: the first layer's filters, and the whole network, epoch by epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.lens.activations import LayerOutput, layer_activations
from cnnlab.network.forward import Network


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


def kept_epochs(epoch_weights: Sequence, initial_weights: list | None) -> range:
    """The epochs whose whole network a training kept: 0 (the random start) to the last, or from 1 for a model
    stored before CNN Lab kept its start; empty when it kept none."""
    if not epoch_weights and initial_weights is None:
        return range(0)
    return range(0 if initial_weights is not None else 1, len(epoch_weights) + 1)


def kept_filter_snapshots(epoch_weights: Sequence[list], initial_weights: list | None) -> list[np.ndarray]:
    """The conv1 kernels of every network a training kept so far (`kept_epochs` of them, in order), float32
    (5, 5, 1, filters) each: a running training's `TrainResult.filter_snapshots`, before it has finished."""
    kept = ([initial_weights] if initial_weights is not None else []) + list(epoch_weights)
    return [np.asarray(weights[0], dtype=np.float32) for weights in kept]


def weights_at_epoch(epoch_weights: Sequence[list], epoch: int, *, initial_weights: list | None = None,
                     final_weights: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """The network's weights after `epoch` epochs, as `model.get_weights()` lists them, float32.

    epoch_weights: `TrainResult.epoch_weights` (float16, widened again), epoch k at index k - 1; epoch 0 is
    `initial_weights`, the start the training kept. For the last kept epoch of a finished training pass its own
    float32 weights as `final_weights`.
    """
    kept = kept_epochs(epoch_weights, initial_weights)
    if epoch not in kept:
        span = f"epochs {kept.start} to {kept.stop - 1}" if kept else "no epochs"
        raise ValueError(f"Epoch {epoch} was not kept; this training kept {span}.")
    if epoch == 0:
        chosen = initial_weights
    elif epoch == len(epoch_weights) and final_weights is not None:
        chosen = final_weights
    else:
        chosen = epoch_weights[epoch - 1]
    return [np.asarray(values, dtype=np.float32) for values in chosen]


def digit_through_epochs(config: TrainConfig, epoch_weights: Sequence[list], digit: np.ndarray, *,
                         initial_weights: list | None = None,
                         final_weights: list[np.ndarray] | None = None) -> dict[int, list[LayerOutput]]:
    """Every layer's output for `digit` (uint8 28×28) with each kept epoch's network: {epoch: [layer]}, in order.

    The weights are `weights_at_epoch`'s: epoch 0 the random start when kept, the last `final_weights` when given.
    """
    return {epoch: layer_activations(Network(config, weights_at_epoch(epoch_weights, epoch,
                                                                      initial_weights=initial_weights,
                                                                      final_weights=final_weights)), digit)
            for epoch in kept_epochs(epoch_weights, initial_weights)}
