"""A model's settings as a link: `TrainConfig` to and from the address's query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from cnnlab.config import REFERENCE_CONV_LAYERS, TrainConfig

# The name each setting has in a link: its `TrainConfig` name, but for the two a teacher types most, which are short.
LINK_NAMES = {field.name: {"conv_layers": "conv", "pooling": "pool"}.get(field.name, field.name)
              for field in fields(TrainConfig)}
# Links written before the conv layers could be chosen name the two layers' filters; they are read still.
OLD_LINK_NAMES = ("conv1_filters", "conv2_filters")
# Every name a link may carry. Values equal to the default are left out, so a link to the reference model is just
# the page's address.
QUERY_FIELDS = (*LINK_NAMES.values(), *OLD_LINK_NAMES)


def config_to_query(config: TrainConfig) -> dict[str, str]:
    """The settings that differ from the defaults, as text for a URL: {"conv": "4x5,15x3", "epochs": "1"}.

    conv_layers is written as "filters x kernel" per layer, comma-separated; dense_units as "128-50" ("none" for no
    hidden layer); train_size None is left out.
    """
    default = TrainConfig()
    query = {}
    for name, link_name in LINK_NAMES.items():
        value = getattr(config, name)
        if value == getattr(default, name):
            continue
        if name == "conv_layers":
            query[link_name] = ",".join(f"{filters}x{kernel}" for filters, kernel in value)
        elif name == "dense_units":
            query[link_name] = "-".join(map(str, value)) or "none"
        elif isinstance(value, bool):
            query[link_name] = "yes" if value else "no"
        else:
            query[link_name] = f"{value:g}" if isinstance(value, float) else str(value)
    return query


def config_from_query(query: Mapping[str, str]) -> TrainConfig:
    """The settings a link carries; names it does not know are ignored, missing ones take the defaults. An older
    link's conv1_filters and conv2_filters are the filters of the reference model's two conv layers.

    Raises ValueError with a sentence naming the setting when a value is not a valid one.
    """
    values: dict[str, object] = {}
    for name, link_name in {**LINK_NAMES, **{old: old for old in OLD_LINK_NAMES}}.items():
        if link_name not in query:
            continue
        text = str(query[link_name]).strip()
        try:
            values[name] = _parse(name, text)
        except ValueError:
            raise ValueError(f"The link's {link_name.replace('_', ' ')} is {text!r}, which is not a valid "
                             f"value.{_EXAMPLES.get(name, '')}") from None
    old = {name: values.pop(name) for name in OLD_LINK_NAMES if name in values}
    if old and "conv_layers" not in values:
        filters = (old.get("conv1_filters", REFERENCE_CONV_LAYERS[0][0]),
                   old.get("conv2_filters", REFERENCE_CONV_LAYERS[1][0]))
        values["conv_layers"] = tuple(zip(filters, (kernel for _, kernel in REFERENCE_CONV_LAYERS), strict=True))
    return TrainConfig(**values)


# What a valid value looks like, for the settings whose form is not just a number or a word.
_EXAMPLES = {"conv_layers": " It is filters x kernel size per conv layer, such as 30x5,15x3.",
             "dense_units": " It is the hidden layers' sizes, such as 128-50, or none."}


def _parse(name: str, text: str) -> object:
    if name == "conv_layers":
        layers = []
        for layer in text.lower().split(","):
            filters, kernel = layer.split("x")
            layers.append((int(filters), int(kernel)))
        return tuple(layers)
    if name == "dense_units":
        return () if text in ("", "none") else tuple(int(part) for part in text.split("-"))
    if name == "augment":
        if text not in ("yes", "no"):
            raise ValueError(text)
        return text == "yes"
    if name == "train_size":
        return None if text == "all" else int(text)
    if name in ("dropout", "learning_rate", "validation_fraction"):
        return float(text)
    if name in ("pooling", "padding", "activation", "optimizer"):
        return text.lower()
    return int(text)
