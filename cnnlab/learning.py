"""How the first layer's filters changed while the network learnt, from the snapshots saved after every epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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


def history_records(history: dict[str, list[float]]) -> list[dict]:
    """`TrainResult.history` ({"loss": [...], ...}) as one record per epoch, the form the curve charts take.

    Returns [{"epoch": 1, "loss": …, "accuracy": …, "val_loss": …, "val_accuracy": …}, …], epochs 1-based.
    """
    lengths = {len(values) for values in history.values()}
    if len(lengths) > 1:
        raise ValueError(f"Every metric needs one value per epoch; got lengths {sorted(lengths)}.")
    count = lengths.pop() if lengths else 0
    return [{"epoch": index + 1, **{name: float(values[index]) for name, values in history.items()}}
            for index in range(count)]
