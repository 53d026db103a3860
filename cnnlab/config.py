"""Training settings for CNN Lab's network, as one frozen (hashable) dataclass.

A `TrainConfig` is the whole recipe for a trained model: the same config and the same data give the
same weights. Being frozen makes it hashable, so it doubles as the cache key of the training service.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Slider ranges. The app's widgets read these too, so a value a page offers is always a valid one.
FILTERS_RANGE = (1, 64)
EPOCHS_RANGE = (1, 50)
DROPOUT_RANGE = (0.0, 0.9)
BATCH_SIZE_RANGE = (1, 2048)
LEARNING_RATE_RANGE = (1e-6, 10.0)
DENSE_UNITS_RANGE = (1, 1024)
MAX_DENSE_LAYERS = 4
MIN_TRAIN_SIZE = 20
SEED_RANGE = (0, 2**31 - 1)
VALIDATION_FRACTION_RANGE = (0.0, 0.5)
# The choices the Train page offers where a slider would be too fine; a link may still name any valid value.
BATCH_SIZES = [16, 32, 50, 64, 100, 128, 200, 256, 512]
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
TRAIN_SIZES = [1000, 2000, 5000, 10000, 20000, 30000, None]  # None: every training image (60,000 for MNIST)
# Hidden dense layers between Flatten and the 10 outputs; () goes straight from the maps to the answer.
DENSE_CHOICES = [(), (16,), (32,), (64,), (128,), (64, 32), (128, 50), (256, 128), (256, 128, 64)]


def choices_with(choices: list, value) -> list:
    """`choices`, plus `value` when it is not among them (a link made elsewhere may ask for a batch size or a
    learning rate the list lacks), in order; None (all images) sorts last and tuples by their total."""
    if value is None and None in choices or value in choices:
        return choices
    return sorted([*choices, value], key=lambda choice: float("inf") if choice is None else sum(choice)
                  if isinstance(choice, tuple) else choice)


def _check_int(name: str, value: object, low: int, high: int, what: str) -> None:
    # bool is an int subclass; True filters would be a bug, not a setting.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number, not {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:,} and {high:,}; {value:,} is out of range.")


def _check_float(value: object, low: float, high: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {value!r}.")
    if not low <= float(value) <= high:  # also rejects NaN, which compares false
        raise ValueError(f"{what} must be between {low:g} and {high:g}; {value!r} is out of range.")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that shapes a trained model.

    The defaults are the reference model: Conv2D 30@5×5 → MaxPool 2×2 → Conv2D 15@3×3 → Dropout 0.2 →
    Flatten → Dense 128 → Dense 50 → Dense 10, trained with RMSprop (learning rate 0.001), batch 100,
    3 epochs.
    """

    conv1_filters: int = 30
    conv2_filters: int = 15
    dropout: float = 0.2
    dense_units: tuple[int, ...] = (128, 50)
    epochs: int = 3
    batch_size: int = 100
    learning_rate: float = 0.001
    seed: int = 0
    # None trains on every training image; a smaller number takes a fixed, class-balanced subset,
    # which makes a first model on a slow machine a matter of seconds.
    train_size: int | None = None
    # Random small shifts, rotations and zooms of each training batch. Off by default to match the
    # reference; on, hand-drawn digits (never as neatly centred as MNIST's) are read better.
    augment: bool = False
    # Share of the training images held back to draw the validation curve.
    validation_fraction: float = 0.1

    def __post_init__(self) -> None:
        _check_int("conv1_filters", self.conv1_filters, *FILTERS_RANGE, "The first conv layer's filter count")
        _check_int("conv2_filters", self.conv2_filters, *FILTERS_RANGE, "The second conv layer's filter count")
        _check_float(self.dropout, *DROPOUT_RANGE, "Dropout")
        _check_int("epochs", self.epochs, *EPOCHS_RANGE, "Epochs")
        _check_int("batch_size", self.batch_size, *BATCH_SIZE_RANGE, "Batch size")
        _check_float(self.learning_rate, *LEARNING_RATE_RANGE, "The learning rate")
        _check_int("seed", self.seed, *SEED_RANGE, "The seed")
        _check_float(self.validation_fraction, *VALIDATION_FRACTION_RANGE, "The validation fraction")
        units = self.dense_units
        # A list would make the config unhashable; accept it but store a tuple.
        if isinstance(units, list):
            object.__setattr__(self, "dense_units", tuple(units))
            units = self.dense_units
        if not isinstance(units, tuple) or len(units) > MAX_DENSE_LAYERS:
            raise ValueError(f"Dense units must be a tuple of at most {MAX_DENSE_LAYERS} layer sizes, not {units!r}.")
        for size in units:
            _check_int("dense_units", size, *DENSE_UNITS_RANGE, "Each hidden dense layer's size")
        if self.train_size is not None:
            _check_int("train_size", self.train_size, MIN_TRAIN_SIZE, 10_000_000, "The number of training images")
        if not isinstance(self.augment, bool):
            raise ValueError(f"Augment must be True or False, not {self.augment!r}.")

    def image_split(self, available: int) -> tuple[int, int]:
        """(images learnt from, images held back to validate) of `available` training images: the chosen number
        (or all), of which `validation_fraction` validate."""
        used = available if self.train_size is None else min(self.train_size, available)
        validation = int(round(used * self.validation_fraction))
        return used - validation, validation

    def to_dict(self) -> dict:
        """Plain-value view for display and URLs: {field name: value}."""
        return asdict(self)
