"""Drawings and photos → MNIST-style digits, checked against MNIST's own digits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnlab.digits.preprocess import canvas_to_mnist, image_to_mnist
from cnnlab.lens.activations import predict_proba


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, columns = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def paint_on_canvas(digit: np.ndarray, scale: int, top: int, left: int, size: int = 280) -> np.ndarray:
    """Blow a 28×28 digit up `scale` times and put it on a black RGBA canvas at (top, left)."""
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    big = np.kron(digit, np.ones((scale, scale), dtype=np.uint8))
    canvas[top : top + big.shape[0], left : left + big.shape[1], :3] = big[..., None]
    return canvas


def test_blank_and_nearly_blank_canvases_give_none():
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    assert canvas_to_mnist(blank) is None
    speck = blank.copy()
    speck[100:103, 100:103] = 255  # a stray click of a few pixels
    assert canvas_to_mnist(speck) is None
    transparent_white = np.full((280, 280, 4), 255, dtype=np.uint8)
    transparent_white[..., 3] = 0  # colour under a fully transparent background is not ink
    assert canvas_to_mnist(transparent_white) is None


def test_mnist_digits_themselves_have_their_mass_at_the_centre(sample):
    # The reference the placement aims at: where MNIST puts a digit's centre of mass.
    centres = np.array([centre_of_mass(image.astype(float)) for image in sample.x_test[:200]])
    np.testing.assert_allclose(centres.mean(axis=0), (13.5, 13.5), atol=0.6)


@pytest.mark.parametrize(("scale", "top", "left"), [(10, 0, 0), (3, 5, 190), (4, 160, 10), (6, 100, 100)])
def test_a_digit_anywhere_on_the_canvas_comes_back_boxed_and_centred(sample, scale, top, left):
    digit = sample.x_test[3]
    result = canvas_to_mnist(paint_on_canvas(digit, scale, top, left))
    assert result.shape == (28, 28) and result.dtype == np.uint8
    rows, columns = np.nonzero(result > 40)
    assert max(np.ptp(rows), np.ptp(columns)) + 1 in (19, 20, 21)  # longer side fitted into the 20-pixel box
    row_centre, column_centre = centre_of_mass(result.astype(float))
    assert abs(row_centre - 13.5) <= 0.75 and abs(column_centre - 13.5) <= 0.75
    assert result.max() == 255


def test_a_shifted_and_scaled_digit_is_read_the_same(reference_result, sample):
    digits = sample.x_test[:40]
    originals = predict_proba(reference_result.network, digits).argmax(axis=1)
    small_in_corner = np.stack([canvas_to_mnist(paint_on_canvas(d, 3, 190, 190)) for d in digits])
    large_in_middle = np.stack([canvas_to_mnist(paint_on_canvas(d, 9, 14, 14)) for d in digits])
    for moved in (small_in_corner, large_in_middle):
        agreement = (predict_proba(reference_result.network, moved).argmax(axis=1) == originals).mean()
        assert agreement >= 0.9


def test_canvas_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        canvas_to_mnist(np.zeros((280, 280, 2), dtype=np.uint8))


def _png(pixels: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_of_dark_ink_on_paper_reads_like_the_digit(sample, reference_result):
    digit = sample.x_test[7]
    paper = 255 - np.kron(digit, np.ones((5, 5), dtype=np.uint8))  # black ink on white, 140×140
    result = image_to_mnist(_png(paper))
    expected = predict_proba(reference_result.network, digit).argmax()
    assert predict_proba(reference_result.network, result).argmax() == expected


def test_a_blank_photo_gives_none():
    assert image_to_mnist(_png(np.full((50, 50), 255, dtype=np.uint8))) is None


@pytest.mark.parametrize("junk", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_files_that_are_not_pictures_are_refused_with_a_sentence(junk):
    with pytest.raises(ValueError, match="upload a PNG, JPG or GIF"):
        image_to_mnist(junk)
