"""A finished training, as every part of CNN Lab passes it around: the learnt weights and what the training saw.

`TrainResult` holds plain NumPy arrays and numbers, so a stored model is read back, listed and run (in NumPy, through
`TrainResult.network`) without TensorFlow; only `TrainResult.model` builds a Keras model, on first use.
`history_records` turns its history into the one-record-per-epoch form the curve charts take.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.network.forward import Network
from cnnlab.network.model import build_model

if TYPE_CHECKING:
    import keras

# The metrics Keras reports after every epoch that a training keeps, in the order the charts list them.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

# Two pages may ask for the same stored model's Keras model at once; it is built once.
_MODEL_LOCK = threading.Lock()


@dataclass
class TrainResult:
    """A finished training.

    weights: the learnt weights, float32, as `model.get_weights()` lists them (`network` runs them in NumPy).
    history: {"loss", "accuracy", "val_loss", "val_accuracy"} → one float per epoch.
    filter_snapshots: conv1 kernels, float32 (k, k, 1, filters) each (k: its kernel size); index 0 is before training,
        index k after epoch k, so there are epochs + 1 of them.
    """

    config: TrainConfig
    weights: list[np.ndarray]
    history: dict[str, list[float]]
    test_accuracy: float
    test_loss: float
    seconds: float
    filter_snapshots: list[np.ndarray]
    dataset_name: str = ""
    # The weights after each epoch (index k - 1 for epoch k), float16, as `model.get_weights()` lists them; empty
    # when they would not fit `cnnlab.network.training.EPOCH_WEIGHTS_BUDGET_BYTES`. The last epoch's are the model's
    # own (float32).
    epoch_weights: list[list[np.ndarray]] = field(default_factory=list)
    # Epoch 0: the weights the network started from, before any batch, float16 like `epoch_weights` and kept with
    # them. None when those were not kept, and for a model stored before CNN Lab kept its start.
    initial_weights: list[np.ndarray] | None = None
    train_images: int = 0
    validation_images: int = 0
    extras: dict = field(default_factory=dict)
    # The Keras model holding `weights`: the one that trained, or one built on first use of `model`.
    _model: keras.Model | None = field(default=None, repr=False, compare=False)
    _network: Network | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def network(self) -> Network:
        """The weights as a NumPy network: every layer's output for a digit without TensorFlow."""
        if self._network is None:
            self._network = Network(self.config, self.weights)
        return self._network

    @property
    def model(self) -> keras.Model:
        """The trained network as a Keras model, for gradients and downloads (built, and TensorFlow imported, on
        first use; a stored model is read without Keras)."""
        with _MODEL_LOCK:
            if self._model is None:
                model = build_model(self.config)
                model.set_weights(self.weights)
                self._model = model
            return self._model


def history_records(history: dict[str, list[float]]) -> list[dict]:
    """`TrainResult.history` ({"loss": [...], ...}) as one record per epoch, the form the curve charts take.

    Returns [{"epoch": 1, "loss": …, "accuracy": …, "val_loss": …, "val_accuracy": …}, …], epochs 1-based.
    Raises ValueError when the metrics do not all have one value per epoch.
    """
    lengths = {len(values) for values in history.values()}
    if len(lengths) > 1:
        raise ValueError(f"Every metric needs one value per epoch; got lengths {sorted(lengths)}.")
    count = lengths.pop() if lengths else 0
    return [{"epoch": index + 1, **{name: float(values[index]) for name, values in history.items()}}
            for index in range(count)]
