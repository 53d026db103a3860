"""A finished training's record: its Keras model is built once, holding its weights, and its history reads as one
record per epoch.

References: the weights of a network Keras built itself, and history records written out by hand.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import cnnlab.network.result as result_module
from cnnlab.config import TrainConfig
from cnnlab.network.backend import load_keras
from cnnlab.network.model import build_model
from cnnlab.network.result import TrainResult, history_records

SMALL = TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(8,), epochs=1, seed=3)


def stored_result(weights: list[np.ndarray]) -> TrainResult:
    """A result as the store reads one back: weights and numbers, no Keras model."""
    return TrainResult(SMALL, weights, {"loss": [0.5]}, 0.9, 0.3, 1.0, [weights[0]])


def test_a_stored_results_keras_model_is_built_once_and_holds_its_weights(monkeypatch):
    load_keras().utils.set_random_seed(SMALL.seed)
    weights = build_model(SMALL).get_weights()
    built = []

    def counted_build(config):
        built.append(config)
        return build_model(config)

    monkeypatch.setattr(result_module, "build_model", counted_build)
    result = stored_result([values + 1.0 for values in weights])  # not what a fresh build starts from
    with ThreadPoolExecutor(max_workers=4) as pool:
        models = list(pool.map(lambda _: result.model, range(4)))
    assert len(built) == 1 and all(model is models[0] for model in models)
    for held, expected in zip(models[0].get_weights(), weights, strict=True):
        np.testing.assert_array_equal(held, expected + 1.0)


def test_a_trained_result_keeps_the_model_that_trained(monkeypatch):
    model = build_model(SMALL)
    monkeypatch.setattr(result_module, "build_model", lambda config: pytest.fail("a second model was built"))
    result = TrainResult(SMALL, model.get_weights(), {}, 0.9, 0.3, 1.0, [], _model=model)
    assert result.model is model


def test_history_records_are_one_per_epoch():
    history = {"loss": [0.9, 0.4], "accuracy": [0.7, 0.9]}
    assert history_records(history) == [{"epoch": 1, "loss": 0.9, "accuracy": 0.7},
                                        {"epoch": 2, "loss": 0.4, "accuracy": 0.9}]
    assert history_records({}) == []
    with pytest.raises(ValueError, match="one value per epoch"):
        history_records({"loss": [1.0], "accuracy": []})
