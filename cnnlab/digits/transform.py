"""Moving, turning, resizing and partly erasing a digit, to see what the network tolerates.

Uses Pillow's affine transform (bilinear, black outside the picture), so no extra dependency is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnlab.digits.format import IMAGE_SIZE

SHIFT_RANGE = (-8, 8)  # pixels
ROTATION_RANGE = (-45, 45)  # degrees, positive turns anticlockwise
SCALE_RANGE = (0.5, 1.5)
ERASE_DIRECTIONS = ("rows", "columns")


@dataclass(frozen=True)
class Distortion:
    """One set of changes to a digit; the defaults change nothing.

    shift_right, shift_down: pixels (negative moves left / up). rotation: degrees, anticlockwise.
    scale: 1 keeps the size, 0.5 halves it, around the picture's centre. erase: (first, last) row or column
    (0-based, inclusive) set to black after the other changes, or None; erase_direction: "rows" or "columns".
    """

    shift_right: int = 0
    shift_down: int = 0
    rotation: float = 0.0
    scale: float = 1.0
    erase: tuple[int, int] | None = None
    erase_direction: str = "rows"

    def __post_init__(self) -> None:
        for name, value, (low, high) in (("shift_right", self.shift_right, SHIFT_RANGE),
                                         ("shift_down", self.shift_down, SHIFT_RANGE),
                                         ("rotation", self.rotation, ROTATION_RANGE),
                                         ("scale", self.scale, SCALE_RANGE)):
            if not low <= value <= high:
                raise ValueError(f"{name.replace('_', ' ').capitalize()} must be between {low} and {high}, "
                                 f"not {value}.")
        if self.erase_direction not in ERASE_DIRECTIONS:
            raise ValueError(f"Erase either 'rows' or 'columns', not {self.erase_direction!r}.")
        if self.erase is not None:
            first, last = self.erase
            if not 0 <= first <= last < IMAGE_SIZE:
                raise ValueError(f"The erased band must run from a first to a last {self.erase_direction[:-1]} "
                                 f"between 0 and {IMAGE_SIZE - 1}; got {self.erase}.")


def distort(image: np.ndarray, distortion: Distortion) -> np.ndarray:
    """The digit scaled and turned about its picture's centre, then shifted, then with a band erased.

    image: uint8 (28, 28), 0–255. Returns a new uint8 (28, 28); with the default `Distortion` an unchanged copy.
    """
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"Pass one 28×28 digit; got an array of shape {image.shape}.")
    result = np.array(image, dtype=np.uint8)
    if (distortion.shift_right, distortion.shift_down, distortion.rotation, distortion.scale) != (0, 0, 0, 1):
        result = _affine(result, distortion)
    if distortion.erase is not None:
        first, last = distortion.erase
        if distortion.erase_direction == "rows":
            result[first : last + 1, :] = 0
        else:
            result[:, first : last + 1] = 0
    return result


def _affine(image: np.ndarray, distortion: Distortion) -> np.ndarray:
    """Pillow's AFFINE maps each output point back to the input point it samples, so the matrix is the
    inverse of the change: undo the shift, then turn back by the angle and divide by the scale."""
    centre = IMAGE_SIZE / 2  # Pillow's pixel centres sit at i + 0.5, so the picture's centre is 14.0
    angle = math.radians(distortion.rotation)
    # Exact for quarter turns, so that a 90° turn moves every pixel onto another pixel's centre.
    cos, sin = round(math.cos(angle), 12), round(math.sin(angle), 12)
    scale = distortion.scale
    x0, y0 = centre + distortion.shift_right, centre + distortion.shift_down
    # input = centre + R(-angle) (output - centre - shift) / scale, in x-right, y-down coordinates.
    a, b = cos / scale, -sin / scale
    d, e = sin / scale, cos / scale
    c = centre - a * x0 - b * y0
    f = centre - d * x0 - e * y0
    picture = Image.fromarray(image)  # uint8 (28, 28) becomes a grey ("L") picture
    turned = picture.transform(picture.size, Image.Transform.AFFINE, (a, b, c, d, e, f),
                               resample=Image.Resampling.BILINEAR, fillcolor=0)
    return np.asarray(turned, dtype=np.uint8).copy()


def rotation_sweep(image: np.ndarray, angles: np.ndarray, base: Distortion | None = None) -> np.ndarray:
    """The digit turned to each angle (other changes from `base` kept): uint8 (len(angles), 28, 28)."""
    base = base or Distortion()
    return np.stack([
        distort(image, Distortion(base.shift_right, base.shift_down, float(angle), base.scale, base.erase,
                                  base.erase_direction))
        for angle in angles
    ])
