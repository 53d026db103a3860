"""Training the network: deterministic for a seed, observable through plain callbacks, cancellable.

Nothing here knows about Streamlit. Progress leaves through `on_batch_end` / `on_epoch_end`, and
`should_stop()` is polled after every batch so a caller (the app's training service) can cancel. `train` puts
together the pieces that live beside it: which images train and in what batches (`cnnlab.network.batches`), the
Keras callback that reports and watches the loss (`cnnlab.network.progress`), and the finished `TrainResult`
(`cnnlab.network.result`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.network.backend import load_keras
from cnnlab.network.batches import make_batches, split_indices
from cnnlab.network.model import build_model
from cnnlab.network.progress import (
    CHANCE_LOSS,
    BatchCallback,
    EpochCallback,
    WeightsCallback,
    conv1_kernels,
    float16_weights,
    progress_class,
)
from cnnlab.network.result import HISTORY_KEYS, TrainResult

SCORING_BATCH_SIZE = 500  # test digits per step when a finished training is scored
# The weights before training and after every epoch are kept (as float16, which draws the same pictures at half the
# size) so a student can watch a digit through each epoch's network; for networks so large or trained so long that
# they would take more than this, none are kept.
EPOCH_WEIGHTS_BUDGET_BYTES = 64 * 2**20


class TrainingCancelled(Exception):
    """Raised by `train` when `should_stop()` returned True; the half-trained model is dropped."""


class TrainingDiverged(ValueError):
    """Raised by `train` when the loss stopped being a finite number."""


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
    Raises `TrainingDiverged` when the loss becomes NaN or infinite, or runs away past
    `cnnlab.network.progress.RUNAWAY_LOSS`.
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
    progress = progress_class(keras)(config, on_epoch_end, on_batch_end, should_stop, snapshots,
                                     on_epoch_weights if keep_weights else None, keep_weights)
    fit_arguments = {}
    if len(validation_indices):
        fit_arguments["validation_data"] = make_batches(
            keras, dataset.x_train, dataset.y_train, config, False, indices=validation_indices
        )
    model.fit(
        make_batches(keras, dataset.x_train, dataset.y_train, config, shuffle=True, indices=train_indices),
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
        make_batches(keras, dataset.x_test, dataset.y_test, scoring, False), verbose=0
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
