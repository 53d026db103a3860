"""Turning a student's drawing or photo into a digit the way MNIST's own digits were made.

MNIST's recipe (LeCun et al.): fit the digit's ink into a 20×20 box keeping its aspect ratio
(anti-aliased, hence grey edges), then place it in a 28×28 field so that its centre of mass sits at the
centre. A network trained on MNIST reads a drawing best when the drawing has been through the same steps.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

DIGIT_SIZE = 28
BOX_SIZE = 20
# Ink fainter than this (0–255) is treated as background: anti-aliasing fringes and canvas noise.
INK_THRESHOLD = 40
# A drawing with less ink than this share of the canvas is a stray click, not a digit.
MIN_INK_SHARE = 0.0004
# Uploads larger than this are refused before decoding, so a "decompression bomb" cannot eat memory.
MAX_UPLOAD_PIXELS = 4096 * 4096


def canvas_to_mnist(rgba: np.ndarray) -> np.ndarray | None:
    """An MNIST-style digit from a drawing-canvas image, or None when nothing (or almost nothing) is drawn.

    rgba: uint8 (height, width, 4), white (or any light) strokes on a black or transparent background,
    any size, e.g. 280×280×4 from the canvas; (h, w, 3) and (h, w) greyscale are accepted too.
    Returns uint8 (28, 28), 0–255, white ink on black, digit scaled into 20×20 and centred by mass.
    """
    return ink_to_mnist(canvas_ink(rgba))


def canvas_ink(rgba: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds: float32 (height, width) in 0–255, from an RGBA/RGB/grey array."""
    pixels = np.asarray(rgba)
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or 0 in pixels.shape:
        raise ValueError(f"A drawing must be an image of shape (height, width, 4); got {pixels.shape}.")
    ink = pixels[..., :3].astype(np.float32).mean(axis=2)
    if pixels.shape[2] == 4:
        # A transparent pixel is background whatever its colour channels say.
        ink *= pixels[..., 3].astype(np.float32) / 255.0
    return ink


def ink_to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """MNIST's crop → 20×20 box → centre-of-mass placement, for an ink map.

    ink: float (height, width) in 0–255, light ink on dark. Returns uint8 (28, 28) or None if blank.
    """
    ink = np.clip(np.asarray(ink, dtype=np.float32), 0, 255)
    inked = ink > INK_THRESHOLD
    if inked.sum() < max(2, MIN_INK_SHARE * ink.size):
        return None
    rows = np.flatnonzero(inked.any(axis=1))
    columns = np.flatnonzero(inked.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    height, width = crop.shape
    scale = BOX_SIZE / max(height, width)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Area averaging when shrinking is what gives MNIST digits their soft grey edges.
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    boxed = np.array(Image.fromarray(crop).resize(new_size, resample), dtype=np.float32)
    if boxed.max() > 0:
        # Full-strength strokes, as in MNIST, however faintly or thinly the student drew.
        boxed *= 255.0 / boxed.max()
    return _centre_by_mass(boxed)


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` (float, at most 20×20) in a 28×28 field with its centre of mass at the middle."""
    height, width = digit.shape
    total = digit.sum()
    row_centre = (digit.sum(axis=1) @ np.arange(height)) / total
    column_centre = (digit.sum(axis=0) @ np.arange(width)) / total
    # Pixel centres run 0…27, so the middle of the field is 13.5; work on a larger field, then cut.
    margin = DIGIT_SIZE
    field = np.zeros((DIGIT_SIZE + 2 * margin, DIGIT_SIZE + 2 * margin), dtype=np.float32)
    top = margin + int(round((DIGIT_SIZE - 1) / 2 - row_centre))
    left = margin + int(round((DIGIT_SIZE - 1) / 2 - column_centre))
    field[top : top + height, left : left + width] = digit
    cut = field[margin : margin + DIGIT_SIZE, margin : margin + DIGIT_SIZE]
    return np.clip(np.rint(cut), 0, 255).astype(np.uint8)


def image_to_mnist(data: bytes) -> np.ndarray | None:
    """An MNIST-style digit from an uploaded PNG/JPG (dark ink on light paper or light on dark).

    data: the file's bytes. Returns uint8 (28, 28) or None when the picture holds no visible digit.
    Raises ValueError with a sentence for anything that is not a readable still image.
    """
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.width * picture.height > MAX_UPLOAD_PIXELS:
                raise ValueError(
                    f"The picture is {picture.width}×{picture.height} pixels; please upload one under "
                    f"{MAX_UPLOAD_PIXELS:,} pixels (a photo of one digit needs far fewer)."
                )
            picture.seek(0)  # the first frame of an animation
            grey = np.asarray(_flatten_to_grey(picture), dtype=np.float32)
    except ValueError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValueError(f"This file could not be read as a PNG or JPG picture ({error}).") from error
    # Photos of paper are dark-on-light; MNIST is light-on-dark. The border tells which we have.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 127:
        grey = 255.0 - grey
    # Lift the background to black so paper texture and shadows do not count as ink.
    grey = np.clip(grey - np.median(border if np.median(border) <= 127 else 255.0 - border), 0, 255)
    return ink_to_mnist(grey)


def _flatten_to_grey(picture: Image.Image) -> Image.Image:
    """Greyscale of any mode (palette, 16-bit, alpha), transparent areas taken as the paper colour."""
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(picture, dtype=np.float64)
        peak = values.max() or 1.0
        return Image.fromarray(np.uint8(np.clip(values * 255.0 / peak, 0, 255)))
    rgba = picture.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    opaque = np.asarray(rgba)[..., 3]
    if opaque.min() == 255:
        return rgba.convert("L")
    return Image.alpha_composite(background, rgba).convert("L")
