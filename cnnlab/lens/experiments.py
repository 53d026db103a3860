"""The class's experiments: every model trained on a server as one table a teacher can read and chart.

One row per model, from the records the model store and the training service keep (`cnnlab.jobs.model_file.
ModelRecord`): its settings in words and one column per setting, its size, how long it trained and how well it
reads the test digits. Who trained it is not recorded anywhere, so the table cannot say.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd

from cnnlab.jobs import reference
from cnnlab.jobs.model_file import ModelRecord, UnusableFile, read_record
from cnnlab.network.model import summarize_config
from cnnlab.words import SETTING_NAMES, describe_config, setting_text, short_name

# The settings a chart can be coloured by, as their column titles: those students change to see what pays off.
COLOUR_SETTINGS = [SETTING_NAMES[name] for name in ("conv_layers", "pooling", "padding", "stride", "activation",
                                                    "optimizer", "epochs", "dense_units", "dropout", "learning_rate",
                                                    "batch_size", "train_size", "augment", "seed")]
# The orders the table can be sorted in, by what a student reads.
SORT_ORDERS = ("highest test accuracy first", "newest first", "quickest training first")
SHIPPED_NOTE = " (shipped with CNN Lab)"


# Settings whose values are not plain numbers (a tuple, "all" or a number, on or off, a choice), written in words.
WORDED_SETTINGS = ("conv_layers", "pooling", "activation", "optimizer", "dense_units", "train_size", "augment")


def shipped_record() -> ModelRecord | None:
    """The record of the reference model that ships with CNN Lab (its file's metadata only), or None when none ships.
    Its training time was measured on the computer that made it, not on this server."""
    path = reference.REFERENCE_MODEL_PATH  # read when asked: tests point it elsewhere
    try:
        return read_record(path) if path.is_file() else None
    except UnusableFile:
        return None


def sorted_records(records: Sequence[ModelRecord], order: str, shipped: ModelRecord | None = None
                   ) -> list[ModelRecord]:
    """`records` in one of `SORT_ORDERS`. The shipped model's time was measured elsewhere, so it comes last when
    sorting by training time."""
    if order == SORT_ORDERS[0]:
        return sorted(records, key=lambda record: -record.test_accuracy)
    if order == SORT_ORDERS[1]:
        return sorted(records, key=lambda record: -(record.saved_at or 0.0))
    if order == SORT_ORDERS[2]:
        return sorted(records, key=lambda record: (record == shipped, record.seconds))
    raise ValueError(f"The table can be sorted by {', '.join(SORT_ORDERS)}; not by {order!r}.")


def experiments_table(records: Sequence[ModelRecord], own: Collection = (), shipped: ModelRecord | None = None,
                      usual_fingerprint: str | None = None) -> pd.DataFrame:
    """One row per model: "model" (what sets it apart from the reference model, see `short_name`, and its data when
    that is not the data of `usual_fingerprint`), "yours" ("yours" for a model whose (settings, fingerprint) key is
    in `own`, else ""), "parameters", "training seconds", "timed here" (False for the `shipped` model, whose time was
    measured on another computer), "test accuracy" (0–1), "settings" (every setting in words), "data", then one
    column per setting titled as in `SETTING_NAMES`. Rows in the order given."""
    rows = []
    for record in records:
        name = short_name(record.config)
        if usual_fingerprint is not None and record.fingerprint != usual_fingerprint:
            name += f" · {record.dataset_name}"
        row = {
            "model": name + (SHIPPED_NOTE if record == shipped else ""),
            "yours": "yours" if (record.config, record.fingerprint) in own else "",
            "parameters": sum(layer["params"] for layer in summarize_config(record.config)),
            "training seconds": round(record.seconds, 1),
            "timed here": record != shipped,
            "test accuracy": record.test_accuracy,
            "settings": describe_config(record.config),
            "data": record.dataset_name,
        }
        # Numbers stay numbers, so the table sorts them as numbers; the rest are words.
        values = {name: getattr(record.config, name) for name in SETTING_NAMES}
        row.update({title: setting_text(name, values[name]) if name in WORDED_SETTINGS else values[name]
                    for name, title in SETTING_NAMES.items()})
        rows.append(row)
    columns = ["model", "yours", "parameters", "training seconds", "timed here", "test accuracy", "settings", "data",
               *SETTING_NAMES.values()]
    return pd.DataFrame(rows, columns=columns)
