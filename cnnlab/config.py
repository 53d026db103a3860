"""Training settings for CNN Lab's network, as one frozen (hashable) dataclass.

A `TrainConfig` is the whole recipe for a trained model: the same config and the same data give the
same weights. Being frozen makes it hashable, so it doubles as the cache key of the training service.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Slider ranges. The app's widgets read these too, so a value a page offers is always a valid one.
FILTERS_RANGE = (1, 64)
KERNEL_SIZE_RANGE = (1, 7)
CONV_LAYERS_RANGE = (1, 3)
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
# The architecture's choices, each a word a link carries as it is. Pooling is a 2 × 2 window, and "none" leaves it
# out; padding and stride apply to every conv layer; the activation to the conv and hidden dense layers; SGD steps
# with momentum 0.9.
POOLINGS = ("max", "average", "none")
PADDINGS = ("valid", "same")
STRIDES = (1, 2)
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
# The reference model's conv layers: 30 filters of 5 × 5, then 15 of 3 × 3, as (filters, kernel size) per layer.
REFERENCE_CONV_LAYERS = ((30, 5), (15, 3))
# Hidden dense layers between Flatten and the 10 outputs; () goes straight from the maps to the answer.
DENSE_CHOICES = [(), (16,), (32,), (64,), (128,), (64, 32), (128, 50), (256, 128), (256, 128, 64)]


def choices_with(choices: list, value) -> list:
    """`choices`, plus `value` when it is not among them (a link made elsewhere may ask for a batch size or a
    learning rate the list lacks), in order; None (all images) sorts last and tuples by their total."""
    if value is None and None in choices or value in choices:
        return choices
    return sorted([*choices, value], key=lambda choice: float("inf") if choice is None else sum(choice)
                  if isinstance(choice, tuple) else choice)


def _check_int(value: object, low: int, high: int, what: str) -> None:
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
    Flatten → Dense 128 → Dense 50 → Dense 10, ReLU, "valid" padding and stride 1, trained with RMSprop (learning
    rate 0.001), batch 100, 3 epochs. `cnnlab.network.model.plan_layers` works out the network other settings make,
    and refuses settings that shrink a digit to nothing.
    """

    # (filters, kernel size) of each conv layer, first to last: one to three layers, square kernels.
    conv_layers: tuple[tuple[int, int], ...] = REFERENCE_CONV_LAYERS
    # A 2 × 2 pooling after every conv layer but the last (after the only one, in a network of one).
    pooling: str = "max"
    padding: str = "valid"
    stride: int = 1
    activation: str = "relu"
    dropout: float = 0.2
    dense_units: tuple[int, ...] = (128, 50)
    optimizer: str = "rmsprop"
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
        # Lists (from JSON, or a caller) would make the config unhashable; they are accepted and stored as tuples.
        if isinstance(self.conv_layers, list):
            object.__setattr__(self, "conv_layers", tuple(tuple(layer) if isinstance(layer, list) else layer
                                                          for layer in self.conv_layers))
        if isinstance(self.dense_units, list):
            object.__setattr__(self, "dense_units", tuple(self.dense_units))
        _check_conv_layers(self.conv_layers)
        _check_choice(self.pooling, POOLINGS, "Pooling")
        _check_choice(self.padding, PADDINGS, "Padding")
        _check_choice(self.stride, STRIDES, "The stride")
        _check_choice(self.activation, ACTIVATIONS, "The activation")
        _check_choice(self.optimizer, OPTIMIZERS, "The optimiser")
        _check_float(self.dropout, *DROPOUT_RANGE, "Dropout")
        _check_int(self.epochs, *EPOCHS_RANGE, "Epochs")
        _check_int(self.batch_size, *BATCH_SIZE_RANGE, "Batch size")
        _check_float(self.learning_rate, *LEARNING_RATE_RANGE, "The learning rate")
        _check_int(self.seed, *SEED_RANGE, "The seed")
        _check_float(self.validation_fraction, *VALIDATION_FRACTION_RANGE, "The validation fraction")
        units = self.dense_units
        if not isinstance(units, tuple) or len(units) > MAX_DENSE_LAYERS:
            raise ValueError(f"Dense units must be a tuple of at most {MAX_DENSE_LAYERS} layer sizes, not {units!r}.")
        for size in units:
            _check_int(size, *DENSE_UNITS_RANGE, "Each hidden dense layer's size")
        if self.train_size is not None:
            _check_int(self.train_size, MIN_TRAIN_SIZE, 10_000_000, "The number of training images")
        if not isinstance(self.augment, bool):
            raise ValueError(f"Augment must be True or False, not {self.augment!r}.")

    def image_split(self, available: int) -> tuple[int, int]:
        """(images learnt from, images held back to validate) of `available` training images: the chosen number
        (or all), of which `validation_fraction` validate."""
        used = available if self.train_size is None else min(self.train_size, available)
        validation = int(round(used * self.validation_fraction))
        return used - validation, validation

    def to_dict(self) -> dict:
        """The settings as plain values, as model files record them and the model store names its files after them.

        Written as CNN Lab wrote them before the architecture could be chosen, wherever that says it all: the
        architecture's settings only when they differ from the reference model's, and two conv layers of 5 × 5 and
        3 × 3 kernels as "conv1_filters" and "conv2_filters". So every model stored before keeps its file name and
        record, and `from_dict` reads both forms.
        """
        values = asdict(self)
        for name in ARCHITECTURE_SETTINGS:
            if values[name] == getattr(REFERENCE, name):
                del values[name]
        kernels = tuple(kernel for _, kernel in self.conv_layers)
        if kernels == tuple(kernel for _, kernel in REFERENCE_CONV_LAYERS):
            values.pop("conv_layers", None)
            values["conv1_filters"], values["conv2_filters"] = (filters for filters, _ in self.conv_layers)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """The settings `to_dict` wrote, or a dict of `TrainConfig`'s own field names; "conv1_filters" and
        "conv2_filters" (the names older files and links use) are the filters of two conv layers of the reference
        model's kernels. Raises ValueError (or TypeError for a name it does not know) as the constructor does."""
        values = dict(values)
        if "conv1_filters" in values or "conv2_filters" in values:
            if "conv_layers" in values:
                raise ValueError("The settings give the conv layers twice: as conv_layers and as conv1_filters / "
                                 "conv2_filters.")
            (first, first_kernel), (second, second_kernel) = REFERENCE_CONV_LAYERS
            values["conv_layers"] = ((values.pop("conv1_filters", first), first_kernel),
                                     (values.pop("conv2_filters", second), second_kernel))
        return cls(**values)


def _check_choice(value: object, choices: tuple, what: str) -> None:
    # 1 == True in Python; a stride of True would be a bug, not a setting.
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(map(str, choices))}, not {value!r}.")


def _check_conv_layers(conv_layers: object) -> None:
    low, high = CONV_LAYERS_RANGE
    if (not isinstance(conv_layers, tuple) or not low <= len(conv_layers) <= high
            or not all(isinstance(layer, tuple) and len(layer) == 2 for layer in conv_layers)):
        raise ValueError(f"The conv layers must be {low} to {high} pairs of (filters, kernel size), not "
                         f"{conv_layers!r}.")
    for number, (filters, kernel_size) in enumerate(conv_layers, start=1):
        _check_int(filters, *FILTERS_RANGE, f"Conv layer {number}'s filter count")
        _check_int(kernel_size, *KERNEL_SIZE_RANGE, f"Conv layer {number}'s kernel size")


# The settings that choose the architecture beyond the filter counts and dense layers, added after the first
# models were stored: `to_dict` leaves them out at their defaults.
ARCHITECTURE_SETTINGS = ("conv_layers", "pooling", "padding", "stride", "activation", "optimizer")
REFERENCE = TrainConfig()
