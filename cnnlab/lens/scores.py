"""The layers whose units have scores: their values before the activation function, which the lens pages climb.

Gradients for looking into a network are taken before the ReLU or softmax: a ReLU that is off passes no gradient
at all, and a softmax that is very sure passes almost none. `patterns` climbs the scores of a conv or dense layer's
units, with the backward pass of `cnnlab.network.backward` (`scores_and_backward` gives any layer's scores).
"""

from __future__ import annotations

from cnnlab.network.forward import Network
from cnnlab.network.model import PlannedLayer

SCORED_KINDS = ("Conv2D", "Dense")


def scored_layer_names(network: Network, dense_only: bool = False) -> list[str]:
    """The names of the network's conv and dense layers (only its dense layers, output included, with `dense_only`)."""
    kinds = ("Dense",) if dense_only else SCORED_KINDS
    return [layer.name for layer in network.layers if layer.kind in kinds]


def is_conv(layer: PlannedLayer) -> bool:
    return layer.kind == "Conv2D"


def scored_layer(network: Network, layer_name: str) -> PlannedLayer:
    """The network's layer `layer_name`, which must be a Conv2D or Dense layer; else a ValueError naming them."""
    names = scored_layer_names(network)
    if layer_name not in names:
        raise ValueError(f"There is no conv or dense layer called {layer_name!r}; the model has {', '.join(names)}.")
    return network.layer(layer_name)

