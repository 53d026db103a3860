"""How CNN Lab's numbers read to a student: settings by name and value, one-line summaries, sizes and numbers.

Every page that names settings or sizes (the sidebar, Train, Activations, Compare, Share, the class's experiments)
reads them from here, so nothing is "None", "True", "(128, 50)" or "-0.00" on one page and words on another.
"""

from __future__ import annotations

from cnnlab.config import REFERENCE_CONV_LAYERS, TrainConfig

# Each setting as a student reads it, in the order they matter most.
SETTING_NAMES = {
    "conv_layers": "conv layers",
    "epochs": "epochs",
    "dense_units": "hidden dense layers",
    "pooling": "pooling",
    "padding": "padding",
    "stride": "stride",
    "activation": "activation",
    "dropout": "dropout",
    "optimizer": "optimiser",
    "learning_rate": "learning rate",
    "batch_size": "batch size",
    "train_size": "training images",
    "augment": "augmentation",
    "seed": "seed",
    "validation_fraction": "held back to validate",
}


# The words of the architecture's choices, where a student reads them other than as the link spells them.
CHOICE_WORDS = {
    "pooling": {"max": "max 2 × 2", "average": "average 2 × 2", "none": "none"},
    "activation": {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"},
    "optimizer": {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD with momentum"},
}


def setting_text(name: str, value: object) -> str:
    """A setting's value in words: ("dense_units", ()) → "no hidden layers", ("train_size", None) → "all",
    ("augment", True) → "on", ("dropout", 0.2) → "0.2", ("validation_fraction", 0.1) → "10 %", ("conv_layers",
    ((30, 5), (15, 3))) → "30 filters 5×5, 15 filters 3×3", ("optimizer", "sgd") → "SGD with momentum"."""
    if name == "conv_layers":
        return ", ".join(f"{filters} filter{'s' if filters != 1 else ''} {kernel}×{kernel}"
                         for filters, kernel in value)
    if name in CHOICE_WORDS:
        return CHOICE_WORDS[name][value]
    if name == "dense_units":
        return " → ".join(f"{units:,}" for units in value) if value else "no hidden layers"
    if name == "train_size":
        return "all" if value is None else f"{value:,}"
    if name == "augment":
        return "on" if value else "off"
    if name == "validation_fraction":
        return f"{value:.0%}".replace("%", " %")
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def filters_text(conv_layers: tuple[tuple[int, int], ...]) -> str:
    """The conv layers in a few words: "30 + 15 filters" for the reference model's kernels (5×5, 3×3), else with
    theirs: "8 + 16 + 32 filters of 3×3", "6 + 5 filters of 4×4, 2×2", "1 filter of 7×7"."""
    counts = " + ".join(str(filters) for filters, _ in conv_layers)
    text = f"{counts} filter{'s' if counts != '1' else ''}"
    kernels = [kernel for _, kernel in conv_layers]
    if kernels == [kernel for _, kernel in REFERENCE_CONV_LAYERS]:
        return text
    sizes = [f"{kernel}×{kernel}" for kernel in kernels]
    return f"{text} of {sizes[0] if len(set(sizes)) == 1 else ', '.join(sizes)}"


# The pooling, padding, stride, activation and optimiser in a few words each, as a model's name gives them.
ARCHITECTURE_WORDS = {
    "pooling": lambda value: "no pooling" if value == "none" else f"{value} pooling",
    "padding": lambda value: f"padding {value}",
    "stride": lambda value: f"stride {value}",
    "activation": lambda value: setting_text("activation", value),
    "optimizer": lambda value: setting_text("optimizer", value),
}


def architecture_texts(config: TrainConfig) -> list[str]:
    """The pooling, padding, stride, activation and optimiser where they differ from the reference model's:
    ["average pooling", "padding same", "stride 2", "tanh", "Adam"]."""
    reference = TrainConfig()
    return [say(getattr(config, name)) for name, say in ARCHITECTURE_WORDS.items()
            if getattr(config, name) != getattr(reference, name)]


def describe_config(config: TrainConfig) -> str:
    """Every setting on one line, e.g. "30 + 15 filters · hidden layers 128 → 50 · dropout 0.2 · 3 epochs ·
    batch 100 · learning rate 0.001 · all training images · no augmentation · seed 0"; the pooling, padding,
    stride, activation and optimiser follow the filters when they are not the reference model's."""
    hidden = setting_text("dense_units", config.dense_units)
    parts = [
        filters_text(config.conv_layers),
        *architecture_texts(config),
        hidden if not config.dense_units else f"hidden layers {hidden}",
        f"dropout {config.dropout:g}",
        f"{config.epochs} epoch{'s' if config.epochs != 1 else ''}",
        f"batch {config.batch_size:,}",
        f"learning rate {config.learning_rate:g}",
        f"{setting_text('train_size', config.train_size)} training images",
        "augmented" if config.augment else "no augmentation",
        f"seed {config.seed}",
    ]
    if config.validation_fraction != TrainConfig().validation_fraction:
        parts.append(f"{setting_text('validation_fraction', config.validation_fraction)} held back")
    return " · ".join(parts)


def short_name(config: TrainConfig) -> str:
    """A model's name as what sets it apart from the reference model, in the order of `SETTING_NAMES`: "seed 123",
    "8 + 15 filters, 1 epoch", "no hidden layers, augmented"; "the reference settings" when nothing does. Two
    models that differ only in their seed get different names, which `describe_config`'s long line cuts off."""
    reference = TrainConfig()
    words = {
        "conv_layers": filters_text,
        **ARCHITECTURE_WORDS,
        "epochs": lambda value: f"{value:,} epoch{'s' if value != 1 else ''}",
        "dense_units": lambda value: ("hidden layers " if value else "") + setting_text("dense_units", value),
        "dropout": lambda value: f"dropout {value:g}",
        "learning_rate": lambda value: f"learning rate {value:g}",
        "batch_size": lambda value: f"batch {value:,}",
        "train_size": lambda value: f"{setting_text('train_size', value)} training images",
        "augment": lambda value: "augmented" if value else "no augmentation",
        "seed": lambda value: f"seed {value}",
        "validation_fraction": lambda value: f"{setting_text('validation_fraction', value)} held back",
    }
    changes = [words[name](getattr(config, name)) for name in SETTING_NAMES
               if getattr(config, name) != getattr(reference, name)]
    return ", ".join(changes) if changes else "the reference settings"


def shape_text(shape: tuple[int, ...]) -> str:
    """A layer's output size as a student reads it: (24, 24, 30) → "24 × 24 × 30", (1500,) → "1,500"."""
    return " × ".join(f"{size:,}" for size in shape)


def number_text(value: float, decimals: int = 2) -> str:
    """A number rounded to `decimals` places, never "-0.00": a value that rounds to zero is written "0.00"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
