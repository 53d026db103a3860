"""Comparing two trained models: how their settings differ, and where their answers on the same digits do."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.lens.evaluation import Evaluation
from cnnlab.words import SETTING_NAMES, setting_text


def config_differences(first: TrainConfig, second: TrainConfig) -> list[tuple[str, str, str]]:
    """The settings in which two models differ, in words: [(setting's name, first's value, second's value), …],
    e.g. ("hidden dense layers", "128 → 50", "no hidden layers")."""
    return [(title, setting_text(name, getattr(first, name)), setting_text(name, getattr(second, name)))
            for name, title in SETTING_NAMES.items() if getattr(first, name) != getattr(second, name)]


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
