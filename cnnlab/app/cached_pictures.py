"""Charts, pictures and a network's answers made once per distinct data, then reused by every later page run and
every session.

Streamlit reruns a page's script on every click. Altair builds and validates a chart's Vega-Lite spec on every
call, and Streamlit converts it under a lock that every session shares; a NumPy picture is encoded as a PNG on every
`st.image`. Both depend only on their arguments, so they are cached by them: a rerun that changes nothing
recomputes nothing, and thirty students looking at the same model's same digit share one copy.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from cnnlab.network.forward import Network
from cnnlab.pictures.charts import probability_bars, probability_frame
from cnnlab.pictures.images import fit_width, png_bytes

# Altair's default theme gives every chart a fixed 300-pixel view; Streamlit switches it off for each chart it
# converts itself. The specs here are made by Altair directly, so it is off for the whole process.
alt.theme.enable("none")

SPECS_KEPT = 512
# Each student's digit has about fifteen pictures (Activations, Prediction, Watch) and a network's answers for each
# page: a class of 100 going round the pages keeps about 1,500 pictures in use. Kept here: about 8 KB a picture and
# 100 KB a digit's layer outputs, so at most some 35 MB and 100 MB.
PICTURES_KEPT = 4096
RESULTS_KEPT = 1024
# `st.image` scales down, and encodes again, any picture wider than this on every run (Streamlit's
# MAXIMUM_CONTENT_WIDTH, twice its widest page); a cached picture is scaled once instead.
WIDEST_PICTURE = 1460
EVEN_PROBABILITIES = np.full(10, 0.1)


def chart_spec(build: Callable[..., alt.TopLevelMixin], *args, **kwargs) -> dict:
    """The Vega-Lite spec of the chart `build(*args, **kwargs)` makes (a `cnnlab.pictures` function), for
    `st.vega_lite_chart(spec=…)`; built once per distinct arguments."""
    return _chart_spec(f"{build.__module__}.{build.__qualname__}", build, args, kwargs)


def chart_specs(build: Callable[..., tuple[alt.TopLevelMixin, ...]], *args, **kwargs) -> tuple[dict, ...]:
    """`chart_spec` for a function that makes several charts at once (`curves.training_curves`): their specs, all
    built by one call per distinct arguments."""
    return _chart_specs(f"{build.__module__}.{build.__qualname__}", build, args, kwargs)


def keyed_chart_spec(key: str, build: Callable[..., alt.TopLevelMixin], *args, **kwargs) -> dict:
    """`chart_spec` for arguments too large to hash on every run (thousands of points): `key` names them, and
    only it is hashed, so it must change whenever they do (say, the model and a setting)."""
    return _keyed_chart_spec(f"{build.__module__}.{build.__qualname__}", key, build, args, kwargs)


@st.cache_data(max_entries=SPECS_KEPT, show_spinner=False)
def _chart_spec(name: str, _build, args: tuple, kwargs: dict) -> dict:
    # `name` stands for the unhashable `_build` in the cache key, beside the hashed arguments.
    return _vega_lite_spec(_build(*args, **kwargs))


@st.cache_data(max_entries=SPECS_KEPT, show_spinner=False)
def _chart_specs(name: str, _build, args: tuple, kwargs: dict) -> tuple[dict, ...]:
    return tuple(_vega_lite_spec(chart) for chart in _build(*args, **kwargs))


@st.cache_data(max_entries=SPECS_KEPT, show_spinner=False)
def _keyed_chart_spec(name: str, key: str, _build, _args: tuple, _kwargs: dict) -> dict:
    return _vega_lite_spec(_build(*_args, **_kwargs))


def _vega_lite_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's spec, its data sets as Arrow tables: the form Streamlit sends, so a page run converts nothing.

    Altair's check of the spec against the Vega-Lite schema is skipped: it took half of `to_dict`'s time (about 5 ms
    of each live training curve's 10), and the tests check every chart function's spec with it.
    """
    spec = chart.to_dict(validate=False)
    spec["datasets"] = {name: pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
                        for name, rows in spec.get("datasets", {}).items()}
    return spec


def probability_spec(probabilities: np.ndarray) -> dict:
    """`probability_bars`' spec for these ten probabilities (float (10,), summing to 1).

    Each new digit brings new probabilities, so `chart_spec` would build the chart anew for nearly every digit a
    student looks at: a third of the page run. Only the chart's data depend on them, so Altair lays out the chart
    once and each digit fills in its ten rows.
    """
    template = chart_spec(probability_bars, EVEN_PROBABILITIES)
    rows = pa.Table.from_pandas(probability_frame(probabilities), preserve_index=False)
    return {**template, "datasets": dict.fromkeys(template["datasets"], rows)}


def cached_png(build: Callable[..., np.ndarray], *args, **kwargs) -> bytes:
    """The PNG bytes of the picture `build(*args, **kwargs)` draws (a uint8 array from `cnnlab.pictures.images`),
    for `st.image`; drawn and encoded once per distinct arguments."""
    return _cached_png(f"{build.__module__}.{build.__qualname__}", build, args, kwargs)


@st.cache_data(max_entries=PICTURES_KEPT, show_spinner=False)
def _cached_png(name: str, _build, args: tuple, kwargs: dict) -> bytes:
    return png_bytes(fit_width(_build(*args, **kwargs), WIDEST_PICTURE))


def per_network(function: Callable, network: Network, *args, **kwargs):
    """`function(network, *args, **kwargs)` (a `cnnlab.lens` computation), worked out once per network and distinct
    arguments and shared by every session: a page's rerun, or another student's view of the same digit, reads it."""
    return _per_network(f"{function.__module__}.{function.__qualname__}", network.fingerprint, function, network,
                        args, kwargs)


@st.cache_data(max_entries=RESULTS_KEPT, show_spinner=False)
def _per_network(name: str, fingerprint: str, _function, _network, args: tuple, kwargs: dict):
    return _function(_network, *args, **kwargs)
