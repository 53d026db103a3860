"""Uploaded pictures in every awkward form, and hostile bytes: `image_to_mnist` gives the right digit, None for a
picture with no digit, or a ValueError with a sentence a student can act on; never any other exception.

Every file is built here with Pillow and NumPy. The reference for "the right digit" is the drawing's own ink map
(built with NumPy, not decoded) put through `ink_to_mnist`, plus a check of the digit's shape that does not use
CNN Lab at all: a 7 is 20 pixels tall, with its bar along the top.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, ImageFile

from cnnlab.digits.preprocess import MAX_UPLOAD_PIXELS, image_to_mnist, ink_to_mnist

PAPER, INK = 255, 0
NOT_A_PICTURE = "not a picture CNN Lab can read"
DAMAGED = "damaged or incomplete"
TOO_LARGE = f"under {MAX_UPLOAD_PIXELS:,} pixels"


def drawn_seven(scale: int = 1) -> np.ndarray:
    """Dark ink on white paper, uint8 (120·scale, 100·scale): a 7 made of a top bar and a stem on the right."""
    paper = np.full((120 * scale, 100 * scale), PAPER, dtype=np.uint8)
    # 51 wide and 80 tall: scaled into a 20-pixel box it is 12.75 wide, safely away from a rounding tie.
    paper[20 * scale : 32 * scale, 24 * scale : 75 * scale] = INK  # the bar
    paper[20 * scale : 100 * scale, 63 * scale : 75 * scale] = INK  # the stem
    return paper


def drawn_one() -> np.ndarray:
    """A different digit of the same size: a vertical stroke in the middle."""
    paper = np.full((120, 100), PAPER, dtype=np.uint8)
    paper[20:100, 45:55] = INK
    return paper


def expected_seven() -> np.ndarray:
    """What a perfect reading of `drawn_seven()` gives: its ink (light on dark) through MNIST's recipe."""
    return ink_to_mnist((PAPER - drawn_seven()).astype(np.float32))


def save(picture: Image.Image, file_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, file_format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size (8-bit greyscale) but holds no pixel data at all."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")


def assert_is_a_seven(digit: np.ndarray) -> None:
    """Independent of CNN Lab: MNIST's 20-pixel box makes a 7 20 rows tall, and its bar is wider than its stem."""
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    rows = np.flatnonzero((digit > 127).any(axis=1))
    assert rows[-1] - rows[0] + 1 in (19, 20, 21)
    top, bottom = (digit[rows[0] : rows[0] + 3] > 127).sum(axis=1), (digit[rows[-1] - 3 : rows[-1]] > 127).sum(axis=1)
    assert top.mean() > 2 * bottom.mean()


def test_the_reference_reading_is_a_seven():
    assert_is_a_seven(expected_seven())


def animated_gif() -> bytes:
    """Two frames: the 7 first, then a 1. Only the first frame counts."""
    frames = [Image.fromarray(drawn_seven()).convert("P"), Image.fromarray(drawn_one()).convert("P")]
    return save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)


def ink_as_alpha() -> Image.Image:
    """Greyscale + alpha: black everywhere, opaque only where the ink is (a drawing on a transparent sheet)."""
    alpha = PAPER - drawn_seven()
    return Image.fromarray(np.stack([np.zeros_like(alpha), alpha], axis=-1), mode="LA")


def palette_with_transparent_paper() -> Image.Image:
    picture = Image.fromarray(drawn_seven()).convert("P")
    picture.info["transparency"] = picture.getpixel((0, 0))  # the paper's palette entry
    return picture


LOSSLESS = {
    "8-bit greyscale PNG": lambda: save(Image.fromarray(drawn_seven()), "PNG"),
    "RGB PNG": lambda: save(Image.fromarray(drawn_seven()).convert("RGB"), "PNG"),
    "16-bit greyscale PNG": lambda: save(Image.fromarray(drawn_seven().astype(np.uint16) * 257), "PNG"),
    "palette PNG": lambda: save(Image.fromarray(drawn_seven()).convert("P"), "PNG"),
    "palette PNG, transparent paper": lambda: save(palette_with_transparent_paper(), "PNG"),
    "greyscale + alpha PNG": lambda: save(ink_as_alpha(), "PNG"),
    "1-bit PNG": lambda: save(Image.fromarray(drawn_seven()).convert("1"), "PNG"),
    "animated GIF": animated_gif,
    "animated PNG": lambda: save(Image.fromarray(drawn_seven()), "PNG", save_all=True,
                                 append_images=[Image.fromarray(drawn_one())], duration=200),
}


@pytest.mark.parametrize("kind", LOSSLESS)
def test_lossless_pictures_of_every_mode_read_exactly_as_the_drawing(kind):
    data = LOSSLESS[kind]()
    digit = image_to_mnist(data)
    assert digit is not None
    np.testing.assert_array_equal(digit, expected_seven())


LOSSY = {
    "greyscale JPEG": lambda: save(Image.fromarray(drawn_seven()), "JPEG", quality=90),
    "colour JPEG": lambda: save(Image.fromarray(drawn_seven()).convert("RGB"), "JPEG", quality=90),
    "CMYK JPEG": lambda: save(Image.fromarray(drawn_seven()).convert("CMYK"), "JPEG", quality=90),
    # Larger than the working size, so these are averaged down (JPEG while decoding) before they are read.
    "3000×3600 greyscale PNG": lambda: save(Image.fromarray(drawn_seven(scale=30)), "PNG", compress_level=1),
    "3000×3600 colour JPEG": lambda: save(Image.fromarray(drawn_seven(scale=30)).convert("RGB"), "JPEG"),
}


@pytest.mark.parametrize("kind", LOSSY)
def test_lossy_and_large_pictures_read_close_to_the_drawing(kind):
    digit = image_to_mnist(LOSSY[kind]())
    assert digit is not None
    assert_is_a_seven(digit)
    difference = np.abs(digit.astype(np.int16) - expected_seven().astype(np.int16))
    assert difference.mean() < 8, difference.mean()  # JPEG blurs edges by a few grey levels, no more


@pytest.mark.parametrize("file_format", ["JPEG", "PNG"])
def test_a_phone_photo_taken_sideways_is_turned_upright(file_format):
    # Phones store the sensor's pixels and an EXIF tag saying how to turn them; 6 means "turn 90° clockwise".
    stored = Image.fromarray(drawn_seven()).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    digit = image_to_mnist(save(stored, file_format, exif=exif.tobytes()))
    assert digit is not None
    assert_is_a_seven(digit)


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("L", (1, 1), 0),
        Image.new("L", (1, 1), 255),
        Image.new("L", (300, 200), 255),  # all white
        Image.new("L", (300, 200), 0),  # all black
        Image.new("RGB", (300, 200), (128, 128, 128)),  # all grey
        Image.new("LA", (300, 200), (0, 0)),  # fully transparent
    ],
    ids=["1×1 black", "1×1 white", "all white", "all black", "all grey", "all transparent"],
)
def test_pictures_without_a_digit_give_none(picture):
    assert image_to_mnist(save(picture, "PNG")) is None


def eps_file() -> bytes:
    """A tiny Encapsulated PostScript file; Pillow would hand it to Ghostscript to draw."""
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"


def ztxt_bomb() -> bytes:
    """A valid PNG carrying a compressed text chunk that inflates to 50 MB."""
    png = save(Image.fromarray(drawn_seven()), "PNG")
    bomb = png_chunk(b"zTXt", b"comment\x00\x00" + zlib.compress(b"a" * 50_000_000, 9))
    return png[:33] + bomb + png[33:]  # right after the 33-byte signature and IHDR


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


REFUSED = {
    "an empty file": (lambda: b"", "The file is empty"),
    "a text file named .png": (lambda: b"Dear teacher, here is my homework.\n", NOT_A_PICTURE),
    "a PDF": (lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", NOT_A_PICTURE),
    "a zip archive": (lambda: b"PK\x03\x04" + bytes(40), NOT_A_PICTURE),
    "only PNG's signature": (lambda: b"\x89PNG\r\n\x1a\n", NOT_A_PICTURE),
    "a TIFF": (lambda: save(Image.fromarray(drawn_seven()), "TIFF"), NOT_A_PICTURE),
    "a WebP": (lambda: save(Image.fromarray(drawn_seven()), "WEBP"), NOT_A_PICTURE),
    "a PostScript file": (eps_file, NOT_A_PICTURE),
    "a truncated PNG": (lambda: truncated(save(Image.fromarray(drawn_seven()), "PNG")), DAMAGED),
    "a truncated JPEG": (lambda: truncated(save(Image.fromarray(drawn_seven()), "JPEG")), DAMAGED),
    "a truncated GIF": (lambda: truncated(save(Image.fromarray(drawn_seven()).convert("P"), "GIF")), DAMAGED),
    "a PNG header without pixels": (lambda: png_header_only(100, 100), DAMAGED),
    "a PNG whose text chunk inflates to 50 MB": (ztxt_bomb, NOT_A_PICTURE),
    "a decompression bomb (100,000 × 100,000)": (lambda: png_header_only(100_000, 100_000), TOO_LARGE),
    "a picture 10,000 × 10,000": (lambda: png_header_only(10_000, 10_000), "10,000×10,000 pixels"),
    "one pixel over the limit": (lambda: png_header_only(4097, 4096), "4,097×4,096 pixels"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("kind", REFUSED)
def test_unreadable_files_are_refused_with_a_sentence(kind, monkeypatch):
    make, phrase = REFUSED[kind]
    ghostscript_calls = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *arguments, **options: ghostscript_calls.append(1))
    with pytest.raises(ValueError) as refusal:
        image_to_mnist(make())
    sentence = str(refusal.value)
    assert phrase in sentence
    assert sentence.endswith(".") and "please" in sentence.lower()  # it says what to do
    assert "BytesIO" not in sentence and "PIL" not in sentence  # nothing a student cannot read
    assert ghostscript_calls == []  # no file ever reaches an external program


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000), (4097, 4096)])
def test_huge_sizes_are_refused_before_any_pixel_is_decoded(size, monkeypatch):
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self.size) or real_load(self))
    with pytest.raises(ValueError, match="pixels"):
        image_to_mnist(png_header_only(*size))
    assert decoded == []


def test_a_picture_exactly_at_the_size_limit_is_read():
    side = int(MAX_UPLOAD_PIXELS**0.5)
    paper = np.full((side, side), PAPER, dtype=np.uint8)
    paper[1000:3000, 1800:2200] = INK
    digit = image_to_mnist(save(Image.fromarray(paper), "PNG", compress_level=1))
    assert digit is not None and (digit > 127).any()


@pytest.mark.parametrize("file_format", ["PNG", "JPEG", "GIF"])
def test_damaged_bytes_never_raise_anything_but_a_sentence(file_format):
    # Seeded random damage: flipped bytes anywhere, including headers, sizes and checksums.
    original = bytearray(save(Image.fromarray(drawn_seven()).convert("L"), file_format))
    generator = np.random.default_rng(6)
    outcomes = set()
    for _ in range(150):
        damaged = bytearray(original)
        for position in generator.integers(0, len(damaged), size=int(generator.integers(1, 8))):
            damaged[position] = int(generator.integers(0, 256))
        try:
            digit = image_to_mnist(bytes(damaged))
        except ValueError as error:
            assert NOT_A_PICTURE in str(error) or DAMAGED in str(error) or TOO_LARGE in str(error), str(error)
            outcomes.add("sentence")
        else:
            assert digit is None or (digit.shape == (28, 28) and digit.dtype == np.uint8)
            outcomes.add("read")
    assert outcomes == {"sentence", "read"}  # the damage did reach the decoder, and did not always stop it
