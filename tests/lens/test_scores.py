"""The layers that have scores: a network's conv and dense layers, by the names the reference summary gives."""

from __future__ import annotations

import pytest

from cnnlab.lens.scores import is_conv, scored_layer, scored_layer_names


def test_the_reference_models_scored_layers_are_its_conv_and_dense_layers(reference_result):
    network = reference_result.network
    assert scored_layer_names(network) == ["conv1", "conv2", "dense1", "dense2", "output"]
    assert scored_layer_names(network, dense_only=True) == ["dense1", "dense2", "output"]
    assert is_conv(scored_layer(network, "conv2")) and not is_conv(scored_layer(network, "dense1"))


@pytest.mark.parametrize("name", ["pool", "dropout", "flatten", "conv9"])
def test_a_layer_without_scores_is_a_sentence_naming_those_with_them(reference_result, name):
    with pytest.raises(ValueError, match="the model has conv1, conv2, dense1, dense2, output"):
        scored_layer(reference_result.network, name)
