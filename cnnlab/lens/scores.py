"""A layer's values before its activation function, as differentiable TensorFlow tensors.

Gradients for looking into a network are taken before the ReLU or softmax: a ReLU that is off passes no gradient
at all, and a softmax that is very sure passes almost none. Both `patterns` and `attack` climb or descend these
scores with `tf.GradientTape`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnlab.network.backend import load_keras, per_model

if TYPE_CHECKING:
    import keras


def scored_layer_names(model: keras.Model, dense_only: bool = False) -> list[str]:
    """The names of the model's conv and dense layers (only its dense layers, output included, with `dense_only`)."""
    layers = load_keras().layers
    kinds = layers.Dense if dense_only else (layers.Conv2D, layers.Dense)
    return [layer.name for layer in model.layers if isinstance(layer, kinds)]


def is_conv(layer) -> bool:
    return isinstance(layer, load_keras().layers.Conv2D)


def scored_layer(model: keras.Model, layer_name: str):
    """The model's layer `layer_name`, which must be a Conv2D or Dense layer; else a ValueError naming them."""
    names = scored_layer_names(model)
    if layer_name not in names:
        raise ValueError(f"There is no conv or dense layer called {layer_name!r}; the model has {', '.join(names)}.")
    return model.get_layer(layer_name)


@per_model
def layer_input_model(model: keras.Model, layer_name: str) -> keras.Model:
    """The same network from its input to `layer_name`'s input (shared weights), built once per model and layer.
    For "output" that is the last hidden layer, which the saliency map and the digit map read too."""
    keras = load_keras()
    return keras.Model(model.inputs[0], model.get_layer(layer_name).input)


def layer_scores(model: keras.Model, layer_name: str, pixels):
    """`layer_name`'s values before its activation, for model inputs `pixels`, as a differentiable tensor.

    pixels: float32 tensor (n, 28, 28, 1) in [0, 1], as `cnnlab.network.model.to_model_input` makes them (or a variable
    being optimised). Returns (n, height, width, filters) for a Conv2D layer, (n, units) for a Dense layer.
    Dropout is off (training=False), as when the model answers.
    """
    keras = load_keras()
    layer = scored_layer(model, layer_name)
    inputs = layer_input_model(model, layer_name)(pixels, training=False)
    if is_conv(layer):
        # CNN Lab's conv layers use stride 1 and no padding ("valid"), as `cnnlab.network.model.build_model` makes them.
        scores = keras.ops.conv(inputs, layer.kernel, strides=layer.strides, padding=layer.padding)
    else:
        scores = keras.ops.matmul(inputs, layer.kernel)
    return scores + layer.bias
