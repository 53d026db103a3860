"""Settings, sizes and numbers in a student's words: none spelt as Python (None, True, a tuple, -0.00)."""

from __future__ import annotations

import re
from dataclasses import fields

from cnnlab.config import TrainConfig
from cnnlab.words import SETTING_NAMES, describe_config, number_text, setting_text, shape_text, short_name

PYTHON_SPELLINGS = re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|\(|\)|_")


def test_the_reference_settings_read_in_full():
    assert describe_config(TrainConfig()) == (
        "30 + 15 filters · hidden layers 128 → 50 · dropout 0.2 · 3 epochs · batch 100 · learning rate 0.001 · "
        "all training images · no augmentation · seed 0")


def test_unusual_settings_read_as_words():
    config = TrainConfig(conv_layers=((4, 5), (1, 3)), dense_units=(), epochs=1, batch_size=1000,
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


def test_a_short_name_says_what_sets_a_model_apart_from_the_reference():
    assert short_name(TrainConfig()) == "the reference settings"
    assert short_name(TrainConfig(seed=123)) == "seed 123"
    assert short_name(TrainConfig(epochs=1, seed=4)) == "1 epoch, seed 4"
    assert short_name(TrainConfig(dense_units=(), augment=True, train_size=1000, learning_rate=0.01,
                                  validation_fraction=0.2)) == (
        "no hidden layers, learning rate 0.01, 1,000 training images, augmented, 20 % held back")
    # Every setting that differs is named, so two models never share a short name.
    configs = [TrainConfig(seed=seed) for seed in range(5)] + [TrainConfig(dropout=0.5), TrainConfig(batch_size=32)]
    assert len({short_name(config) for config in configs}) == len(configs)


def test_the_architecture_reads_in_a_few_words_where_it_is_not_the_reference():
    deeper = TrainConfig(conv_layers=((16, 3), (32, 3), (64, 3)), padding="same", activation="tanh",
                         optimizer="adam", epochs=1)
    assert describe_config(deeper).startswith("16 + 32 + 64 filters of 3×3 · padding same · tanh · Adam · hidden")
    odd = TrainConfig(conv_layers=((1, 4), (5, 2)), pooling="none", stride=2, activation="sigmoid", optimizer="sgd")
    assert describe_config(odd).startswith(
        "1 + 5 filters of 4×4, 2×2 · no pooling · stride 2 · sigmoid · SGD with momentum · hidden")
    assert describe_config(TrainConfig(conv_layers=((1, 7),), pooling="average")).startswith(
        "1 filter of 7×7 · average pooling · hidden")
    assert short_name(deeper) == "16 + 32 + 64 filters of 3×3, 1 epoch, padding same, tanh, Adam"
    assert setting_text("conv_layers", ((1, 7), (2, 3))) == "1 filter 7×7, 2 filters 3×3"
    assert [setting_text("pooling", value) for value in ("max", "average", "none")] == [
        "max 2 × 2", "average 2 × 2", "none"]
    assert setting_text("optimizer", "rmsprop") == "RMSprop" and setting_text("activation", "relu") == "ReLU"
