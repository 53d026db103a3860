"""Pictures as arrays: outlines, saliency overlays, signed colours and fitting a wide picture, against pixels
written by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.pictures.images import fit_width, outline_square, saliency_overlay, signed_image


def test_outline_square_draws_only_the_border():
    image = np.zeros((6, 6), dtype=np.uint8)
    picture = outline_square(image, top=1, left=2, size=3, scale=4, colour=(9, 8, 7))
    assert picture.shape == (24, 24, 3) and picture.dtype == np.uint8
    coloured = (picture == (9, 8, 7)).all(axis=2)
    # Border one pixel thick (scale 4 → line 1) around rows 4–15, columns 8–19; inside and outside untouched.
    assert coloured[4, 8:20].all() and coloured[15, 8:20].all()
    assert coloured[4:16, 8].all() and coloured[4:16, 19].all()
    assert coloured.sum() == 2 * 12 + 2 * 10
    assert not picture[5:15, 9:19].any()


def test_saliency_overlay_keeps_the_dimmed_digit_where_the_saliency_is_zero():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[10, 10] = 200
    saliency = np.zeros((28, 28))
    saliency[0, 0] = 1.0
    picture = saliency_overlay(image, saliency, scale=2)
    assert picture.shape == (56, 56, 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture[20, 20], [70, 70, 70])  # 200 × 0.35, no colour on top
    # Full saliency: a colour, not grey, and brighter than the dimmed ink at its brightest.
    hottest = picture[0, 0].astype(int)
    assert hottest.max() - hottest.min() > 40 and hottest.sum() > 3 * 70
    assert not picture[40:, 40:].any()
    with pytest.raises(ValueError, match="same shape"):
        saliency_overlay(image, np.zeros((27, 27)))


def test_signed_image_colours_positive_blue_negative_red_zero_white_by_size():
    picture = signed_image(np.array([[2.0, 1.0, -2.0, -1.0, 0.0]]), scale=1).astype(int)[0]
    red, green, blue = picture.T
    assert blue[0] > red[0] and blue[1] > red[1]  # positive values are blue
    assert red[2] > blue[2] and red[3] > blue[3]  # negative values are red
    assert picture[4].tolist() == [255, 255, 255]  # zero is white
    # The largest |value| is the deepest colour; half of it lies halfway to white.
    assert picture[0].sum() < picture[1].sum() < 3 * 255 and picture[2].sum() < picture[3].sum() < 3 * 255
    np.testing.assert_allclose(picture[1], (picture[0] + 255) / 2, atol=1)


def test_fit_width_scales_a_wide_picture_down_and_keeps_a_narrow_one():
    band = np.zeros((40, 1500, 3), dtype=np.uint8)
    band[:, 750:] = (200, 100, 50)
    fitted = fit_width(band, 1460)
    assert fitted.shape == (38, 1460, 3) and fitted.dtype == np.uint8  # 40 × 1460 / 1500 = 38.9, rounded down
    # The two halves keep their colours away from the seam.
    assert (fitted[:, :700] == 0).all() and (fitted[:, 760:] == (200, 100, 50)).all()
    narrow = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    assert fit_width(narrow, 1460) is narrow
