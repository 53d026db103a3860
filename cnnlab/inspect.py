"""Looking inside a trained network: every layer's output for a digit, probabilities, learnt kernels."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.backend import load_keras
from cnnlab.model import computing_layers, to_model_input

if TYPE_CHECKING:
    import keras

# Large enough to amortise a call, small enough that a batch's float copy stays a few megabytes.
PREDICT_CHUNK = 1024

# One multi-output "activation model" per trained model, built on first use and dropped with the model.
_ACTIVATION_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ACTIVATION_MODELS_LOCK = threading.Lock()


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


def _activation_model(model: keras.Model) -> keras.Model:
    """A model with the same weights whose outputs are every layer's output, in order (built once)."""
    with _ACTIVATION_MODELS_LOCK:
        cached = _ACTIVATION_MODELS.get(model)
        if cached is None:
            keras = load_keras()
            cached = keras.Model(model.inputs[0], [layer.output for layer in computing_layers(model)])
            # Build the compiled predict function now, under the lock, so concurrent first calls share it.
            cached.predict_on_batch(np.zeros((1, *model.inputs[0].shape[1:]), dtype=np.float32))
            _ACTIVATION_MODELS[model] = cached
        return cached


def layer_activations(model: keras.Model, image: np.ndarray) -> list[LayerOutput]:
    """Every layer's output for one digit, in the model's order, as seen at inference (dropout off).

    image: uint8 (28, 28), 0–255. Returns one `LayerOutput` per computing layer.
    """
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise ValueError(f"Pass one 28×28 digit; got an array of shape {image.shape}.")
    # predict_on_batch runs one compiled graph; a plain model call dispatches every op eagerly, ~6× slower.
    outputs = _activation_model(model).predict_on_batch(to_model_input(image))
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [
        LayerOutput(layer.name, type(layer).__name__, np.asarray(output)[0])
        for layer, output in zip(computing_layers(model), outputs, strict=True)
    ]


def predict_proba(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The ten class probabilities for each digit.

    images: uint8 (n, 28, 28) or one (28, 28), 0–255. Returns float32 (n, 10), rows summing to 1.
    Uses `predict_on_batch` (one compiled call, without `model.predict`'s per-call start-up), a chunk at a
    time for large inputs.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    if len(images) == 0:
        return np.zeros((0, 10), dtype=np.float32)
    chunks = [
        np.asarray(model.predict_on_batch(to_model_input(images[start : start + PREDICT_CHUNK])))
        for start in range(0, len(images), PREDICT_CHUNK)
    ]
    return np.concatenate(chunks).astype(np.float32, copy=False)


def conv_filters(model: keras.Model, layer: int = 0) -> np.ndarray:
    """The kernels of the model's `layer`-th conv layer (0 = the first).

    Returns float32 (kernel height, kernel width, input channels, filters), e.g. (5, 5, 1, 30) for the
    reference model's first layer and (3, 3, 30, 15) for its second.
    """
    convs = [item for item in model.layers if type(item).__name__ == "Conv2D"]
    if not 0 <= layer < len(convs):
        raise ValueError(f"The model has {len(convs)} conv layers; there is no conv layer number {layer}.")
    return np.array(convs[layer].get_weights()[0], dtype=np.float32)
