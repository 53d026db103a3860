"""A model's settings as a link: `TrainConfig` to and from the address's query parameters.

Each setting is written and read by the codec of its type in `TrainConfig` (`CODECS`), so a new setting of a type
that is already there needs no change here, and one of a new type stops the import with a sentence saying so.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from cnnlab.config import REFERENCE, TrainConfig


@dataclass(frozen=True)
class Codec:
    """How one type of setting is written in a link and read back: `parse(write(value)) == value` for every valid
    value. `parse` raises ValueError for text that is not a value of the type; whether the value is in range is
    `TrainConfig`'s own check."""

    write: Callable[[typing.Any], str]
    parse: Callable[[str], typing.Any]


def write_number(value: float) -> str:
    """The shortest text that reads back as exactly `value`: "0.001", "0.35", "1", "1e-05", and "0.0012345678",
    which six significant digits would round to a different learning rate (0.00123457)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def parse_yes_no(text: str) -> bool:
    if text.lower() not in ("yes", "no"):
        raise ValueError(text)
    return text.lower() == "yes"


def write_sizes(sizes: tuple[int, ...]) -> str:
    return "-".join(map(str, sizes)) or "none"


def parse_sizes(text: str) -> tuple[int, ...]:
    return () if text.lower() in ("", "none") else tuple(int(part) for part in text.split("-"))


def write_pairs(pairs: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{first}x{second}" for first, second in pairs)


def parse_pairs(text: str) -> tuple[tuple[int, int], ...]:
    pairs = []
    for pair in text.lower().split(","):
        first, second = pair.split("x")  # a ValueError for a pair that is not two numbers either side of an x
        pairs.append((int(first), int(second)))
    return tuple(pairs)


# One codec per type a `TrainConfig` field may have. Words are read in any case, as a teacher may type them; the
# choices themselves are lower case. None (train_size's "every image") is written "all".
CODECS: dict[object, Codec] = {
    bool: Codec(lambda value: "yes" if value else "no", parse_yes_no),
    int: Codec(str, int),
    float: Codec(write_number, float),
    str: Codec(str, str.lower),
    int | None: Codec(lambda value: "all" if value is None else str(value),
                      lambda text: None if text.lower() == "all" else int(text)),
    tuple[int, ...]: Codec(write_sizes, parse_sizes),
    tuple[tuple[int, int], ...]: Codec(write_pairs, parse_pairs),
}


def _codec_of(name: str, kind: object) -> Codec:
    if kind not in CODECS:
        raise TypeError(f"TrainConfig.{name} is a {kind}, which a link cannot carry yet: add a codec for it to "
                        f"CODECS in {__name__}.")
    return CODECS[kind]


FIELD_CODECS = {name: _codec_of(name, kind) for name, kind in typing.get_type_hints(TrainConfig).items()}
# The name each setting has in a link: its `TrainConfig` name, but for the two a teacher types most, which are short.
LINK_NAMES = {field.name: {"conv_layers": "conv", "pooling": "pool"}.get(field.name, field.name)
              for field in fields(TrainConfig)}
# Links written before the conv layers could be chosen name the two layers' filters; `TrainConfig.from_dict` reads
# these names still.
OLD_LINK_NAMES = ("conv1_filters", "conv2_filters")
# Every name a link may carry. Values equal to the default are left out, so a link to the reference model is just
# the page's address.
QUERY_FIELDS = (*LINK_NAMES.values(), *OLD_LINK_NAMES)
# What a valid value looks like, for the settings whose form is not just a number or a word.
EXAMPLES = {"conv_layers": " It is filters x kernel size per conv layer, such as 30x5,15x3.",
            "dense_units": " It is the hidden layers' sizes, such as 128-50, or none.",
            "augment": " It is yes or no."}


def config_to_query(config: TrainConfig) -> dict[str, str]:
    """The settings that differ from the defaults, as text for a URL: {"conv": "4x5,15x3", "epochs": "1"}.

    conv_layers is written as "filters x kernel" per layer, comma-separated; dense_units as "128-50" ("none" for no
    hidden layer); numbers in the shortest form that reads back exactly; train_size None is left out.
    """
    query = {}
    for name, link_name in LINK_NAMES.items():
        value = getattr(config, name)
        if value != getattr(REFERENCE, name):
            query[link_name] = FIELD_CODECS[name].write(value)
    return query


def config_from_query(query: Mapping[str, str]) -> TrainConfig:
    """The settings a link carries; names it does not know are ignored, missing ones take the defaults. An older
    link's conv1_filters and conv2_filters are the filters of the reference model's two conv layers.

    Raises ValueError with a sentence naming the setting when a value is not a valid one.
    """
    names = {**LINK_NAMES, **{old: old for old in OLD_LINK_NAMES}}
    codecs = {**FIELD_CODECS, **{old: CODECS[int] for old in OLD_LINK_NAMES}}
    values: dict[str, object] = {}
    for name, link_name in names.items():
        if link_name not in query:
            continue
        text = str(query[link_name]).strip()
        try:
            values[name] = codecs[name].parse(text)
        except ValueError:
            raise ValueError(f"The link's {link_name.replace('_', ' ')} is {text!r}, which is not a valid "
                             f"value.{EXAMPLES.get(name, '')}") from None
    if "conv_layers" in values:
        # A link edited by hand may name the conv layers in both forms; the newer one says more, so it wins.
        for old in OLD_LINK_NAMES:
            values.pop(old, None)
    return TrainConfig.from_dict(values)
