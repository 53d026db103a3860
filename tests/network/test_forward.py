"""The NumPy forward pass checked against Keras's own layers, for the reference shape and for extreme settings."""

from __future__ import annotations

import numpy as np
import pytest
from architectures import ARCHITECTURES
from helpers import keras_layer_outputs

from cnnlab.config import TrainConfig
from cnnlab.network.forward import FORWARD_CHUNK, Network
from cnnlab.network.model import build_model, summarize_config

CONFIGS = {
    "reference": TrainConfig(),
    "no hidden layers": TrainConfig(conv_layers=((1, 5), (1, 3)), dense_units=()),
    "four hidden layers": TrainConfig(conv_layers=((7, 5), (64, 3)), dense_units=(5, 1, 9, 3)),
    **{name: config for name, (config, _) in ARCHITECTURES.items() if name != "reference"},
}


def keras_network(config: TrainConfig):
    """A fresh Keras network of `config`'s shape with random, non-zero biases too (fresh biases are zeros, which
    would leave the bias arithmetic untested)."""
    model = build_model(config)
    generator = np.random.default_rng(7)
    model.set_weights([values + generator.normal(0, 0.05, values.shape).astype(np.float32)
                       for values in model.get_weights()])
    return model


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_layer_matches_keras(name, sample):
    config = CONFIGS[name]
    model = keras_network(config)
    network = Network(config, model.get_weights())
    digits = sample.x_test[:3]
    ours = network.layer_outputs(digits)
    assert [output.shape[1:] for output in ours] == [row["output_shape"][1:] for row in summarize_config(config)]
    for index, digit in enumerate(digits):
        for mine, theirs in zip(ours, keras_layer_outputs(model, digit), strict=True):
            np.testing.assert_allclose(mine[index], theirs, rtol=1e-4, atol=1e-5)
    assert network.count_params() == model.count_params()


def test_many_digits_in_chunks_give_the_same_probabilities_as_keras(reference_result, sample):
    digits = sample.x_test[: FORWARD_CHUNK * 2 + 5]
    ours = reference_result.network.predict_proba(digits)
    theirs = np.asarray(reference_result.model.predict_on_batch(digits[..., None].astype(np.float32) / 255.0))
    assert ours.shape == (len(digits), 10) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, atol=1e-5)
    assert reference_result.network.predict_proba(digits[:0]).shape == (0, 10)


def test_weights_that_do_not_fit_the_settings_are_refused():
    weights = build_model(TrainConfig(conv_layers=((4, 5), (15, 3)))).get_weights()
    with pytest.raises(ValueError, match="do not fit the settings"):
        Network(TrainConfig(), weights)
    with pytest.raises(ValueError, match="do not fit the settings"):
        Network(TrainConfig(conv_layers=((4, 5), (15, 3))), weights[:-1])


def test_a_layer_without_weights_is_a_sentence(tiny_result):
    with pytest.raises(ValueError, match="no layer with weights called 'pool'"):
        tiny_result.network.parameters("pool")
