"""Comparing two trained models: how their settings differ, and where their answers on the same digits do."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.evaluate import Evaluation

# How each setting reads to a student, in the order they matter most.
SETTING_NAMES = {
    "conv1_filters": "filters in conv layer 1",
    "conv2_filters": "filters in conv layer 2",
    "epochs": "epochs",
    "dense_units": "hidden dense layers",
    "dropout": "dropout",
    "learning_rate": "learning rate",
    "batch_size": "batch size",
    "train_size": "training images",
    "augment": "augmentation",
    "seed": "seed",
    "validation_fraction": "validation share",
}


def describe_config(config: TrainConfig) -> str:
    """A one-line label for a model's settings, e.g. "30 + 15 filters · 3 epochs · dense 128 → 50"."""
    dense = " → ".join(map(str, config.dense_units)) if config.dense_units else "none"
    epochs = f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}"
    size = "all images" if config.train_size is None else f"{config.train_size:,} images"
    return f"{config.conv1_filters} + {config.conv2_filters} filters · {epochs} · dense {dense} · {size}"


def config_differences(first: TrainConfig, second: TrainConfig) -> list[tuple[str, object, object]]:
    """The settings in which two models differ: [(readable name, first's value, second's value), …]."""
    names = [field.name for field in fields(TrainConfig)]
    ordered = [name for name in SETTING_NAMES if name in names] + [name for name in names if name not in SETTING_NAMES]
    return [(SETTING_NAMES.get(name, name), getattr(first, name), getattr(second, name))
            for name in ordered if getattr(first, name) != getattr(second, name)]


@dataclass(frozen=True)
class AnswerComparison:
    """How two models did on the same labelled digits: counts of digits each pair of outcomes applies to."""

    both_right: int
    only_first_right: int
    only_second_right: int
    both_wrong: int

    @property
    def total(self) -> int:
        return self.both_right + self.only_first_right + self.only_second_right + self.both_wrong


def compare_answers(first: Evaluation, second: Evaluation) -> AnswerComparison:
    """Count, digit by digit, which of the two models read it correctly. Both must have seen the same digits."""
    if first.labels.shape != second.labels.shape or not np.array_equal(first.labels, second.labels):
        raise ValueError("The two models were evaluated on different digits, so their answers cannot be compared "
                         "one by one.")
    first_right = first.predictions == first.labels
    second_right = second.predictions == second.labels
    return AnswerComparison(
        both_right=int((first_right & second_right).sum()),
        only_first_right=int((first_right & ~second_right).sum()),
        only_second_right=int((~first_right & second_right).sum()),
        both_wrong=int((~first_right & ~second_right).sum()),
    )
