"""Settings, sizes and numbers in a student's words: none spelt as Python (None, True, a tuple, -0.00)."""

from __future__ import annotations

import re
from dataclasses import fields

from cnnlab.config import TrainConfig
from cnnlab.words import SETTING_NAMES, describe_config, number_text, setting_text, shape_text

PYTHON_SPELLINGS = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\(|\)|_")


def test_the_reference_settings_read_in_full():
    assert describe_config(TrainConfig()) == (
        "30 + 15 filters · hidden layers 128 → 50 · dropout 0.2 · 3 epochs · batch 100 · learning rate 0.001 · "
        "all training images · no augmentation · seed 0")


def test_unusual_settings_read_as_words():
    config = TrainConfig(conv1_filters=4, conv2_filters=1, dense_units=(), epochs=1, batch_size=1000,
                         train_size=1200, augment=True, validation_fraction=0.25, learning_rate=0.0003, seed=7)
    assert describe_config(config) == (
        "4 + 1 filters · no hidden layers · dropout 0.2 · 1 epoch · batch 1,000 · learning rate 0.0003 · "
        "1,200 training images · augmented · seed 7 · 25 % held back")


def test_every_setting_has_a_name_and_no_value_reads_as_python():
    assert set(SETTING_NAMES) == {field.name for field in fields(TrainConfig)}
    odd = TrainConfig(dense_units=(), train_size=None, augment=True, dropout=0.0)
    for name in SETTING_NAMES:
        for config in (TrainConfig(), odd):
            text = setting_text(name, getattr(config, name))
            assert not PYTHON_SPELLINGS.search(text), (name, text)
    assert not PYTHON_SPELLINGS.search(describe_config(odd))


def test_sizes_and_numbers_read_without_python_spellings():
    assert shape_text((24, 24, 30)) == "24 × 24 × 30" and shape_text((1500,)) == "1,500"
    assert [number_text(value) for value in (-0.001, -0.004999, 0.0, -0.005, 1.234, -1.0)] == [
        "0.00", "0.00", "0.00", "-0.01", "1.23", "-1.00"]
    assert number_text(-0.00004, 4) == "0.0000" and number_text(-0.00006, 4) == "-0.0001"
