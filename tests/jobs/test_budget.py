"""The training budget: refusals with their sentence, the nearest settings that fit, and when a running training
is stopped. The estimate here is a plain stand-in (seconds per image and per step), not the app's own."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from cnnlab.config import BATCH_SIZES, TRAIN_SIZES, TrainConfig
from cnnlab.jobs.budget import (
    DEFAULT_MAX_MINUTES,
    MAX_MINUTES_VARIABLE,
    OverBudget,
    budget_from_environment,
    check_budget,
    minutes_from_text,
    nearest_fitting,
    time_limit,
)

MNIST_TRAINING_IMAGES = 60_000
# The largest settings the Train page accepts through a link.
MAXIMAL = TrainConfig(epochs=50, batch_size=1, conv_layers=((64, 5), (64, 3)), dense_units=(1024,) * 4)


def stand_in_estimate(config: TrainConfig) -> float:
    """1 ms per image per epoch and 20 ms per step: enough to rank settings as a real estimate does."""
    used = MNIST_TRAINING_IMAGES if config.train_size is None else config.train_size
    return config.epochs * (used * 0.001 + used / config.batch_size * 0.02)


def test_settings_within_the_budget_pass():
    check_budget(TrainConfig(), MNIST_TRAINING_IMAGES, 600, stand_in_estimate)  # 3 × (60 + 12) = 216 s


def test_a_training_over_the_budget_is_refused_with_its_time_the_budget_and_settings_that_fit():
    with pytest.raises(OverBudget) as refusal:
        check_budget(MAXIMAL, MNIST_TRAINING_IMAGES, 600, stand_in_estimate)
    sentence = str(refusal.value)
    assert "about 17.5 h" in sentence  # 50 × (60 + 1,200) s = 63,000 s
    assert "at most about 10 min" in sentence
    assert "nearest settings that fit" in sentence
    suggestion = refusal.value.suggestion
    assert stand_in_estimate(suggestion) <= 600
    # Only the epochs, the number of images and the batch size may change; the network stays the student's.
    assert (suggestion.conv_layers[0][0], suggestion.conv_layers[1][0], suggestion.dense_units) == (64, 64, (1024,) * 4)
    assert refusal.value.estimate_seconds == pytest.approx(63_000)


def changed(config: TrainConfig, other: TrainConfig) -> int:
    return sum(getattr(config, name) != getattr(other, name) for name in ("epochs", "train_size", "batch_size"))


@pytest.mark.parametrize("config", [
    TrainConfig(epochs=10),
    TrainConfig(epochs=4, batch_size=16),
    MAXIMAL,
])
def test_the_suggestion_changes_as_few_settings_as_possible_and_keeps_the_most_learning(config):
    budget = 300
    suggestion = nearest_fitting(config, MNIST_TRAINING_IMAGES, lambda choice: stand_in_estimate(choice) <= budget)
    assert suggestion is not None and stand_in_estimate(suggestion) <= budget
    # Every fitting alternative, by brute force over the page's choices.
    sizes = [config.train_size, *[size for size in TRAIN_SIZES if size is not None]]
    alternatives = [replace(config, epochs=epochs, train_size=size, batch_size=batch)
                    for epochs, size, batch in itertools.product(range(1, config.epochs + 1), sizes,
                                                                 [config.batch_size, *BATCH_SIZES])
                    if batch >= config.batch_size and (size or MNIST_TRAINING_IMAGES) <= MNIST_TRAINING_IMAGES]
    fitting = [choice for choice in alternatives if stand_in_estimate(choice) <= budget]
    fewest = min(changed(config, choice) for choice in fitting)
    assert changed(config, suggestion) == fewest
    def learning(choice):
        return choice.epochs * (choice.train_size or MNIST_TRAINING_IMAGES)
    assert learning(suggestion) == max(learning(choice) for choice in fitting if changed(config, choice) == fewest)


def test_nothing_fits_when_even_one_epoch_on_the_fewest_images_is_too_long():
    assert nearest_fitting(MAXIMAL, MNIST_TRAINING_IMAGES, lambda choice: False) is None
    with pytest.raises(OverBudget) as refusal:
        check_budget(MAXIMAL, MNIST_TRAINING_IMAGES, 0.001, stand_in_estimate)
    assert refusal.value.suggestion is None and "fewer filters" in str(refusal.value)


def test_the_budget_comes_from_the_environment_or_the_default(monkeypatch):
    monkeypatch.delenv(MAX_MINUTES_VARIABLE, raising=False)
    assert budget_from_environment() == DEFAULT_MAX_MINUTES == 10
    monkeypatch.setenv(MAX_MINUTES_VARIABLE, "2.5")
    assert budget_from_environment() == 2.5
    monkeypatch.setenv(MAX_MINUTES_VARIABLE, "lots")
    with pytest.raises(ValueError, match="number of minutes"):
        budget_from_environment()


@pytest.mark.parametrize("text", ["0", "-3", "nan", "inf", "100000", ""])
def test_an_impossible_budget_is_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="training budget"):
        minutes_from_text(text)


def test_a_running_training_may_take_twice_its_estimate_with_a_minute_of_slack_but_never_past_the_budget():
    assert time_limit(200, 600) == 400
    assert time_limit(20, 600) == 80  # a short training's start-up is no overrun
    assert time_limit(500, 600) == 600
    assert time_limit(float("inf"), 600) == 600
