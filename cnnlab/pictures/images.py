"""Pictures of arrays: a layer's feature maps as one mosaic image, kernels and digits enlarged.

One mosaic per layer (instead of dozens of small images) keeps a page light: the browser receives a
single PNG, and the server encodes it once.
"""

from __future__ import annotations

import base64
import io
import math
import zlib

import numpy as np
from PIL import Image

from cnnlab.pictures.palette import FRAME, GAP, OUTLINE, STRENGTH_RAMP, rgb, signed_colours

GAP_COLOUR = rgb(GAP).astype(np.uint8)
FRAME_COLOUR = rgb(FRAME).astype(np.uint8)


def grid_shape(count: int, max_columns: int = 6) -> tuple[int, int]:
    """(rows, columns) for `count` tiles: 30 → (5, 6), 15 → (3, 5), 8 → (2, 4), 1 → (1, 1)."""
    if count < 1:
        raise ValueError("A grid needs at least one tile.")
    rows = math.ceil(count / min(max_columns, count))
    # As few rows as the width allows, then the columns spread evenly over them (15 → 3 × 5, not 3 × 6).
    return rows, math.ceil(count / rows)


def colourize(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map values onto the ramp: float (…) → uint8 (…, 3). `low`/`high` default to the array's own range."""
    values = np.asarray(values, dtype=np.float32)
    low = float(values.min()) if low is None else low
    high = float(values.max()) if high is None else high
    span = high - low if high > low else 1.0
    indices = np.clip((values - low) / span * 255.0, 0, 255).astype(np.uint8)
    return STRENGTH_RAMP[indices]


def feature_mosaic(maps: np.ndarray, scale: int = 4, gap: int = 2, max_columns: int = 6) -> np.ndarray:
    """All of a layer's maps in one picture, on one shared colour scale so maps compare fairly.

    maps: float (height, width, channels), e.g. (24, 24, 30). Each map is enlarged `scale` times with
    crisp pixels and separated by `gap` white pixels. Returns uint8 (H, W, 3).
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"Feature maps must be (height, width, channels); got shape {maps.shape}.")
    coloured = colourize(maps, low=0.0 if maps.min() >= 0 else None)
    return tile_mosaic([enlarge(coloured[:, :, index], scale) for index in range(maps.shape[2])], gap, max_columns)


def tile_mosaic(tiles: list[np.ndarray], gap: int, max_columns: int = 6) -> np.ndarray:
    """Equal-sized uint8 (h, w, 3) tiles in one picture, left to right and top to bottom, `gap` white pixels apart.
    Returns uint8 (H, W, 3)."""
    rows, columns = grid_shape(len(tiles), max_columns)
    height, width = tiles[0].shape[:2]
    mosaic = np.full((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, 3), GAP_COLOUR,
                     dtype=np.uint8)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        mosaic[top : top + height, left : left + width] = tile
    return mosaic


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a 2-D (or 2-D × channels) image, so each pixel stays a square."""
    return np.repeat(np.repeat(np.asarray(image), scale, axis=0), scale, axis=1)


def strip(values: np.ndarray, scale: int = 6, max_width: int = 50) -> np.ndarray:
    """A 1-D vector (a dense layer's units) as rows of coloured cells: uint8 (H, W, 3)."""
    values = np.asarray(values, dtype=np.float32).ravel()
    columns = min(max_width, len(values))
    rows = math.ceil(len(values) / columns)
    padded = np.full(rows * columns, np.nan, dtype=np.float32)
    padded[: len(values)] = values
    coloured = colourize(np.nan_to_num(padded, nan=0.0), low=0.0 if values.min() >= 0 else None)
    coloured[np.isnan(padded)] = GAP_COLOUR
    return enlarge(coloured.reshape(rows, columns, 3), scale)


def outline_square(image: np.ndarray, top: int, left: int, size: int, scale: int = 8,
                   colour: tuple[int, int, int] | None = None) -> np.ndarray:
    """A grey digit enlarged `scale` times, with a `size`×`size` square of its pixels outlined in `colour`.

    image: uint8 (height, width), e.g. a 28×28 digit; top, left: the square's corner in its pixels.
    Returns uint8 (height × scale, width × scale, 3). Shows the patch a filter reads.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"Pass one grey image of shape (height, width); got {image.shape}.")
    picture = enlarge(np.repeat(image.astype(np.uint8)[..., None], 3, axis=2), scale)
    colour = rgb(OUTLINE).astype(np.uint8) if colour is None else colour
    line = max(1, scale // 4)
    y0, x0 = top * scale, left * scale
    y1, x1 = (top + size) * scale, (left + size) * scale
    picture[y0 : y0 + line, x0:x1] = colour
    picture[y1 - line : y1, x0:x1] = colour
    picture[y0:y1, x0 : x0 + line] = colour
    picture[y0:y1, x1 - line : x1] = colour
    return picture


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, scale: int = 5) -> np.ndarray:
    """The digit dimmed to grey with the saliency painted over it on the ramp, see-through where it is low.

    image: uint8 (28, 28), 0–255; saliency: float (28, 28) in [0, 1]. Returns uint8 (28 × scale, 28 × scale, 3).
    """
    image, saliency = np.asarray(image, dtype=np.float32), np.clip(np.asarray(saliency, dtype=np.float32), 0, 1)
    if image.shape != saliency.shape:
        raise ValueError(f"The digit {image.shape} and its saliency {saliency.shape} must have the same shape.")
    # Dimmed, so that the colour, not the ink, catches the eye; the ink still shows where the strokes are.
    base = np.repeat((image * 0.35)[..., None], 3, axis=2)
    heat = STRENGTH_RAMP[(saliency * 255).astype(np.uint8)].astype(np.float32)
    # A square-root opacity lets middling values show instead of only the very top few pixels.
    alpha = np.sqrt(saliency)[..., None]
    return enlarge((base * (1 - alpha) + heat * alpha).round().astype(np.uint8), scale)


def signed_image(values: np.ndarray, scale: int = 5) -> np.ndarray:
    """Positive values in blue, negative in red, zero white, each on the array's own largest |value|.

    values: float (height, width). Returns uint8 (height × scale, width × scale, 3).
    """
    values = np.asarray(values, dtype=np.float32)
    return enlarge(signed_colours(values, float(np.abs(values).max()) or 1.0), scale)


def kernel_mosaic(kernels: np.ndarray, channel: int = 0, scale: int = 12, gap: int = 4,
                  max_columns: int = 6) -> np.ndarray:
    """Every filter of a conv layer in one picture, blue positive and red negative on one shared scale.

    kernels: float (k, k, input channels, filters), as `cnnlab.lens.activations.conv_filters` returns; `channel` picks
    the input channel. Returns uint8 (H, W, 3), filters left to right, top to bottom, separated by white.
    """
    kernels = np.asarray(kernels, dtype=np.float32)
    if kernels.ndim != 4:
        raise ValueError(f"Kernels must be (height, width, input channels, filters); got shape {kernels.shape}.")
    limit = float(np.abs(kernels[:, :, channel, :]).max()) or 1.0
    return tile_mosaic([enlarge(signed_colours(kernels[:, :, channel, index], limit), scale)
                        for index in range(kernels.shape[3])], gap, max_columns)


def pattern_mosaic(patterns: np.ndarray, kernels: np.ndarray | None = None, scale: int = 8, gap: int = 6,
                   max_columns: int = 6, frame: int = 0) -> np.ndarray:
    """Pictures that units respond to, in one mosaic, each beside its kernel when `kernels` are given.

    patterns: uint8 (n, size, size), 0–255, drawn white on black as digits are. kernels: float (size, size, n),
    one kernel per pattern and as large (e.g. conv1's 5×5 kernels beside 5×5 patterns), drawn blue positive and
    red negative on one shared scale. frame: pixels of grey drawn around each picture and kernel, so that white ink
    at a picture's edge, or a weight near zero, does not merge with the white page. Returns uint8 (H, W, 3), tiles
    left to right, top to bottom.
    """
    patterns = np.asarray(patterns)
    if patterns.ndim != 3 or patterns.shape[1] != patterns.shape[2]:
        raise ValueError(f"Patterns must be square pictures (n, size, size); got shape {patterns.shape}.")
    count, size, _ = patterns.shape
    if kernels is not None and np.shape(kernels) != (size, size, count):
        raise ValueError(f"Kernels must be ({size}, {size}, {count}) to sit beside these patterns; "
                         f"got shape {np.shape(kernels)}.")
    limit = (float(np.abs(kernels).max()) or 1.0) if kernels is not None else 1.0
    inner_gap = np.full((size * scale + 2 * frame, max(2, gap // 4), 3), GAP_COLOUR, dtype=np.uint8)  # pairs closer
    tiles = []
    for index in range(count):
        tile = framed(enlarge(np.repeat(patterns[index][..., None], 3, axis=2), scale), frame)
        if kernels is not None:
            kernel = signed_colours(np.asarray(kernels[:, :, index], dtype=np.float32), limit)
            tile = np.concatenate([tile, inner_gap, framed(enlarge(kernel, scale), frame)], axis=1)
        tiles.append(tile)
    return tile_mosaic(tiles, gap, max_columns)


def framed(picture: np.ndarray, width: int) -> np.ndarray:
    """A picture, uint8 (h, w, 3) or grey (h, w), inside a FRAME-coloured border `width` pixels wide: uint8
    (h + 2 width, w + 2 width, 3)."""
    picture = np.asarray(picture, dtype=np.uint8)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=2)
    if width <= 0:
        return picture
    border = np.empty((picture.shape[0] + 2 * width, picture.shape[1] + 2 * width, 3), dtype=np.uint8)
    border[...] = FRAME_COLOUR
    border[width:-width, width:-width] = picture
    return border


def png_data_urls(images: np.ndarray, scale: int = 2) -> list[str]:
    """Each uint8 (28, 28) digit of `images` (n, 28, 28) as a "data:image/png;base64,…" address, enlarged `scale`
    times, so a chart's tooltip can show the digit itself."""
    return ["data:image/png;base64," + base64.b64encode(png_bytes(enlarge(image, scale))).decode("ascii")
            for image in np.asarray(images)]


def fit_width(picture: np.ndarray, max_width: int) -> np.ndarray:
    """The picture scaled down (bilinear) to `max_width` pixels wide, its proportions kept; as it is when it fits.
    picture: uint8 (height, width) or (height, width, 3)."""
    picture = np.asarray(picture)
    height, width = picture.shape[:2]
    if width <= max_width:
        return picture
    size = (max_width, max(1, int(height * max_width / width)))
    return np.asarray(Image.fromarray(picture).resize(size, resample=Image.Resampling.BILINEAR))


def png_bytes(picture: np.ndarray) -> bytes:
    """A picture as PNG file bytes. picture: uint8 (height, width) grey or (height, width, 3) colour."""
    picture = np.asarray(picture)
    if picture.dtype != np.uint8 or picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[2] != 3):
        raise ValueError(f"A PNG needs uint8 (height, width) or (height, width, 3); got {picture.dtype} "
                         f"{picture.shape}.")
    buffer = io.BytesIO()
    # The pictures are enlarged arrays: runs of equal pixels. zlib's run-length strategy encodes them a third faster
    # than its default, and smaller, and the server encodes one for every new digit a student looks at.
    Image.fromarray(picture).save(buffer, format="PNG", compress_type=zlib.Z_RLE)
    return buffer.getvalue()
