"""A model's settings as a link: `TrainConfig` to and from the address's query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from cnnlab.config import TrainConfig

# The settings a link carries, by their `TrainConfig` names. Values equal to the default are left out, so a
# link to the reference model is just the page's address.
QUERY_FIELDS = tuple(field.name for field in fields(TrainConfig))


def config_to_query(config: TrainConfig) -> dict[str, str]:
    """The settings that differ from the defaults, as text for a URL: {"conv1_filters": "4", "epochs": "1"}.

    dense_units is written as "128-50" ("none" for no hidden layer); train_size None is left out.
    """
    default = TrainConfig()
    query = {}
    for name in QUERY_FIELDS:
        value = getattr(config, name)
        if value == getattr(default, name):
            continue
        if name == "dense_units":
            query[name] = "-".join(map(str, value)) or "none"
        elif isinstance(value, bool):
            query[name] = "yes" if value else "no"
        else:
            query[name] = f"{value:g}" if isinstance(value, float) else str(value)
    return query


def config_from_query(query: Mapping[str, str]) -> TrainConfig:
    """The settings a link carries; names it does not know are ignored, missing ones take the defaults.

    Raises ValueError with a sentence naming the setting when a value is not a valid one.
    """
    values: dict[str, object] = {}
    for name in QUERY_FIELDS:
        if name not in query:
            continue
        text = str(query[name]).strip()
        try:
            values[name] = _parse(name, text)
        except ValueError:
            raise ValueError(f"The link's {name.replace('_', ' ')} is {text!r}, which is not a valid value.") from None
    return TrainConfig(**values)


def _parse(name: str, text: str) -> object:
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
    return int(text)
