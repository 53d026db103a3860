"""How CNN Lab's numbers read to a student: settings by name and value, one-line summaries, sizes and numbers.

Every page that names settings or sizes (the sidebar, Train, Activations, Compare, Share, the class's experiments)
reads them from here, so nothing is "None", "True", "(128, 50)" or "-0.00" on one page and words on another.
"""

from __future__ import annotations

from cnnlab.config import TrainConfig

# Each setting as a student reads it, in the order they matter most.
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
    "validation_fraction": "held back to validate",
}


def setting_text(name: str, value: object) -> str:
    """A setting's value in words: ("dense_units", ()) → "no hidden layers", ("train_size", None) → "all",
    ("augment", True) → "on", ("dropout", 0.2) → "0.2", ("validation_fraction", 0.1) → "10 %"."""
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


def describe_config(config: TrainConfig) -> str:
    """Every setting on one line, e.g. "30 + 15 filters · hidden layers 128 → 50 · dropout 0.2 · 3 epochs ·
    batch 100 · learning rate 0.001 · all training images · no augmentation · seed 0"."""
    hidden = setting_text("dense_units", config.dense_units)
    parts = [
        f"{config.conv1_filters} + {config.conv2_filters} filters",
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


def shape_text(shape: tuple[int, ...]) -> str:
    """A layer's output size as a student reads it: (24, 24, 30) → "24 × 24 × 30", (1500,) → "1,500"."""
    return " × ".join(f"{size:,}" for size in shape)


def number_text(value: float, decimals: int = 2) -> str:
    """A number rounded to `decimals` places, never "-0.00": a value that rounds to zero is written "0.00"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
