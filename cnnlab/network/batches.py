"""The images a training learns from, in the order it sees them: which train and which validate, and the batches.

`split_indices` chooses, from a seed, which training images train and which are held back to validate (a
class-balanced subset when the settings ask for fewer). `make_batches` hands Keras those images one float batch at
a time, in an order drawn from the same seed, so the same settings give the same weights.
"""

from __future__ import annotations

import math

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input


def split_indices(labels: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Choose which training images train and which validate, the same way for the same seed.

    labels: int (n,). Returns (train_indices, validation_indices), int64, disjoint. With `train_size` set, only
    that many images are used in all (class-balanced, so a small subset still has every digit).
    Raises ValueError when holding some back for validation would leave none to train on.
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


def make_batches(keras_module, images: np.ndarray, labels: np.ndarray, config: TrainConfig, shuffle: bool,
                 indices: np.ndarray | None = None):
    """A Keras `PyDataset` that keeps the images uint8 and makes one float batch at a time.

    images: uint8 (n, 28, 28), 0–255; labels: int (n,); `indices` (optional) picks the rows to use, so that a subset
    of a shared dataset is read in place rather than copied (54,000 MNIST images are 42 MB as uint8).
    Each item is (float32 (b, 28, 28, 1) in [0, 1], labels (b,)), b ≤ config.batch_size. With `shuffle` the rows come
    in a new order every epoch, drawn from config.seed, and are augmented when config.augment is set; without it,
    in the order of `indices`.
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
