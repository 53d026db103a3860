"""How long a training will take, worked out before it starts: the network's arithmetic times the images.

A forward pass through the network costs a fixed number of multiply-adds per image, set by the layer sizes alone.
Training does a forward and a backward pass per image per epoch, so its time grows with that number times the
images trained on; the Train page shows the estimate for each choice of training images before anyone trains.
"""

from __future__ import annotations

import math

from cnnlab.config import TrainConfig
from cnnlab.network.model import plan_layers
from cnnlab.network.training import SCORING_BATCH_SIZE

# The pace a server assumes before it has measured its own, counted in forward-pass multiply-adds: a training that
# passes N images through the network (forward and backward) in S seconds, beyond its per-step cost below, runs at
# N × multiply_adds_per_image(config) / S. Fitted to one-epoch trainings of three network sizes (78,560 to 6.3 M
# multiply-adds an image) on a busy 2-core VM, so a fresh server's first estimates err on the slow side; the
# training service replaces this with the pace it measures (`cnnlab.jobs.pace`). Every step also costs about 50 ms
# whatever the network (reading and converting the batch, Keras's per-step work).
DEFAULT_MULTIPLY_ADDS_PER_SECOND = 0.9e9
SECONDS_PER_STEP = 0.05
# Building the model and tracing its training graph, once per training (measured: about 2 s).
STARTUP_SECONDS = 2.0
# A forward pass alone (validation and test images) does about a third of a training step's arithmetic.
FORWARD_SHARE = 1 / 3


def multiply_adds_per_image(config: TrainConfig) -> int:
    """The multiply-adds of one forward pass of one 28×28 digit through the network that `config` builds.

    Each output value of a conv layer is a kernel_height × kernel_width × input_channels dot product (with "same"
    padding, the padding's zeros are multiplied too); each dense output is an input-width dot product. Pooling,
    dropout and flatten multiply nothing, and the bias additions and activations are left out (they are one
    operation per output, not a product). The default network: 1,035,900. Raises
    `cnnlab.network.model.NetworkTooSmall` for settings that make no network.
    """
    return sum(layer.multiply_adds for layer in plan_layers(config))


def estimated_training_seconds(
    config: TrainConfig,
    train_images: int,
    multiply_adds_per_second: float | None = None,
    *,
    test_images: int = 0,
) -> float:
    """Seconds a training with `config` should take on a dataset of `train_images` training digits.

    `train_images` is how many training images the dataset has; `config.train_size` (if set) takes fewer, and
    `config.validation_fraction` of those are held back and only passed forward, once per epoch. `test_images`
    are passed forward once at the end. `multiply_adds_per_second` is the training throughput in forward-pass
    multiply-adds (see DEFAULT_MULTIPLY_ADDS_PER_SECOND); pass one measured on the machine at hand for a closer
    figure. Returns a positive float; the estimate is meant to be right to within a factor of about 1.5.
    """
    if isinstance(train_images, bool) or not isinstance(train_images, int) or train_images < 1:
        raise ValueError(f"The number of training images must be a whole number of at least 1, not {train_images!r}.")
    if isinstance(test_images, bool) or not isinstance(test_images, int) or test_images < 0:
        raise ValueError(f"The number of test images must be a whole number of at least 0, not {test_images!r}.")
    rate = DEFAULT_MULTIPLY_ADDS_PER_SECOND if multiply_adds_per_second is None else multiply_adds_per_second
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"The throughput must be a positive number of multiply-adds per second, not {rate!r}.")
    trained, validation = config.image_split(train_images)
    # Every batch, trained or only passed forward, costs a step; the arithmetic of a forward pass alone is a
    # share of a training step's.
    # The test digits are scored in larger batches than training uses (`training.SCORING_BATCH_SIZE`).
    scoring_batch = max(config.batch_size, SCORING_BATCH_SIZE)
    steps = (config.epochs * (math.ceil(trained / config.batch_size) + math.ceil(validation / config.batch_size))
             + math.ceil(test_images / scoring_batch))
    image_passes = config.epochs * (trained + validation * FORWARD_SHARE) + test_images * FORWARD_SHARE
    return STARTUP_SECONDS + steps * SECONDS_PER_STEP + image_passes * multiply_adds_per_image(config) / rate

def describe_duration(seconds: float) -> str:
    """A rough duration as a student reads it: "about 5 s", "about 40 s", "about 3 min", "about 1.5 h"."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"A duration must be a number of seconds of at least 0, not {seconds!r}.")
    if seconds < 10:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90:
        return f"about {round(seconds, -1):.0f} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):.0f} min"
    return f"about {seconds / 3600:.1f} h"
