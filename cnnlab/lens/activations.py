"""Looking inside a trained network: every layer's output for a digit, probabilities, learnt kernels.

All of it runs the network in NumPy (`cnnlab.network.forward.Network`), so a page shows a stored model without
TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.digits.format import IMAGE_SIZE
from cnnlab.network.forward import Network
from cnnlab.network.model import summarize_config


@dataclass(frozen=True)
class LayerOutput:
    """One layer's response to one digit.

    name: the layer's name ("conv1", "pool", …); kind: its class ("Conv2D", "MaxPooling2D", …);
    output: float32 without the batch axis, e.g. (24, 24, 30) for conv1 or (10,) for the output layer.
    """

    name: str
    kind: str
    output: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.output.shape)


def layer_activations(network: Network, image: np.ndarray) -> list[LayerOutput]:
    """Every layer's output for one digit, in the model's order, as seen at inference (dropout off).

    image: uint8 (28, 28), 0–255. Returns one `LayerOutput` per computing layer.
    """
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"Pass one 28×28 digit; got an array of shape {image.shape}.")
    rows = summarize_config(network.config)
    return [LayerOutput(row["layer"], row["kind"], output[0])
            for row, output in zip(rows, network.layer_outputs(image), strict=True)]


def predict_proba(network: Network, images: np.ndarray) -> np.ndarray:
    """The ten class probabilities for each digit.

    images: uint8 (n, 28, 28) or one (28, 28), 0–255. Returns float32 (n, 10), rows summing to 1.
    """
    return network.predict_proba(images)


def conv_filters(network: Network, layer: int = 0) -> np.ndarray:
    """The kernels of the network's `layer`-th conv layer (0 = the first).

    Returns float32 (kernel height, kernel width, input channels, filters), e.g. (5, 5, 1, 30) for the
    reference model's first layer and (3, 3, 30, 15) for its second.
    """
    convs = [row["layer"] for row in summarize_config(network.config) if row["kind"] == "Conv2D"]
    if not 0 <= layer < len(convs):
        raise ValueError(f"The model has {len(convs)} conv layers; there is no conv layer number {layer}.")
    return network.parameters(convs[layer])[0]
