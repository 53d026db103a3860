"""Distortions checked against independent expectations: NumPy's own rotation, centre of mass, ink spread."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.digits.transform import Distortion, distort, rotation_sweep


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    """(row, column) of the ink's centre, weighted by brightness."""
    rows, columns = np.indices(image.shape)
    total = image.astype(np.float64).sum()
    return np.array([(rows * image).sum() / total, (columns * image).sum() / total])


def ink_spread(image: np.ndarray) -> float:
    """Root-mean-square distance of the ink from its centre, in pixels."""
    rows, columns = np.indices(image.shape)
    centre = centre_of_mass(image)
    weights = image.astype(np.float64) / image.sum()
    return float(np.sqrt((weights * ((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2)).sum()))


@pytest.fixture(scope="module")
def digit(sample):
    return sample.x_test[1]


def test_no_change_gives_the_same_digit(digit):
    result = distort(digit, Distortion())
    np.testing.assert_array_equal(result, digit)
    assert result.dtype == np.uint8 and result is not digit


@pytest.mark.parametrize(("right", "down"), [(3, 0), (0, -4), (-5, 2), (8, 8), (-8, -8)])
def test_a_shift_moves_the_centre_of_mass_by_as_many_pixels(right, down):
    # A small blob well inside the picture, so no ink is pushed over the edge.
    image = np.zeros((28, 28), dtype=np.uint8)
    image[11:17, 12:16] = 255
    image[13, 14] = 90
    moved = distort(image, Distortion(shift_right=right, shift_down=down))
    np.testing.assert_allclose(centre_of_mass(moved) - centre_of_mass(image), [down, right], atol=1e-9)
    assert moved.sum() == image.sum()


@pytest.mark.parametrize("scale", [0.5, 0.75, 1.25, 1.5])
def test_scaling_scales_the_ink_spread_and_keeps_the_centre(scale):
    image = np.zeros((28, 28), dtype=np.uint8)
    image[9:19, 9:19] = 255  # a square centred on the picture's centre (pixel centres 9.5 … 18.5 → 14)
    result = distort(image, Distortion(scale=scale))
    assert ink_spread(result) == pytest.approx(scale * ink_spread(image), rel=0.06)
    np.testing.assert_allclose(centre_of_mass(result), centre_of_mass(image), atol=0.05)


@pytest.mark.parametrize("degrees", [-45, 30, 45])
def test_a_rotation_turns_the_centre_of_mass_and_keeps_the_amount_of_ink(digit, degrees):
    result = distort(digit, Distortion(rotation=degrees))
    assert abs(int(result.sum()) - int(digit.sum())) < 0.03 * digit.sum()
    # An anticlockwise turn about the picture's centre moves the centre of mass the same way.
    centre = np.array([13.5, 13.5])  # in row/column indices, the picture's centre
    before, after = centre_of_mass(digit) - centre, centre_of_mass(result) - centre
    angle = np.radians(degrees)
    # (row, column) with rows down: anticlockwise by θ maps (r, c) to (r cos θ − c sin θ, r sin θ + c cos θ).
    expected = np.array([before[0] * np.cos(angle) - before[1] * np.sin(angle),
                         before[0] * np.sin(angle) + before[1] * np.cos(angle)])
    np.testing.assert_allclose(after, expected, atol=0.3)


def test_erasing_a_band_blacks_out_exactly_those_rows_or_columns(digit):
    rows = distort(digit, Distortion(erase=(10, 14)))
    assert not rows[10:15].any()
    np.testing.assert_array_equal(rows[:10], digit[:10])
    np.testing.assert_array_equal(rows[15:], digit[15:])
    columns = distort(digit, Distortion(erase=(0, 27), erase_direction="columns"))
    assert not columns.any()


def test_out_of_range_settings_are_a_sentence(digit):
    with pytest.raises(ValueError, match="Rotation must be between -45 and 45, not 60"):
        Distortion(rotation=60)
    with pytest.raises(ValueError, match="Shift right must be between -8 and 8"):
        Distortion(shift_right=9)
    with pytest.raises(ValueError, match="Scale must be between 0.5 and 1.5"):
        Distortion(scale=0.2)
    with pytest.raises(ValueError, match="erased band"):
        Distortion(erase=(5, 28))
    with pytest.raises(ValueError, match="28×28"):
        distort(digit[:27], Distortion())


def test_rotation_sweep_turns_to_each_angle(digit):
    angles = np.array([-45, 0, 45])
    stack = rotation_sweep(digit, angles, Distortion(shift_right=2))
    assert stack.shape == (3, 28, 28) and stack.dtype == np.uint8
    np.testing.assert_array_equal(stack[1], distort(digit, Distortion(shift_right=2)))
    np.testing.assert_array_equal(stack[2], distort(digit, Distortion(shift_right=2, rotation=45)))
