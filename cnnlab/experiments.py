"""The class's experiments: every model trained on a server as one table a teacher can read and chart.

One row per model, from the records the model store and the training service keep (`cnnlab.jobs.model_file.
ModelRecord`): its settings in words and one column per setting, its size, how long it trained and how well it
reads the test digits. Who trained it is not recorded anywhere, so the table cannot say.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cnnlab.compare import SETTING_NAMES, describe_config
from cnnlab.jobs.model_file import ModelRecord
from cnnlab.model import summarize_config

# The settings a chart can be coloured by, as their column titles: those students change to see what pays off.
COLOUR_SETTINGS = [SETTING_NAMES[name] for name in ("conv1_filters", "conv2_filters", "epochs", "dense_units",
                                                    "dropout", "learning_rate", "batch_size", "train_size",
                                                    "augment")]


def setting_in_words(name: str, value: object) -> object:
    """A setting's value as a student reads it: numbers stay numbers (so colours can be a scale), the rest words."""
    if name == "dense_units":
        return " → ".join(map(str, value)) if value else "no hidden layers"
    if name == "train_size":
        return "all" if value is None else f"{value:,}"
    if name == "augment":
        return "on" if value else "off"
    return value


def experiments_table(records: Sequence[ModelRecord]) -> pd.DataFrame:
    """One row per model: "model" (settings in words), "parameters", "training seconds", "test accuracy" (0–1),
    "data", then one column per setting titled as in `SETTING_NAMES`. Rows in the order given."""
    rows = []
    for record in records:
        config = record.config.to_dict()
        row = {
            "model": describe_config(record.config),
            "parameters": sum(layer["params"] for layer in summarize_config(record.config)),
            "training seconds": round(record.seconds, 1),
            "test accuracy": record.test_accuracy,
            "data": record.dataset_name,
        }
        row.update({title: setting_in_words(name, config[name]) for name, title in SETTING_NAMES.items()})
        rows.append(row)
    columns = ["model", "parameters", "training seconds", "test accuracy", "data", *SETTING_NAMES.values()]
    return pd.DataFrame(rows, columns=columns)
