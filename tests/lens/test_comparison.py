"""Comparing models: setting differences on hand-made configs, answer counts against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.lens.comparison import compare_answers, config_differences
from cnnlab.lens.evaluation import Evaluation, confusion_matrix


def evaluation(labels, predictions) -> Evaluation:
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return Evaluation(labels, predictions, np.ones(len(labels), dtype=np.float32),
                      confusion_matrix(labels, predictions))


def test_config_differences_lists_only_what_differs_in_words():
    first, second = TrainConfig(), TrainConfig(conv_layers=((4, 5), (15, 3)), epochs=5, dropout=0.2)
    assert config_differences(first, second) == [
        ("conv layers", "30 filters 5×5, 15 filters 3×3", "4 filters 5×5, 15 filters 3×3"), ("epochs", "3", "5")]
    deeper = TrainConfig(conv_layers=((16, 3), (32, 3), (64, 3)), padding="same", activation="sigmoid",
                         optimizer="sgd")
    assert config_differences(first, deeper) == [
        ("conv layers", "30 filters 5×5, 15 filters 3×3", "16 filters 3×3, 32 filters 3×3, 64 filters 3×3"),
        ("padding", "valid", "same"), ("activation", "ReLU", "sigmoid"), ("optimiser", "RMSprop", "SGD with momentum")]
    assert config_differences(first, TrainConfig()) == []
    other = TrainConfig(dense_units=(), train_size=1000, augment=True)
    assert config_differences(first, other) == [("hidden dense layers", "128 → 50", "no hidden layers"),
                                                ("training images", "all", "1,000"), ("augmentation", "off", "on")]


def test_compare_answers_counts_each_outcome():
    labels = [1, 2, 3, 4, 5, 6]
    first = evaluation(labels, [1, 2, 0, 0, 5, 0])
    second = evaluation(labels, [1, 0, 3, 0, 0, 6])
    counts = compare_answers(first, second)
    # By hand: digit 1 both right; 2 and 5 only first; 3 and 6 only second; 4 neither.
    assert (counts.both_right, counts.only_first_right, counts.only_second_right, counts.both_wrong) == (1, 2, 2, 1)
    assert counts.total == 6


def test_compare_answers_on_random_answers_matches_a_loop():
    generator = np.random.default_rng(5)
    labels = generator.integers(0, 10, 500)
    first = evaluation(labels, np.where(generator.random(500) < 0.8, labels, generator.integers(0, 10, 500)))
    second = evaluation(labels, np.where(generator.random(500) < 0.6, labels, generator.integers(0, 10, 500)))
    expected = {"both_right": 0, "only_first_right": 0, "only_second_right": 0, "both_wrong": 0}
    for label, a, b in zip(labels, first.predictions, second.predictions, strict=True):
        key = {(True, True): "both_right", (True, False): "only_first_right",
               (False, True): "only_second_right", (False, False): "both_wrong"}[(a == label, b == label)]
        expected[key] += 1
    counts = compare_answers(first, second)
    assert {name: getattr(counts, name) for name in expected} == expected


def test_different_digits_cannot_be_compared():
    with pytest.raises(ValueError, match="different digits"):
        compare_answers(evaluation([1, 2], [1, 2]), evaluation([1, 3], [1, 3]))
