"""The strength colours against matplotlib's magma, which the app itself never imports (the table is written into
cnnlab/pictures/magma.py by scripts/make_magma.py)."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from cnnlab.pictures.palette import STRENGTH_RAMP, STRENGTH_STOPS, rgb

# matplotlib's own table: float (256, 3) in 0–255, entry i the colour of i / 255 of the way.
MAGMA = np.asarray(colormaps["magma"].colors, dtype=np.float64)[:, :3] * 255


def test_the_pictures_ramp_is_magma_to_the_nearest_8_bit_value():
    assert STRENGTH_RAMP.shape == (256, 3) and STRENGTH_RAMP.dtype == np.uint8
    assert np.abs(STRENGTH_RAMP - MAGMA).max() <= 0.5


def test_the_charts_stops_joined_in_rgb_stay_within_4_of_255_of_magma():
    stops = np.stack([rgb(stop) for stop in STRENGTH_STOPS])
    # Vega spreads a scale's range colours evenly over its domain and, with interpolate="rgb", joins them with
    # straight lines in RGB.
    positions, where = np.linspace(0, 1, len(stops)), np.arange(256) / 255
    chart = np.stack([np.interp(where, positions, stops[:, channel]) for channel in range(3)], axis=1)
    assert np.abs(chart - MAGMA).max() <= 4


def test_the_app_colours_pictures_without_loading_matplotlib(earlier_process):
    # A fresh process, as the web server starts: this one has matplotlib loaded already.
    result = earlier_process("import sys, cnnlab.pictures.images; print('matplotlib' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
