"""How long a training will take, from the work the network does per image and the speed a worker measured."""

from __future__ import annotations

from cnnlab.config import TrainConfig

IMAGE_SIDE = 28
NUM_CLASSES = 10
# Forward multiply-adds per second of training (one image's forward multiply-adds × images trained per second),
# measured for the reference model on the 2-core machine CNN Lab is tested on (about 4,400 images per second).
DEFAULT_MULTIPLY_ADDS_PER_SECOND = 4.5e9
# What a batch costs beyond its arithmetic (Python, Keras's step, making the float batch), which dominates for
# tiny networks.
SECONDS_PER_BATCH = 0.004


def multiply_adds_per_image(config: TrainConfig) -> int:
    """Multiply-adds of one image's forward pass through the network `config` builds."""
    conv1_side = IMAGE_SIDE - 5 + 1
    conv1 = conv1_side * conv1_side * config.conv1_filters * 5 * 5
    conv2_side = conv1_side // 2 - 3 + 1
    conv2 = conv2_side * conv2_side * config.conv2_filters * 3 * 3 * config.conv1_filters
    width = conv2_side * conv2_side * config.conv2_filters
    dense = 0
    for units in (*config.dense_units, NUM_CLASSES):
        dense += width * units
        width = units
    return conv1 + conv2 + dense


def estimated_training_seconds(
    config: TrainConfig, train_images: int, multiply_adds_per_second: float | None = None
) -> float:
    """Seconds to train `config` on `train_images` images per epoch, at the given (or default) speed."""
    speed = multiply_adds_per_second or DEFAULT_MULTIPLY_ADDS_PER_SECOND
    batches = -(-train_images // config.batch_size)
    per_epoch = train_images * multiply_adds_per_image(config) / speed + batches * SECONDS_PER_BATCH
    return config.epochs * per_epoch
