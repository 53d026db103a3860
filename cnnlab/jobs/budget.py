"""How long one training may take on this server, and the nearest settings that fit when one would take longer.

A class shares one server, usually one worker: a training that takes a day holds every other student's for a
day. The service compares each new training's estimate with the budget before it queues it, and stops a running
one that passes the budget or twice its estimate (`time_limit`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import replace

from cnnlab.config import BATCH_SIZES, TRAIN_SIZES, TrainConfig
from cnnlab.network.estimate import describe_duration

MAX_MINUTES_VARIABLE = "CNNLAB_MAX_TRAINING_MINUTES"
# Ten minutes of this server's pace: the reference model on all of MNIST (about 3 min on 2 cores) fits three
# times over, and a lesson goes on while the longest training runs.
DEFAULT_MAX_MINUTES = 10.0
MINUTES_RANGE = (0.5, 24 * 60.0)
# Short trainings are dominated by start-up (a fresh worker imports TensorFlow), which no estimate foresees: a
# training is stopped for overrunning only once it is also this much past its estimate.
OVERRUN_SLACK_SECONDS = 60.0


def minutes_from_text(text: str | float) -> float:
    """A budget in minutes from a setting's text ("10", "2.5"); ValueError with a sentence when it is not one."""
    try:
        minutes = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"The training budget must be a number of minutes, not {text!r}.") from None
    low, high = MINUTES_RANGE
    if not math.isfinite(minutes) or not low <= minutes <= high:
        raise ValueError(f"The training budget must be between {low:g} and {high:,.0f} minutes, not {text!r}.")
    return minutes


def budget_from_environment() -> float:
    """The budget in minutes from $CNNLAB_MAX_TRAINING_MINUTES, else DEFAULT_MAX_MINUTES."""
    text = os.environ.get(MAX_MINUTES_VARIABLE, "").strip()
    return minutes_from_text(text) if text else DEFAULT_MAX_MINUTES


class OverBudget(ValueError):
    """A training refused before it was queued: its sentence, and the nearest settings that fit (or None)."""

    def __init__(self, sentence: str, estimate_seconds: float, budget_seconds: float,
                 suggestion: TrainConfig | None):
        super().__init__(sentence)
        self.estimate_seconds = estimate_seconds
        self.budget_seconds = budget_seconds
        self.suggestion = suggestion


def check_budget(config: TrainConfig, available_images: int, budget_seconds: float,
                 estimate: Callable[[TrainConfig], float]) -> None:
    """Raise `OverBudget` when `estimate(config)` seconds is over `budget_seconds`.

    available_images: the training images of the data (60,000 for MNIST), for the smaller choices to offer.
    estimate: seconds a worker of this server needs for a config, at the pace it measured.
    """
    seconds = estimate(config)
    if seconds <= budget_seconds:
        return
    suggestion = nearest_fitting(config, available_images, lambda choice: estimate(choice) <= budget_seconds)
    sentence = (f"This training would take {describe_duration(seconds)} on this server, and a training may take at "
                f"most {describe_duration(budget_seconds)} here, so that everyone's trainings get their turn.")
    if suggestion is None:
        sentence += (" Even one epoch on the fewest images is too long: choose fewer filters or smaller dense layers, "
                     "smaller kernels, fewer conv layers, stride 2 or pooling.")
    else:
        sentence += f" The nearest settings that fit: {changes_text(config, suggestion)}."
    raise OverBudget(sentence, seconds, budget_seconds, suggestion)


def nearest_fitting(config: TrainConfig, available_images: int,
                    fits: Callable[[TrainConfig], bool]) -> TrainConfig | None:
    """The settings closest to `config` that `fits`, changing only epochs (fewer), training images (fewer) and batch
    size (larger); None when even the smallest of those does not fit.

    Closest: the fewest settings changed, then the most images × epochs kept (the most learning), then the
    smallest batch.
    """
    used = config.image_split(available_images)[0] + config.image_split(available_images)[1]
    sizes = [config.train_size] + [size for size in TRAIN_SIZES if size is not None and size < used]
    batches = [config.batch_size] + [size for size in BATCH_SIZES if size > config.batch_size]
    candidates = []
    for epochs in range(config.epochs, 0, -1):
        for train_size in sizes:
            for batch_size in batches:
                choice = replace(config, epochs=epochs, train_size=train_size, batch_size=batch_size)
                changed = (epochs != config.epochs) + (train_size != config.train_size) + (
                    batch_size != config.batch_size)
                images = sum(choice.image_split(available_images))
                candidates.append(((changed, -images * epochs, batch_size), choice))
    for _, choice in sorted(candidates, key=lambda candidate: candidate[0]):
        if fits(choice):
            return choice
    return None


def changes_text(config: TrainConfig, suggestion: TrainConfig) -> str:
    """What differs between two settings, in a student's words: "1 epoch, 10,000 training images, batch 512"."""
    parts = []
    if suggestion.epochs != config.epochs:
        parts.append(f"{suggestion.epochs} epoch{'s' if suggestion.epochs != 1 else ''}")
    if suggestion.train_size != config.train_size:
        parts.append(f"{suggestion.train_size:,} training images")
    if suggestion.batch_size != config.batch_size:
        parts.append(f"batch {suggestion.batch_size:,}")
    return ", ".join(parts)


def time_limit(estimate_seconds: float, budget_seconds: float) -> float:
    """How long a running training may take before it is stopped: the budget, or twice its estimate (at least
    OVERRUN_SLACK_SECONDS past it), whichever comes first."""
    return min(budget_seconds, max(2 * estimate_seconds, estimate_seconds + OVERRUN_SLACK_SECONDS))


def overrun_sentence(elapsed_seconds: float, estimate_seconds: float, budget_seconds: float) -> str:
    """Why a running training was stopped, in a student's words."""
    if elapsed_seconds >= budget_seconds:
        why = f"the longest a training may run on this server is {describe_duration(budget_seconds)}"
    else:
        why = f"that is more than twice the time it was expected to take ({describe_duration(estimate_seconds)})"
    return (f"This training was stopped after {describe_duration(elapsed_seconds)}: {why}, so that the other "
            "trainings get their turn. Try fewer epochs or training images.")
