"""CNN Lab's colours, in one place: the NumPy pictures and the Altair charts both take theirs from here, so a
value has the same colour in a picture and in a chart.
"""

from __future__ import annotations

import numpy as np

from cnnlab.pictures.magma import MAGMA

# Strength (activations, saliency): matplotlib's magma, a perceptually even dark-to-bright ramp (black → purple →
# orange → pale yellow), so a bright cell always means a strong value, also for colour-blind readers. The pictures
# use all 256 colours (STRENGTH_RAMP, below); the charts take every tenth of the way, which Vega joins with straight
# lines in RGB, within 4 of 255 of magma everywhere.
STRENGTH_STOPS = [MAGMA[round(step * 255 / 10)] for step in range(11)]
# Signed values (weights, contributions): negative red, zero white, positive blue (ColorBrewer's RdBu ends).
NEGATIVE, ZERO, POSITIVE = "#b2182b", "#ffffff", "#2166ac"
SIGNED_STOPS = [NEGATIVE, ZERO, POSITIVE]
# Pixels as MNIST stores them: white ink on black.
INK_STOPS = ["#000000", "#ffffff"]
# Counts (the confusion matrix) and the ten digits as categories: Vega's own schemes.
COUNT_SCHEME = "blues"
DIGIT_SCHEME = "category10"
# Settings in the class's experiments: ordered values (epochs, filters) dark to light, cut before the light end so
# that the smallest or largest value never fades into the white page; unordered ones (seed) in distinct hues.
ORDERED_SCHEME, ORDERED_SCHEME_END = "viridis", 0.85
CATEGORY_SCHEME = "tableau10"
# One thing singled out (the prediction, the chosen cell, the validation curve) against the rest.
HIGHLIGHT = "#e4572e"
MUTED = "#9aa5b1"
MARKER = "#444444"  # the dashed "you are here" rules
OUTLINE = "#00c2ff"  # the square a filter reads
GAP = "#ffffff"  # between the tiles of a mosaic
FRAME = "#7b8794"  # around a picture whose edges may be white (a filter's favourite picture, its weights)
CURVE_COLOURS = {"training": "#1f77b4", "validation": HIGHLIGHT, "training, during the epoch": "#9ecae9"}


def rgb(colour: str) -> np.ndarray:
    """"#rrggbb" → float32 (3,) in 0–255."""
    return np.array([int(colour[index : index + 2], 16) for index in (1, 3, 5)], dtype=np.float32)


STRENGTH_RAMP = np.stack([rgb(colour) for colour in MAGMA]).astype(np.uint8)  # uint8 (256, 3): 0 weakest, 255 strongest


def signed_colours(values: np.ndarray, limit: float) -> np.ndarray:
    """float (…) → uint8 (…, 3): blue for positive, red for negative, fading to white at zero; |value| ≥ limit is
    full colour."""
    strength = np.clip(np.abs(values) / limit, 0, 1)[..., None]
    colour = np.where(np.asarray(values)[..., None] >= 0, rgb(POSITIVE), rgb(NEGATIVE))
    return (rgb(ZERO) * (1 - strength) + colour * strength).round().astype(np.uint8)
