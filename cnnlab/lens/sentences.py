"""Teaching sentences built from the current model's own numbers, one per layer.

They live in the engine (not in a page) so that the numbers in them can be tested against the model.
"""

from __future__ import annotations

import numpy as np

from cnnlab.lens.activations import LayerOutput
from cnnlab.network.model import PlannedLayer
from cnnlab.words import shape_text

# The share of a digit's 784 pixels that are ink (brighter than half), over all 70,000 MNIST digits: 1.9 % to
# 39.8 % (measured on the bundled set; tests/lens/test_doubts.py measures it again). A picture outside this range
# is unlike any digit the network learnt from.
MNIST_INK_SHARE = (0.019, 0.398)
# Below this probability for its own answer, the network is told to be unsure.
SURE_PROBABILITY = 0.5


def answer_doubts(digit: np.ndarray, probabilities: np.ndarray) -> list[str]:
    """Sentences saying why an answer should not be trusted; empty when there is no reason to doubt it.

    digit: uint8 (28, 28), 0–255, as the network read it; probabilities: (10,) from the softmax.
    """
    doubts = []
    ink = float((np.asarray(digit) > 127).mean())
    low, high = MNIST_INK_SHARE
    if not low <= ink <= high:
        amount = "more" if ink > high else "less"
        doubts.append(f"This does not look like a handwritten digit: {ink:.0%} of the picture is ink, {amount} than "
                      f"in any of MNIST's 70,000 digits ({low:.0%} to {high:.0%}). The network answers anyway, "
                      "because it must pick one of ten digits, but the answer means little.")
    order = np.argsort(probabilities)[::-1]
    best, second = int(order[0]), int(order[1])
    if probabilities[best] < SURE_PROBABILITY:
        doubts.append(f"The network is unsure: its answer {best} has only {probabilities[best]:.0%}; next comes "
                      f"{second} with {probabilities[second]:.0%}.")
    return doubts


# What a conv layer's activation did to its maps, as the Activations page's pictures show it.
MAP_ACTIVATION_TEXTS = {
    "relu": "ReLU turned every negative value into 0 (black).",
    "tanh": "tanh squashed every value into −1 … 1, so negative values stay (the darkest) and large ones level off.",
    "sigmoid": "sigmoid squashed every value into 0 … 1: a sum of 0 became 0.5, and large ones level off near 1.",
}
# How many of a hidden dense layer's units count as active, and the words for it, by activation.
ACTIVE_UNITS = {"relu": (0.0, "active (above 0)"), "tanh": (0.0, "above 0"),
                "sigmoid": (0.5, "above 0.5 (what a sum of 0 gives)")}


def layer_sentence(layer: LayerOutput, previous: LayerOutput | None, train_images: int, dropout_rate: float,
                   described: PlannedLayer) -> str:
    """One or two sentences about what `layer` did to the digit, with this model's numbers.

    previous: the layer before (None for the first); train_images: how many images the model learnt from;
    described: the layer as the network runs it (`Network.layer(name)`: a conv layer's kernel size, stride, padding
    and activation, a dense layer's activation).
    """
    shape = layer.shape
    if layer.kind == "Conv2D":
        height, width, filters = shape
        inputs = previous.shape[-1] if previous is not None else 1
        source = "the 28 × 28 digit" if previous is None else f"all {inputs} maps of the layer before"
        return (
            f"{filters} filters of {described.window} × {described.window} slide over {source}"
            f"{_steps_text(described)}; each gives one {height} × {width} map ({_fit_text(described, height)}). "
            f"Over the whole training set that is {filters} × {train_images:,} = "
            f"{filters * train_images:,} activation maps from this layer alone. Bright means the filter "
            f"found its pattern there; {MAP_ACTIVATION_TEXTS[described.activation]}"
        )
    if layer.kind in ("MaxPooling2D", "AveragePooling2D") and previous is not None:
        before = previous.shape
        summary = ("keeps only its largest value" if layer.kind == "MaxPooling2D"
                   else "is replaced by the mean of its four values")
        return (
            f"Each 2 × 2 window {summary}, so every {before[0]} × {before[1]} map shrinks to "
            f"{shape[0]} × {shape[1]}: a quarter of the numbers ({np.prod(before):,} → {np.prod(shape):,}), "
            "keeping where a pattern was found, roughly, while forgetting exactly where."
        )
    if layer.kind == "Dropout":
        return (
            f"While training, dropout zeroes a random {dropout_rate:.0%} of these values at every step (and "
            f"scales up the rest), so the network cannot lean on any single one. Now, at prediction time, "
            "it passes every value through unchanged, which is why these maps equal the ones above."
        )
    if layer.kind == "Flatten" and previous is not None:
        return (
            f"The {shape_text(previous.shape)} block of numbers is laid out as one row of "
            f"{shape[0]:,} values, the form the dense layers take."
        )
    if layer.kind == "Dense" and previous is not None:
        threshold, active_words = ACTIVE_UNITS.get(described.activation, ACTIVE_UNITS["relu"])
        active = int((layer.output > threshold).sum())
        if layer.name == "output":
            return (
                "Ten units, one per digit. Softmax turns their scores into probabilities that add up to 1; "
                "the largest is the prediction."
            )
        return (
            f"Each of the {shape[0]} units weighs all {previous.shape[0]:,} values before it "
            f"({previous.shape[0]:,} × {shape[0]} weights + {shape[0]} biases = "
            f"{(previous.shape[0] + 1) * shape[0]:,} parameters). {active} of {shape[0]} are {active_words} "
            "for this digit."
        )
    return f"Output shape {shape_text(shape)}."


def _steps_text(described: PlannedLayer) -> str:
    """How a conv layer's window moves, where that is not one pixel at a time over the input alone."""
    parts = []
    if described.stride > 1:
        parts.append(f"in steps of {described.stride} pixels")
    if described.padding == "same":
        parts.append("with a border of zeros around it (“same” padding)")
    return (" " + " and ".join(parts)) if parts else ""


def _fit_text(described: PlannedLayer, side: int) -> str:
    """Why a conv layer's maps have the side they have."""
    size = f"{described.window} × {described.window}"
    if described.padding == "same":
        return ("the padding keeps the side as it was" if described.stride == 1
                else f"with the padding, a window starts every {described.stride} pixels, {side} times across")
    return f"a {size} window fits {side} times across"


def dropout_training_view(values: np.ndarray, rate: float, seed: int = 0) -> np.ndarray:
    """What dropout does while training: a random `rate` share of values set to 0, the rest scaled by
    1 / (1 − rate) so the expected sum is unchanged. Same seed → same mask.

    values: float array of any shape. Returns float32, same shape.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"A dropout rate must be at least 0 and below 1; got {rate}.")
    keep = np.random.default_rng(seed).random(np.shape(values)) >= rate
    return (np.asarray(values, dtype=np.float32) * keep / (1.0 - rate)).astype(np.float32)
