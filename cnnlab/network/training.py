"""Training the network: deterministic for a seed, observable through plain callbacks, cancellable.

Nothing here knows about Streamlit. Progress leaves through `on_batch_end` / `on_epoch_end`, and
`should_stop()` is polled after every batch so a caller (the app's training service) can cancel.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.digits.format import to_model_input
from cnnlab.network.backend import load_keras
from cnnlab.network.forward import Network
from cnnlab.network.model import build_model

if TYPE_CHECKING:
    import keras

EpochCallback = Callable[[int, dict], None]
WeightsCallback = Callable[[int, list], None]
BatchCallback = Callable[[int, int, int, dict], None]

SCORING_BATCH_SIZE = 500  # test digits per step when a finished training is scored
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
# The cross-entropy of a network that only guesses among 10 digits is ln 10 ≈ 2.3, and a healthy training starts
# there and goes down. Keras computes this loss from the logits, so a learning rate that is far too large makes it
# explode to thousands or millions without ever becoming NaN (measured on 600 sample digits: learning rate 0.03
# peaks near 560, 1.0 above 1,000, 10 above 10^13) and leaves a network at chance. A running mean past this
# bound is a runaway; the worst recovering run measured (learning rate 0.01) peaked at 14.
RUNAWAY_LOSS = 100.0
CHANCE_LOSS = math.log(10)
# The weights before training and after every epoch are kept (as float16, which draws the same pictures at half the
# size) so a student can watch a digit through each epoch's network; for networks so large or trained so long that
# they would take more than this, none are kept.
EPOCH_WEIGHTS_BUDGET_BYTES = 64 * 2**20


# Two pages may ask for the same stored model's Keras model at once; it is built once.
_MODEL_LOCK = threading.Lock()


class TrainingCancelled(Exception):
    """Raised by `train` when `should_stop()` returned True; the half-trained model is dropped."""


class TrainingDiverged(ValueError):
    """Raised by `train` when the loss stopped being a finite number."""


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
    # when they would not fit EPOCH_WEIGHTS_BUDGET_BYTES. The last epoch's are the model's own (float32).
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


def split_indices(labels: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Choose which training images train and which validate, the same way for the same seed.

    labels: int (n,). Returns (train_indices, validation_indices), disjoint. With `train_size` set,
    only that many images are used in all (class-balanced, so a small subset still has every digit).
    """
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(labels))
    if config.train_size is not None and config.train_size < len(labels):
        # Deal the shuffled images out class by class, round-robin, then keep the first ones.
        shuffled = labels[order]
        rank_in_class = np.empty(len(order), dtype=np.int64)
        for digit in np.unique(shuffled):
            members = np.flatnonzero(shuffled == digit)
            rank_in_class[members] = np.arange(len(members))
        order = order[np.lexsort((shuffled, rank_in_class))][: config.train_size]
        order = order[rng.permutation(len(order))]
    learnt_count, validation_count = config.image_split(len(order))
    if validation_count and learnt_count < 1:
        raise ValueError("There are too few training images to hold some back for validation.")
    return order[validation_count:], order[:validation_count]


def _make_batches(keras_module, images, labels, config: TrainConfig, shuffle: bool, indices=None):
    """A Keras `PyDataset` that keeps the images uint8 and makes one float batch at a time.

    images uint8 (n, 28, 28), labels (n,); `indices` (optional) picks the rows to use, so that a subset of a
    shared dataset is read in place rather than copied (54,000 MNIST images are 42 MB as uint8).
    """
    if indices is None:
        indices = np.arange(len(labels))

    class DigitBatches(keras_module.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(config.seed + 1)
            self.order = np.arange(len(indices))
            self.augmenter = _make_augmenter(keras_module, config.seed) if config.augment and shuffle else None
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(len(indices) / config.batch_size)

        def __getitem__(self, index):
            chosen = indices[self.order[index * config.batch_size : (index + 1) * config.batch_size]]
            batch = to_model_input(images[chosen])
            if self.augmenter is not None:
                batch = np.asarray(self.augmenter(batch, training=True))
            return batch, labels[chosen]

        def on_epoch_end(self):
            if shuffle:
                self.order = self.rng.permutation(len(indices))

    return DigitBatches()


def _make_augmenter(keras_module, seed: int):
    """Small random shifts (±10 %), rotations (±10°) and zooms (±10 %) of a float batch (n, 28, 28, 1)."""
    layers = keras_module.layers
    return keras_module.Sequential(
        [
            layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
        ],
        name="augment",
    )


def float16_weights(model: keras.Model) -> list[np.ndarray]:
    """A copy of all the model's weights as `model.get_weights()` lists them, rounded to float16 to be kept."""
    return [np.asarray(values, dtype=np.float16) for values in model.get_weights()]


def conv1_kernels(model: keras.Model) -> np.ndarray:
    """A copy of the first conv layer's kernels, float32 (k, k, 1, filters), k its kernel size."""
    return np.array(model.get_layer("conv1").get_weights()[0], dtype=np.float32)


def train(
    config: TrainConfig,
    dataset: Dataset,
    *,
    on_epoch_end: EpochCallback | None = None,
    on_batch_end: BatchCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_epoch_weights: WeightsCallback | None = None,
) -> TrainResult:
    """Train a fresh model on `dataset` with `config`; the same inputs give the same weights.

    on_batch_end(epoch, batch, batches_per_epoch, {"loss", "accuracy"}) after every batch (1-based);
    on_epoch_end(epoch, {"loss", "accuracy", "val_loss", "val_accuracy"}) after every epoch (1-based);
    should_stop() is polled after every batch and, once True, ends training with `TrainingCancelled`.
    on_epoch_weights(epoch, weights) with epoch 0 (the random start) before the first batch, then after every epoch,
    when the weights are kept (float16 arrays, see `epoch_weights` and `initial_weights`).
    Raises `TrainingDiverged` when the loss becomes NaN or infinite, or runs away past RUNAWAY_LOSS.
    """
    keras = load_keras()
    started = time.perf_counter()
    # One call seeds Python, NumPy and TensorFlow, which Keras draws initial weights and dropout from.
    keras.utils.set_random_seed(config.seed)
    train_indices, validation_indices = split_indices(dataset.y_train, config)
    model = build_model(config)
    snapshots = [conv1_kernels(model)]
    # float16 is 2 bytes a weight; the start and every epoch are kept.
    keep_weights = model.count_params() * 2 * (config.epochs + 1) <= EPOCH_WEIGHTS_BUDGET_BYTES
    initial_weights = float16_weights(model) if keep_weights else None
    if initial_weights is not None and on_epoch_weights is not None:
        on_epoch_weights(0, initial_weights)
    progress = _progress_class(keras)(config, on_epoch_end, on_batch_end, should_stop, snapshots,
                                      on_epoch_weights if keep_weights else None, keep_weights)
    fit_arguments = {}
    if len(validation_indices):
        fit_arguments["validation_data"] = _make_batches(
            keras, dataset.x_train, dataset.y_train, config, False, indices=validation_indices
        )
    model.fit(
        _make_batches(keras, dataset.x_train, dataset.y_train, config, shuffle=True, indices=train_indices),
        epochs=config.epochs,
        callbacks=[progress],
        verbose=0,
        # The batches already come in an order drawn from the seed. Keras's own shuffle of a PyDataset's batches
        # draws from Python's global `random`, which Dask's and Streamlit's threads draw from too: with it, the
        # same settings gave different weights from run to run inside a worker.
        shuffle=False,
        **fit_arguments,
    )
    if progress.cancelled:
        raise TrainingCancelled("Training was cancelled.")
    if progress.diverged and progress.runaway_loss is not None:
        raise TrainingDiverged(
            f"The loss ran away in epoch {progress.diverged_epoch}: it reached {progress.runaway_loss:,.0f}, where "
            f"a network that only guesses scores {CHANCE_LOSS:.1f}, so the steps are too large to learn from; lower "
            f"the learning rate (it is {config.learning_rate:g}) and train again."
        )
    if progress.diverged:
        raise TrainingDiverged(
            f"The loss became NaN in epoch {progress.diverged_epoch}; lower the learning rate "
            f"(it is {config.learning_rate:g}) and train again."
        )
    evaluate_started = time.perf_counter()
    # Scored in larger batches than it trained in: the answers do not depend on the batch, and each step has a fixed
    # cost (about 50 ms here), which made scoring 10,000 digits in batches of 100 several seconds of every training.
    scoring = replace(config, batch_size=max(config.batch_size, SCORING_BATCH_SIZE))
    test_loss, test_accuracy = model.evaluate(
        _make_batches(keras, dataset.x_test, dataset.y_test, scoring, False), verbose=0
    )
    evaluate_seconds = time.perf_counter() - evaluate_started
    history = {key: [float(epoch[key]) for epoch in progress.epochs] for key in HISTORY_KEYS
               if progress.epochs and key in progress.epochs[0]}
    return TrainResult(
        config=config,
        weights=model.get_weights(),
        _model=model,
        history=history,
        test_accuracy=float(test_accuracy),
        test_loss=float(test_loss),
        seconds=time.perf_counter() - started,
        filter_snapshots=snapshots,
        epoch_weights=progress.epoch_weights,
        initial_weights=initial_weights,
        dataset_name=dataset.name,
        train_images=len(train_indices),
        validation_images=len(validation_indices),
        extras={"evaluate_seconds": evaluate_seconds},
    )


_PROGRESS_CLASSES: dict = {}


def _progress_class(keras_module):
    """The Keras callback that adapts Keras's protocol to CNN Lab's plain-value callbacks.

    Made on first use (and kept) because Keras must not be imported when this module loads.
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
