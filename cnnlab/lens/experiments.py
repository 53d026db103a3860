"""The class's experiments: every model trained on a server as one table a teacher can read and chart.

One row per model, from the records the model store and the training service keep (`cnnlab.jobs.model_file.
ModelRecord`): its settings in words and one column per setting, its size, how long it trained and how well it
reads the test digits. Who trained it is not recorded anywhere, so the table cannot say.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cnnlab.jobs.model_file import ModelRecord
from cnnlab.network.model import summarize_config
from cnnlab.words import SETTING_NAMES, describe_config, setting_text

# The settings a chart can be coloured by, as their column titles: those students change to see what pays off.
COLOUR_SETTINGS = [SETTING_NAMES[name] for name in ("conv_layers", "pooling", "padding", "stride", "activation",
                                                    "optimizer", "epochs", "dense_units", "dropout", "learning_rate",
                                                    "batch_size", "train_size", "augment")]


# Settings whose values are not plain numbers (a tuple, "all" or a number, on or off, a choice), written in words.
WORDED_SETTINGS = ("conv_layers", "pooling", "activation", "optimizer", "dense_units", "train_size", "augment")


def experiments_table(records: Sequence[ModelRecord]) -> pd.DataFrame:
    """One row per model: "model" (settings in words), "parameters", "training seconds", "test accuracy" (0–1),
    "data", then one column per setting titled as in `SETTING_NAMES`. Rows in the order given."""
    rows = []
    for record in records:
        row = {
            "model": describe_config(record.config),
            "parameters": sum(layer["params"] for layer in summarize_config(record.config)),
            "training seconds": round(record.seconds, 1),
            "test accuracy": record.test_accuracy,
            "data": record.dataset_name,
        }
        # Numbers stay numbers, so a chart can colour by them on a scale; the rest are words.
        values = {name: getattr(record.config, name) for name in SETTING_NAMES}
        row.update({title: setting_text(name, values[name]) if name in WORDED_SETTINGS else values[name]
                    for name, title in SETTING_NAMES.items()})
        rows.append(row)
    columns = ["model", "parameters", "training seconds", "test accuracy", "data", *SETTING_NAMES.values()]
    return pd.DataFrame(rows, columns=columns)
