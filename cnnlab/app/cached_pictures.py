"""Charts, pictures and a network's answers made once per distinct data, then reused by every later page run and
every session.

Streamlit reruns a page's script on every click. Altair builds and validates a chart's Vega-Lite spec on every
call, and Streamlit converts it under a lock that every session shares; a NumPy picture is encoded as a PNG on every
`st.image`. Both depend only on their arguments, so they are cached by them: a rerun that changes nothing
recomputes nothing, and thirty students looking at the same model's same digit share one copy.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from cnnlab.app.shared_cache import content_key, function_key, read_only, shared_cache
from cnnlab.network.forward import Network
from cnnlab.pictures.charts import probability_chart, probability_frame
from cnnlab.pictures.curves import curve_chart, training_curve_parts
from cnnlab.pictures.images import feature_mosaic, fit_width, png_bytes

# Altair's default theme gives every chart a fixed 300-pixel view; Streamlit switches it off for each chart it
# converts itself. The specs here are made by Altair directly, so it is off for the whole process.
alt.theme.enable("none")

MB = 1 << 20
SPECS_KEPT = 512
# Each student's digit has about fifteen pictures (Activations, Prediction, Watch) and a network's answers for each
# page: a class of 100 going round the pages keeps about 1,500 pictures in use, some 8 KB each, and 100 digits' layer
# outputs, about 100 KB each (Watch keeps every epoch's: 400 KB). The caches are bounded by bytes, so that a class
# fits in them and the web server stays small whatever its students look at.
PICTURES_KEPT_BYTES = 32 * MB
RESULTS_KEPT_BYTES = 48 * MB
KEYED_RESULTS_KEPT_BYTES = 32 * MB
# Charts filled with a digit's numbers (its probabilities, epoch by epoch on Watch): a few for each digit in use.
DATA_SPECS_KEPT = 1024
# Wider pictures are scaled down to this once, before they are cached (Streamlit's MAXIMUM_CONTENT_WIDTH, twice its
# widest page): wider would only cost bytes.
WIDEST_PICTURE = 1460
MAP_TILE_PIXELS = 96  # every feature map is shown about this wide, whatever its resolution
# The page's style for pictures, which the entry point adds to every page: enlarged by the browser without
# blurring, each pixel a sharp square, as a student should see the numbers a network holds; and never wider than
# their column (Streamlit gives a picture of a set width a box that wide, even on a phone).
PICTURE_STYLE = ('<style>[data-testid="stImage"] img { image-rendering: pixelated; } '
                 '[data-testid="stImageContainer"] { max-width: 100%; }</style>')
FRAME_PREFIX = "frame-"  # a filled spec's data sets: "frame-0", "frame-1", … in the order of its frames


def chart_spec(build: Callable[..., alt.TopLevelMixin], *args, **kwargs) -> dict:
    """The Vega-Lite spec of the chart `build(*args, **kwargs)` makes (a `cnnlab.pictures` function), for
    `st.vega_lite_chart(spec=…)`; built once per distinct arguments."""
    return _chart_spec(build, args, kwargs)


def keyed_chart_spec(key: str, build: Callable[..., alt.TopLevelMixin], *args, **kwargs) -> dict:
    """`chart_spec` for arguments too large to hash on every run (thousands of points): `key` names them, and
    only it is hashed, so it must change whenever they do (say, the model and a setting)."""
    return _keyed_chart_spec(key, build, args, kwargs)


def _by_arguments(build: Callable, args: tuple, kwargs: dict) -> tuple:
    return function_key(build), content_key(args), content_key(kwargs)


@shared_cache(_by_arguments, max_entries=SPECS_KEPT)
def _chart_spec(build: Callable, args: tuple, kwargs: dict) -> dict:
    return _vega_lite_spec(build(*args, **kwargs))


@shared_cache(lambda key, build, args, kwargs: (key, function_key(build)), max_entries=SPECS_KEPT)
def _keyed_chart_spec(key: str, build: Callable, args: tuple, kwargs: dict) -> dict:
    return _vega_lite_spec(build(*args, **kwargs))


def _vega_lite_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's spec, its data sets as Arrow files: the form Streamlit sends, so a page run converts nothing.

    Altair's check of the spec against the Vega-Lite schema is skipped: it took half of `to_dict`'s time (about 5 ms
    of each live training curve's 10), and the tests check every chart function's spec with it.
    """
    spec = chart.to_dict(validate=False)
    spec["datasets"] = {name: arrow_file(pd.DataFrame(rows)) for name, rows in spec.get("datasets", {}).items()}
    return spec


def arrow_file(frame: pd.DataFrame) -> bytes:
    """A chart's data set as the Arrow IPC stream that `st.vega_lite_chart` sends as it is."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def probability_spec(probabilities: np.ndarray) -> dict:
    """`probability_bars`' spec for these ten probabilities (float (10,), summing to 1); see `filled_spec`."""
    return data_chart_spec(probability_chart, _probability_frames, probabilities)


def _probability_frames(probabilities: np.ndarray) -> tuple[pd.DataFrame]:
    return (probability_frame(probabilities),)


def filled_spec(draw: Callable[..., alt.TopLevelMixin], frames: Sequence[pd.DataFrame], /, *args, **kwargs) -> dict:
    """The spec of the chart `draw(*frames, *args, **kwargs)` makes, where each frame is the data of one layer of
    the chart, in order (or of the whole chart, for one frame).

    A new digit brings new data, so `chart_spec` would build its charts anew for nearly every digit a student looks
    at: Altair takes 10–20 ms for each. Only the data sets depend on the frames, so Altair lays the chart out once
    per distinct `args`, `kwargs` and frame columns, and each call only puts its frames in. A chart whose data sets
    are not one per frame (layers that share a frame) is built anew each time: correct, only not faster.
    """
    frames = tuple(frames)
    columns = tuple(tuple((str(name), str(dtype)) for name, dtype in frame.dtypes.items()) for frame in frames)
    template = _chart_template(draw, columns, frames, args, kwargs)
    if template is None:
        return _vega_lite_spec(draw(*frames, *args, **kwargs))
    return {**template, "datasets": {f"{FRAME_PREFIX}{index}": arrow_file(frame) for index, frame in enumerate(frames)}}


@shared_cache(lambda draw, columns, frames, args, kwargs: (
    function_key(draw), columns, content_key(args), content_key(kwargs)), max_entries=SPECS_KEPT)
def _chart_template(draw: Callable, columns: tuple, frames: tuple, args: tuple, kwargs: dict) -> dict | None:
    """The chart's spec with each frame's data set renamed after the frame's place ("frame-0", …) and left out; None
    when its data sets are not one per frame. Made with the first frames that have these columns."""
    spec = draw(*frames, *args, **kwargs).to_dict(validate=False)
    holders = [spec] if "data" in spec else spec.get("layer", [])
    names = [holder.get("data", {}).get("name") for holder in holders]
    if len(names) != len(frames) or None in names or len(set(names)) != len(names):
        return None
    spec.pop("datasets")
    for index, holder in enumerate(holders):
        holder["data"] = {"name": f"{FRAME_PREFIX}{index}"}
    return spec


def data_chart_spec(draw: Callable[..., alt.TopLevelMixin], make_frames: Callable[..., Sequence[pd.DataFrame]],
                    /, *args, **kwargs) -> dict:
    """`filled_spec(draw, make_frames(*args, **kwargs))`, made once per distinct arguments: for a chart whose frames
    are worked out from a few numbers (a digit's probabilities epoch by epoch), so that a rerun neither builds them
    nor writes their Arrow files again."""
    return _data_chart_spec(draw, make_frames, args, kwargs)


@shared_cache(lambda draw, make_frames, args, kwargs: (
    function_key(draw), function_key(make_frames), content_key(args), content_key(kwargs)), max_entries=DATA_SPECS_KEPT)
def _data_chart_spec(draw: Callable, make_frames: Callable, args: tuple, kwargs: dict) -> dict:
    return filled_spec(draw, make_frames(*args, **kwargs))


def with_y_domain(spec: dict, domain: Sequence[float]) -> dict:
    """A layered chart's spec (as `filled_spec` gives) with its first layer's y scale spanning `domain` (low, high):
    for a chart whose y range follows its data, so that a new range does not mean a new layout. The template's own
    dictionaries are copied where they change, never changed."""
    first = spec["layer"][0]
    y_channel = first["encoding"]["y"]
    y_channel = {**y_channel, "scale": {**y_channel["scale"], "domain": [float(bound) for bound in domain]}}
    first = {**first, "encoding": {**first["encoding"], "y": y_channel}}
    return {**spec, "layer": [first, *spec["layer"][1:]]}


def training_curve_specs(epochs: Sequence[dict], total_epochs: int, chosen_epoch: int | None = None,
                         batches: Sequence[dict] = ()) -> list[dict]:
    """The specs of the loss and the accuracy chart (`curves.training_curve_parts`, arguments as there), made once per
    distinct history: a finished model's curves are the same on every page run, where building their frames and
    Arrow files had been two fifths of a Filters run. A running training's new second is a new history."""
    return _training_curve_specs(tuple(epochs), total_epochs, chosen_epoch, tuple(batches))


@shared_cache(lambda *arguments: content_key(arguments), max_entries=SPECS_KEPT)
def _training_curve_specs(epochs: tuple, total_epochs: int, chosen_epoch: int | None, batches: tuple) -> list[dict]:
    return [with_y_domain(filled_spec(curve_chart, frames, layout=layout), y_domain)
            for layout, frames, y_domain in training_curve_parts(epochs, total_epochs, chosen_epoch, batches)]


@dataclass(frozen=True)
class Picture:
    """An encoded picture, ready for `st.image`. url: "data:image/png;base64,…"; width, height: its pixels."""

    url: str
    width: int
    height: int


def cached_picture(build: Callable[..., np.ndarray], *args, **kwargs) -> Picture:
    """The picture `build(*args, **kwargs)` draws (a uint8 array from `cnnlab.pictures.images`), encoded once per
    distinct arguments.

    It is sent inside the page's own message as a data address, not through Streamlit's media files: those cost the
    server a file entry on every run and an HTTP request for every picture a browser fetches, and these pictures
    are small (a few KB), because the browser enlarges them (see `show_picture`).
    """
    return _cached_picture(build, args, kwargs)


@shared_cache(_by_arguments, max_bytes=PICTURES_KEPT_BYTES)
def _cached_picture(build: Callable, args: tuple, kwargs: dict) -> Picture:
    picture = fit_width(build(*args, **kwargs), WIDEST_PICTURE)
    url = "data:image/png;base64," + base64.b64encode(png_bytes(picture)).decode("ascii")
    return Picture(url, picture.shape[1], picture.shape[0])


def cached_png(build: Callable[..., np.ndarray], *args, **kwargs) -> bytes:
    """The PNG file of the picture `build(*args, **kwargs)` draws, for a download; made once per distinct arguments."""
    return _cached_png(build, args, kwargs)


@shared_cache(_by_arguments, max_entries=SPECS_KEPT)
def _cached_png(build: Callable, args: tuple, kwargs: dict) -> bytes:
    return png_bytes(build(*args, **kwargs))


def show_picture(picture: Picture, zoom: int = 1, *, where=None, caption: str | None = None, alt: str | None = None,
                 width: int | str | None = None) -> None:
    """`picture` on the page (or in `where`, a column), `zoom` times its size or `width` ("stretch": the container's
    width), never wider than its container. The browser enlarges it pixel for pixel (`PICTURE_STYLE`), so the
    server encodes zoom² times fewer pixels than if it drew the enlargement itself."""
    (where or st).image(picture.url, caption=caption, alt=alt, width=width or picture.width * zoom)


def show_maps(maps: np.ndarray, *, where=None, caption: str | None = None, alt: str | None = None,
              tile_pixels: int = MAP_TILE_PIXELS) -> None:
    """A layer's feature maps (float (height, width, channels)) as one mosaic (`images.feature_mosaic`), each map
    about `tile_pixels` wide on the page, whatever its resolution. It is drawn at half that size, 1 pixel apart, and
    enlarged twice by the browser: 2-pixel white gaps on the page."""
    scale = max(1, round(tile_pixels / 2 / maps.shape[0]))
    show_picture(cached_picture(feature_mosaic, maps, scale=scale, gap=1), zoom=2, where=where, caption=caption,
                 alt=alt)


def keyed_result(key: object, function: Callable, *args, spinner: str | None = None, **kwargs):
    """`function(*args, **kwargs)` worked out once per `key`, which names the arguments (hashable; it must change
    whenever they do), and shared by every session as it is, so no page may change it. For arguments too large to
    hash on every run (a training's weights, epoch by epoch). `spinner`: a sentence shown while it is worked out."""
    return _with_spinner(spinner, _keyed_result, key, function, args, kwargs)


@shared_cache(lambda key, function, args, kwargs: (key, function_key(function)),
              max_bytes=KEYED_RESULTS_KEPT_BYTES)
def _keyed_result(key: object, function: Callable, args: tuple, kwargs: dict):
    return read_only(function(*args, **kwargs))


def per_network(function: Callable, network: Network, *args, spinner: str | None = None, **kwargs):
    """`function(network, *args, **kwargs)` (a `cnnlab.lens` computation), worked out once per network and distinct
    arguments and shared by every session: a page's rerun, or another student's view of the same digit, reads it.
    Its result is shared as it is, so no page may change it. `spinner`: a sentence shown while it is worked out."""
    return _with_spinner(spinner, _per_network, function, network, args, kwargs)


def _with_spinner(spinner: str | None, cached: Callable, *arguments):
    """`cached(*arguments)` (a `shared_cache` function), with `spinner` on the page while a result is made, never
    when it is found."""
    if spinner is not None and cached.cache_key(*arguments) not in cached.cache:
        with st.spinner(spinner):
            return cached(*arguments)
    return cached(*arguments)


@shared_cache(lambda function, network, args, kwargs: (
    function_key(function), network.fingerprint, content_key(args), content_key(kwargs)), max_bytes=RESULTS_KEPT_BYTES)
def _per_network(function: Callable, network: Network, args: tuple, kwargs: dict):
    return read_only(function(network, *args, **kwargs))
