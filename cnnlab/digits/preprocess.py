"""Turning a student's drawing or photo into a digit the way MNIST's own digits were made.

MNIST's recipe (LeCun et al.): fit the digit's ink into a 20×20 box keeping its aspect ratio
(anti-aliased, hence grey edges), then place it in a 28×28 field so that its centre of mass sits at the
centre. A network trained on MNIST reads a drawing best when the drawing has been through the same steps.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageOps

from cnnlab.digits.format import IMAGE_SIZE

BOX_SIZE = 20
# Ink fainter than this (0–255) is treated as background: anti-aliasing fringes and canvas noise.
INK_THRESHOLD = 40
# A drawing with less ink than this share of the canvas is a stray click, not a digit.
MIN_INK_SHARE = 0.0004
# Uploads larger than this are refused before decoding, so a "decompression bomb" cannot eat memory.
MAX_UPLOAD_PIXELS = 4096 * 4096
# Larger pictures are averaged down to this many pixels on their longer side before anything else is done
# with them. The digit ends up 20 pixels tall, so nothing is lost, and a 16-megapixel upload then needs tens of
# megabytes of memory instead of hundreds, on a server that may have 1 GB in all.
WORKING_SIDE = 1024
# What an upload may be (Pillow's format names): photos, scans and screenshots, and the first frame of a GIF.
ACCEPTED_FORMATS = ("PNG", "JPEG", "GIF")
# The same formats as file-name endings, for the upload button (which refuses other files before they are sent).
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "gif")
EXIF_ORIENTATION = 0x0112  # the EXIF tag saying how the camera was held


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
    margin = IMAGE_SIZE
    field = np.zeros((IMAGE_SIZE + 2 * margin, IMAGE_SIZE + 2 * margin), dtype=np.float32)
    top = margin + int(round((IMAGE_SIZE - 1) / 2 - row_centre))
    left = margin + int(round((IMAGE_SIZE - 1) / 2 - column_centre))
    field[top : top + height, left : left + width] = digit
    cut = field[margin : margin + IMAGE_SIZE, margin : margin + IMAGE_SIZE]
    return np.clip(np.rint(cut), 0, 255).astype(np.uint8)


def image_to_mnist(data: bytes) -> np.ndarray | None:
    """An MNIST-style digit from an uploaded PNG/JPG/GIF (dark ink on light paper or light on dark).

    data: the file's bytes. Returns uint8 (28, 28) or None when the picture holds no visible digit.
    Raises ValueError with a sentence a student can act on for anything that is not a readable still image;
    no other exception escapes, whatever the bytes are.
    """
    grey = _decode_grey(data)
    # Photos of paper are dark-on-light; MNIST is light-on-dark. The border tells which we have.
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 127:
        grey = 255.0 - grey
    # Lift the background to black so paper texture and shadows do not count as ink.
    grey = np.clip(grey - np.median(border if np.median(border) <= 127 else 255.0 - border), 0, 255)
    return ink_to_mnist(grey)


def _decode_grey(data: bytes) -> np.ndarray:
    """The first frame of an uploaded picture as float32 (height, width) in 0–255, upright as the camera meant.

    Raises ValueError with a sentence for an empty, unknown, oversized, damaged or incomplete file.
    """
    if not data:
        raise ValueError("The file is empty. Please upload a PNG, JPG or GIF picture of one digit.")
    try:
        # Only these formats' decoders may run: others (TIFF, PSD, EPS, which would start Ghostscript, …) are
        # refused from their first bytes, so a renamed file cannot reach a less hardened decoder.
        picture = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:
        raise ValueError(_too_large_sentence(None)) from error
    except Exception as error:  # noqa: BLE001 - whatever a decoder raises on hostile bytes, the student gets this
        raise ValueError(
            "This file is not a picture CNN Lab can read. Please upload a PNG, JPG or GIF photo or scan of one digit."
        ) from error
    with picture:
        # Image.open reads only the header; refusing here means a huge picture is never decoded into memory.
        if picture.width * picture.height > MAX_UPLOAD_PIXELS:
            raise ValueError(_too_large_sentence(picture.size))
        orientation = _exif_orientation(picture)
        try:
            if picture.format == "JPEG":
                # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: a 12-megapixel photo never exists in full.
                picture.draft(None, (WORKING_SIDE, WORKING_SIDE))
            picture.load()  # the first frame of an animation
            picture = _shrink_to_working_size(picture)
            if orientation != 1:
                picture = ImageOps.exif_transpose(picture)
            return np.asarray(_flatten_to_grey(picture), dtype=np.float32)
        except Exception as error:  # noqa: BLE001 - truncated data, bad chunks, Pillow's own limits
            raise ValueError(
                "This picture is damaged or incomplete (perhaps cut off while it was saved or uploaded), so it "
                "could not be read. Please save it again, or take a new photo, and upload that."
            ) from error


def _shrink_to_working_size(picture: Image.Image) -> Image.Image:
    """`picture` averaged down by a whole factor until its longer side is at most WORKING_SIDE, in a mode
    whose pixels can be averaged (palette indices and 1-bit pixels cannot be)."""
    factor = math.ceil(max(picture.size) / WORKING_SIDE)
    if factor <= 1:
        return picture
    if picture.mode in ("P", "PA"):
        picture = picture.convert("RGBA")
    elif picture.mode == "1":
        picture = picture.convert("L")
    elif picture.mode.startswith("I;16"):
        picture = picture.convert("I")
    return picture.reduce(factor)


def _too_large_sentence(size: tuple[int, int] | None) -> str:
    dimensions = f"is {size[0]:,}×{size[1]:,} pixels" if size is not None else "declares an enormous size"
    return (
        f"The picture {dimensions}; please upload one under {MAX_UPLOAD_PIXELS:,} pixels (about "
        f"{int(MAX_UPLOAD_PIXELS**0.5):,}×{int(MAX_UPLOAD_PIXELS**0.5):,}). A photo of one digit needs far fewer: "
        "crop it, or save it at a smaller size."
    )


def _exif_orientation(picture: Image.Image) -> int:
    """The EXIF orientation (1–8) a phone camera records instead of turning the pixels; 1 when absent or unreadable."""
    try:
        orientation = int(picture.getexif().get(EXIF_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not cost the student the picture itself
        return 1
    return orientation if 1 <= orientation <= 8 else 1


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
